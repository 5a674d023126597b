"""The shared state in Redis (backend.RedisState): link.py (client, process id, heartbeat,
outage watch), topics.py, addresses.py, buckets.py, mirrors.py (one Lua script per
operation) and relay.py (events to other processes over pub/sub). The only modules of
the server that import `redis` and `msgpack`; nothing is imported here.
"""
