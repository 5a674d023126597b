"""The shared state in this process's memory: the default, for one server process.

`MemoryState` bundles a topic registry, per-address counts, keyed wake buckets, the
mirror service's registration and a relay that has no other process to reach; each
implements its Protocol in interfaces.py. Nothing here can be unreachable, so nothing
raises errors.Unavailable. Every structure forgets a key as soon as it holds nothing (a
topic without members, an address without connections; full buckets,
limits.BucketRegistry), so the state is as large as what is connected.
"""

import logging
from dataclasses import dataclass

from signal_server import local_delivery
from signal_server.limits import BucketRegistry
from signal_server.state.interfaces import Event, Joined, Member, OnLost, sample_of

logger = logging.getLogger(__name__)


class _Topic:
    """A topic's members, also as a list (with each one's place in it), so that a sample
    costs the same whatever the topic's size: no join or leave copies the topic."""

    def __init__(self) -> None:
        self.members: dict[bytes, Member] = {}
        self.order: list[Member] = []
        self.at: dict[bytes, int] = {}

    def add(self, member: Member) -> None:
        if member.id in self.at:
            self.order[self.at[member.id]] = member
        else:
            self.at[member.id] = len(self.order)
            self.order.append(member)
        self.members[member.id] = member

    def remove(self, member_id: bytes) -> bool:
        if self.members.pop(member_id, None) is None:
            return False
        place, last = self.at.pop(member_id), self.order.pop()
        if place < len(self.order):  # the last one takes the place of the one gone
            self.order[place] = last
            self.at[last.id] = place
        return True

    def sample(self, size: int, except_id: bytes | None = None) -> list[Member]:
        drawn = sample_of(self.order, size + (except_id in self.at))
        return [member for member in drawn if member.id != except_id][:size]


class MemoryTopicRegistry:
    def __init__(self) -> None:
        self._topics: dict[bytes, _Topic] = {}
        self._joined: dict[bytes, set[bytes]] = {}

    async def join(self, member: Member, topic: bytes, sample_size: int) -> Joined:
        members = self._topics.setdefault(topic, _Topic())
        joined = Joined(
            members.sample(sample_size, member.id), members.sample(sample_size, member.id)
        )
        members.add(member)
        self._joined.setdefault(member.id, set()).add(topic)
        return joined

    async def leave(self, member_id: bytes, topic: bytes, notify_size: int) -> list[Member]:
        members = self._topics.get(topic)
        if members is None or not members.remove(member_id):
            return []
        joined = self._joined.get(member_id)
        if joined is not None:
            joined.discard(topic)
            if not joined:
                del self._joined[member_id]
        if not members.members:
            self._topics.pop(topic, None)
        return members.sample(notify_size)

    async def leave_all(self, member_id: bytes, notify_size: int) -> dict[bytes, list[Member]]:
        left = {}
        for topic in sorted(self._joined.get(member_id, ())):
            left[topic] = await self.leave(member_id, topic, notify_size)
        return left

    async def members_of(self, topic: bytes) -> list[Member]:
        found = self._topics.get(topic)
        return list(found.members.values()) if found else []

    async def member_in(self, topic: bytes, member_id: bytes) -> Member | None:
        found = self._topics.get(topic)
        return found.members.get(member_id) if found else None

    async def peer_in_topic(self, a: bytes, b: bytes, topic: bytes) -> Member | None:
        found = self._topics.get(topic)
        return found.members.get(b) if found and a in found.members else None


@dataclass(slots=True)
class _Usage:
    connections: int = 0
    topics: int = 0


class MemoryAddressRegistry:
    def __init__(self) -> None:
        self._usage: dict[str, _Usage] = {}

    async def connections(self, address: str) -> int:
        usage = self._usage.get(address)
        return usage.connections if usage else 0

    async def topics(self, address: str) -> int:
        usage = self._usage.get(address)
        return usage.topics if usage else 0

    async def add_connection(self, address: str, cap: int | None = None) -> int:
        return self._add(address, "connections", cap)

    async def remove_connection(self, address: str, topics: int) -> None:
        usage = self._usage.get(address)
        if usage is not None:
            usage.connections -= 1
            usage.topics -= topics
            self._forget_if_unused(address, usage)

    async def add_topic(self, address: str, cap: int | None = None) -> int:
        return self._add(address, "topics", cap)

    async def remove_topic(self, address: str) -> None:
        usage = self._usage.get(address)
        if usage is not None:
            usage.topics -= 1
            self._forget_if_unused(address, usage)

    def _add(self, address: str, counter: str, cap: int | None) -> int:
        usage = self._usage.setdefault(address, _Usage())
        before: int = getattr(usage, counter)
        if cap is None or before < cap:
            setattr(usage, counter, before + 1)
        self._forget_if_unused(address, usage)
        return before

    def _forget_if_unused(self, address: str, usage: _Usage) -> None:
        if usage.connections <= 0 and usage.topics <= 0:
            del self._usage[address]

    def __len__(self) -> int:
        return len(self._usage)


class MemoryBuckets:
    """A limits.BucketRegistry behind the coroutine `take` of interfaces.KeyedBuckets."""

    def __init__(self, buckets: BucketRegistry) -> None:
        self.buckets = buckets

    async def take(self, key: bytes) -> bool:
        return self.buckets.take(key)


class MemoryMirrorDirectory:
    def __init__(self) -> None:
        self._current: Member | None = None

    async def register(self, member: Member) -> None:
        self._current = member

    async def current(self) -> Member | None:
        return self._current

    async def unregister(self, member_id: bytes) -> None:
        if self._current is not None and self._current.id == member_id:
            self._current = None


class LocalRelay:
    """No other process: a channel name not held here belongs to a closed connection."""

    def new_channel_name(self) -> str:
        return local_delivery.new_channel_name()

    async def check_ready(self) -> None:
        return None

    async def publish(self, channel_name: str, event: Event) -> None:
        logger.debug("no receiver for a %s event; dropped", event["type"])

    def watch(self, on_lost: OnLost) -> None:
        return None  # process memory is lost only with the process

    def unwatch(self, on_lost: OnLost) -> None:
        return None

    async def health(self) -> tuple[bool, str]:
        return True, "not used"


class MemoryState:
    def __init__(self) -> None:
        self.topics = MemoryTopicRegistry()
        self.addresses = MemoryAddressRegistry()
        self.mirrors = MemoryMirrorDirectory()
        self.relay = LocalRelay()
        self._buckets: dict[tuple[str, float, int], MemoryBuckets] = {}

    def buckets(self, name: str, rate: float, burst: int) -> MemoryBuckets:
        key = (name, rate, burst)
        if key not in self._buckets:
            self._buckets[key] = MemoryBuckets(BucketRegistry(rate, burst))
        return self._buckets[key]

    async def close(self) -> None:
        return None
