"""Which connections are in which topic, in Redis: the registry of several processes.

interfaces.TopicRegistry (memory.MemoryTopicRegistry in one process). Each topic is a hash
`<prefix>topic:<topic hex>` from member id to the member's process id (16 hex
characters), connection key (32 bytes) and channel name, in that order. Every operation
is one Lua script, so one round trip, atomic: each reader checks the heartbeat key of
every process it meets (link.py; once per process per call), drops the members of
dead processes from what it returns and deletes them from the hash. A dead process's
members are therefore announced for at most the heartbeat TTL. A topic of at most 4 x
the sample size is read whole, so they are gone from it as soon as anyone touches it; a
bigger one is read only as a random draw (`HRANDFIELD`, Redis 6.2 or later), which
deletes the dead it meets: until they are all met, or `sweep` meets them, a join there
may find fewer live members than the sample size allows (never a dead one). A topic
nobody touches again (its members' process died and no one came back) is cleaned by
`sweep`, which each process runs in the background once an hour over every topic.

The topics a member is in are kept in this process's memory, since a member lives in
one process; `leave_all` sends the leaves of all of them in one pipeline. The scripts
build key names of the process heartbeats themselves, so the registry needs one Redis
(or a cluster where every key of the prefix is on one node), not a sharded cluster.
"""

import asyncio
import logging
import random

from redis.typing import EncodableT

from signal_server.state.interfaces import Joined, Member, sample_of
from signal_server.state.redis.link import PROCESS_ID_CHARS, RedisLink

_random = random.SystemRandom()
logger = logging.getLogger(__name__)
SWEEP_SECONDS = 60 * 60

KEY_BYTES = 32

# Shared by every script: is the process of stored member value `v` alive? `alive` is
# the per-call cache, ARGV[1] the heartbeat key prefix.
_ALIVE = """
local alive = {}
local function is_alive(v)
  local proc = string.sub(v, 1, PROCESS_ID_CHARS)
  local known = alive[proc]
  if known == nil then
    known = redis.call('EXISTS', ARGV[1] .. proc) == 1
    alive[proc] = known
  end
  return known
end
local function live_of(all, topic, except)
  local out = {}
  for i = 1, #all, 2 do
    if is_alive(all[i + 1]) then
      if all[i] ~= except then
        out[#out + 1] = all[i]
        out[#out + 1] = all[i + 1]
      end
    else
      redis.call('HDEL', topic, all[i])
    end
  end
  return out
end
local function live_members(topic, except)
  return live_of(redis.call('HGETALL', topic), topic, except)
end
-- A topic of at most 4 x `size` members is read whole (and cleaned of the dead); a
-- bigger one only in a random draw of 2 x `size`, so a call costs the same whatever
-- the topic's size. The caller samples `size` from what this returns.
local function some_live_members(topic, except, size)
  if redis.call('HLEN', topic) <= 4 * size then return live_members(topic, except) end
  return live_of(redis.call('HRANDFIELD', topic, 2 * size, 'WITHVALUES'), topic, except)
end
""".replace("PROCESS_ID_CHARS", str(PROCESS_ID_CHARS))

# KEYS: topic, own heartbeat. ARGV: heartbeat prefix, member id, member value, TTL,
# sample size. Returns live others (id, value, ...; some_live_members), then adds the
# member.
_JOIN = (
    _ALIVE
    + """
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
local others = some_live_members(KEYS[1], ARGV[2], tonumber(ARGV[5]))
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return others
"""
)

# KEYS: topic. ARGV: heartbeat prefix, member id, notify size. Returns live members
# left (some_live_members), or false if the member was not there.
_LEAVE = (
    _ALIVE
    + """
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return false end
return some_live_members(KEYS[1], nil, tonumber(ARGV[3]))
"""
)

# KEYS: topic. ARGV: heartbeat prefix. Returns every live member.
_MEMBERS = (
    _ALIVE
    + """
return live_members(KEYS[1], nil)
"""
)

# KEYS: topic. ARGV: heartbeat prefix, then member ids. Returns, per id, its value if
# it is a live member, else false.
_LOOKUP = (
    _ALIVE
    + """
local out = {}
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and not is_alive(v) then
    redis.call('HDEL', KEYS[1], ARGV[i])
    v = false
  end
  out[#out + 1] = v
end
return out
"""
)


class RedisTopicRegistry:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        client = link.client
        self._join = client.register_script(_JOIN)
        self._leave = client.register_script(_LEAVE)
        self._members = client.register_script(_MEMBERS)
        self._lookup = client.register_script(_LOOKUP)
        self._joined: dict[bytes, set[bytes]] = {}
        self._sweeping: asyncio.Task[None] | None = None

    def _topic_key(self, topic: bytes) -> str:
        return self.link.key("topic", topic.hex())

    def _value(self, member: Member) -> bytes:
        if len(member.key) != KEY_BYTES:  # protocol.py admits no other size
            raise ValueError("a connection key is 32 bytes")
        return self.link.process_id.encode() + member.key + member.channel_name.encode()

    async def join(self, member: Member, topic: bytes, sample_size: int) -> Joined:
        """Add `member` to `topic`; two uniform samples of the other live members
        (interfaces.TopicRegistry.join)."""
        link = self.link
        keys = [self._topic_key(topic), link.process_key]
        args: list[EncodableT] = [
            link.process_prefix,
            member.id,
            self._value(member),
            link.process_ttl_seconds,
            sample_size,
        ]
        others = _members(await link.call(self._join(keys=keys, args=args)))
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = link.run_in_background(self._sweep_forever())
        self._joined.setdefault(member.id, set()).add(topic)
        return Joined(sample_of(others, sample_size), sample_of(others, sample_size))

    async def leave(self, member_id: bytes, topic: bytes, notify_size: int) -> list[Member]:
        """Remove the member from `topic`; a sample of the members left there, to notify."""
        self._forget(member_id, topic)
        keys = [self._topic_key(topic)]
        args: list[EncodableT] = [self.link.process_prefix, member_id, notify_size]
        left = _members(await self.link.call(self._leave(keys=keys, args=args)))
        return sample_of(left, notify_size)

    async def leave_all(self, member_id: bytes, notify_size: int) -> dict[bytes, list[Member]]:
        """Remove the member from every topic, in one round trip; map topic -> members left."""
        topics = sorted(self._joined.pop(member_id, ()))
        if not topics:
            return {}
        pipe = self.link.client.pipeline(transaction=False)
        for topic in topics:
            keys = [self._topic_key(topic)]
            args: list[EncodableT] = [self.link.process_prefix, member_id, notify_size]
            await self._leave(keys=keys, args=args, client=pipe)  # queued, not sent
        answers = await self.link.call(pipe.execute())
        return {
            topic: sample_of(_members(answer), notify_size)
            for topic, answer in zip(topics, answers, strict=True)
        }

    async def members_of(self, topic: bytes) -> list[Member]:
        keys = [self._topic_key(topic)]
        args: list[EncodableT] = [self.link.process_prefix]
        return _members(await self.link.call(self._members(keys=keys, args=args)))

    async def member_in(self, topic: bytes, member_id: bytes) -> Member | None:
        """The member `member_id` if it is in `topic` (and its process lives), else None."""
        [value] = await self._look_up(topic, member_id)
        return _member(member_id, value) if value else None

    async def peer_in_topic(self, a: bytes, b: bytes, topic: bytes) -> Member | None:
        """The member `b` if both `a` and `b` are in `topic` (and live), else None: one
        round trip for the whole check of a relay."""
        value_a, value_b = await self._look_up(topic, a, b)
        return _member(b, value_b) if value_a and value_b else None

    async def _look_up(self, topic: bytes, *member_ids: bytes) -> list[bytes | None]:
        keys = [self._topic_key(topic)]
        args: list[EncodableT] = [self.link.process_prefix, *member_ids]
        return await self.link.call(self._lookup(keys=keys, args=args))

    async def sweep(self) -> int:
        """Drop the members of dead processes from every topic; how many topics were seen."""
        seen = 0
        async for key in self.link.client.scan_iter(match=self.link.key("topic", "*"), count=500):
            await self.link.call(self._members(keys=[key], args=[self.link.process_prefix]))
            seen += 1
        return seen

    async def _sweep_forever(self) -> None:
        while True:
            # Spread over the hour, so that processes started together do not sweep together.
            await asyncio.sleep(SWEEP_SECONDS * _random.uniform(0.5, 1.5))
            try:
                await self.sweep()
            except Exception:
                logger.warning("sweeping the topics failed", exc_info=True)

    def _forget(self, member_id: bytes, topic: bytes) -> None:
        joined = self._joined.get(member_id)
        if joined is not None:
            joined.discard(topic)
            if not joined:
                del self._joined[member_id]


def _members(flat: list[bytes] | None) -> list[Member]:
    flat = flat or []
    return [_member(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _member(member_id: bytes, value: bytes) -> Member:
    key_end = PROCESS_ID_CHARS + KEY_BYTES
    return Member(
        id=member_id,
        key=value[PROCESS_ID_CHARS:key_end],
        channel_name=value[key_end:].decode(),
    )
