"""Connections and topic memberships per client address, in Redis: the caps of
addresses.py across every server process.

interfaces.AddressRegistry (memory.MemoryAddressRegistry in one process). Each address is a hash
`<prefix>addr:<address>` whose fields are a process id (link.py) followed by `c`
(that process's connections from the address) or `t` (their topic memberships). A count
is the sum over the live processes; the fields of dead processes are deleted by the
script that meets them, so a process that died stops counting once its heartbeat has
expired. `add_*` compare and count in one Lua script, atomically, so that two processes
cannot both admit the last connection under the cap. An address's hash expires a day
after its last admission, so that the counts of dead processes at addresses that never
come back do not stay forever.
"""

from redis.typing import EncodableT

from signal_server.state.redis.link import PROCESS_ID_CHARS, RedisLink

FORGET_AFTER_SECONDS = 24 * 60 * 60

# KEYS: address hash, own heartbeat. ARGV: heartbeat prefix, own process id, kind
# ('c' or 't'), cap (-1: none), heartbeat TTL, hash TTL. Returns the live count before;
# counts one more for this process if that was under the cap.
_ADD = """
local alive = {}
local all = redis.call('HGETALL', KEYS[1])
local count = 0
for i = 1, #all, 2 do
  local field = all[i]
  local proc = string.sub(field, 1, PROCESS_ID_CHARS)
  if alive[proc] == nil then
    alive[proc] = redis.call('EXISTS', ARGV[1] .. proc) == 1
  end
  if not alive[proc] then
    redis.call('HDEL', KEYS[1], field)
  elseif string.sub(field, -1) == ARGV[3] then
    count = count + tonumber(all[i + 1])
  end
end
local cap = tonumber(ARGV[4])
if cap < 0 or count < cap then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[5])
  redis.call('HINCRBY', KEYS[1], ARGV[2] .. ARGV[3], 1)
  redis.call('EXPIRE', KEYS[1], ARGV[6])
end
return count
""".replace("PROCESS_ID_CHARS", str(PROCESS_ID_CHARS))

# KEYS: address hash. ARGV: own process id, connections to remove, memberships to remove.
_REMOVE = """
local kinds = {'c', 't'}
for i = 1, 2 do
  local n = tonumber(ARGV[i + 1])
  if n > 0 then
    local field = ARGV[1] .. kinds[i]
    if redis.call('HINCRBY', KEYS[1], field, -n) <= 0 then
      redis.call('HDEL', KEYS[1], field)
    end
  end
end
return 0
"""

# KEYS: address hash. ARGV: heartbeat prefix, kind. The live count.
_COUNT = """
local all = redis.call('HGETALL', KEYS[1])
local count = 0
for i = 1, #all, 2 do
  local field = all[i]
  if string.sub(field, -1) == ARGV[2]
     and redis.call('EXISTS', ARGV[1] .. string.sub(field, 1, PROCESS_ID_CHARS)) == 1 then
    count = count + tonumber(all[i + 1])
  end
end
return count
""".replace("PROCESS_ID_CHARS", str(PROCESS_ID_CHARS))


class RedisAddressRegistry:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self._add = link.client.register_script(_ADD)
        self._remove = link.client.register_script(_REMOVE)
        self._count = link.client.register_script(_COUNT)

    def _key(self, address: str) -> str:
        return self.link.key("addr", address)

    async def connections(self, address: str) -> int:
        return await self._counted(address, "c")

    async def topics(self, address: str) -> int:
        """Topic memberships of all the address's connections together, in every process."""
        return await self._counted(address, "t")

    async def add_connection(self, address: str, cap: int | None = None) -> int:
        """Count a connection unless the address has `cap`; the count before."""
        return await self._added(address, "c", cap)

    async def add_topic(self, address: str, cap: int | None = None) -> int:
        """Count a membership unless the address has `cap`; the count before."""
        return await self._added(address, "t", cap)

    async def remove_connection(self, address: str, topics: int) -> None:
        """A connection closed, and with it its `topics` memberships."""
        await self._removed(address, 1, topics)

    async def remove_topic(self, address: str) -> None:
        await self._removed(address, 0, 1)

    async def _added(self, address: str, kind: str, cap: int | None) -> int:
        link = self.link
        keys = [self._key(address), link.process_key]
        args: list[EncodableT] = [
            link.process_prefix,
            link.process_id,
            kind,
            -1 if cap is None else cap,
            link.process_ttl_seconds,
            FORGET_AFTER_SECONDS,
        ]
        return int(await link.call(self._add(keys=keys, args=args)))

    async def _removed(self, address: str, connections: int, topics: int) -> None:
        args: list[EncodableT] = [self.link.process_id, connections, topics]
        await self.link.call(self._remove(keys=[self._key(address)], args=args))

    async def _counted(self, address: str, kind: str) -> int:
        keys, args = [self._key(address)], [self.link.process_prefix, kind]
        return int(await self.link.call(self._count(keys=keys, args=args)))
