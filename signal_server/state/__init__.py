"""The server's shared state: what every connection of a process (or, on Redis, of every
process) reads and writes.

- `interfaces.py` declares it: the topic registry, the per-address counts, the keyed
  token buckets (the per-mailbox wake budget), the mirror service's registration, the
  event relay to other processes, and `SharedState`, the bundle of the five that the
  consumer and the checks use.
- `memory.py` keeps it in this process's memory: the default, one server process.
- `redis/` keeps it in Redis, for several processes (`REDIS_URL`); the only modules that
  import `redis` and `msgpack` (the optional `redis` extra).
- `factory.py` builds the one `SharedState` of the process from the settings
  (`shared_state()`), and lets tests put another in its place (`shared_states.set()`).
- `errors.py`: `Unavailable`, the one failure of shared state the consumer handles.

Nothing is imported here, so that importing `interfaces` never pulls in a backend.
"""
