"""Which connection serves as the mirror service, in Redis: one registration that every
server process sees (interfaces.MirrorDirectory; memory.MemoryMirrorDirectory in one
process).

The registration is one hash, `<prefix>mirror`: `proc` (the process id of the
connection, link.py), `id` (its connection id) and `member` (msgpack of the member:
id, connection key, channel name). Every operation is one Lua script. `current` checks
the heartbeat key of the registering process, as the topic registry does for each
member: a process that died with its mirror connection still registered stops being
named once its heartbeat has expired, and the script that finds it dead deletes it.
`unregister` deletes only its own registration, so a connection that was replaced (the
latest registration wins) cannot take its successor with it.
"""

import msgpack
from redis.typing import EncodableT

from signal_server.state.interfaces import Member
from signal_server.state.redis.link import RedisLink

# KEYS: the registration, own heartbeat. ARGV: process id, member id, packed member, TTL.
# The heartbeat is set here too, as a join does, so that a registration made before the
# first heartbeat of a new process id is not taken for a dead one.
_REGISTER = """
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'proc', ARGV[1], 'id', ARGV[2], 'member', ARGV[3])
return 1
"""

# KEYS: the registration. ARGV: heartbeat prefix. The packed member, or false.
_CURRENT = """
local found = redis.call('HMGET', KEYS[1], 'proc', 'member')
if not found[1] or not found[2] then return false end
if redis.call('EXISTS', ARGV[1] .. found[1]) == 1 then return found[2] end
redis.call('DEL', KEYS[1])
return false
"""

# KEYS: the registration. ARGV: member id.
_UNREGISTER = """
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisMirrorDirectory:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.key = link.key("mirror")
        client = link.client
        self._register = client.register_script(_REGISTER)
        self._current = client.register_script(_CURRENT)
        self._unregister = client.register_script(_UNREGISTER)

    async def register(self, member: Member) -> None:
        """`member` serves from now on, in place of any other (the latest wins)."""
        link = self.link
        packed = msgpack.packb([member.id, member.key, member.channel_name], use_bin_type=True)
        args: list[EncodableT] = [
            link.process_id,
            member.id,
            packed,
            link.process_ttl_seconds,
        ]
        await link.call(self._register(keys=[self.key, link.process_key], args=args))

    async def current(self) -> Member | None:
        """The member that serves, unless its process's heartbeat has expired."""
        args: list[EncodableT] = [self.link.process_prefix]
        packed = await self.link.call(self._current(keys=[self.key], args=args))
        return _member(packed) if packed else None

    async def unregister(self, member_id: bytes) -> None:
        args: list[EncodableT] = [member_id]
        await self.link.call(self._unregister(keys=[self.key], args=args))


def _member(packed: bytes) -> Member | None:
    """The stored member; None for a value this code did not write (another version's)."""
    try:
        member_id, key, channel_name = msgpack.unpackb(packed, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException):
        return None
    if not (
        isinstance(member_id, bytes) and isinstance(key, bytes) and isinstance(channel_name, str)
    ):
        return None
    return Member(id=member_id, key=key, channel_name=channel_name)
