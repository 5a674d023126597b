"""Which connections are in which topic, for the rendezvous server.

`registry` below is the one registry of this process: every SignalConsumer of the
process reads and writes it, which is what lets two connections find each other.
`TopicRegistry` keeps it in process memory, the default. With settings.REDIS_URL set it
is a redis_topics.RedisTopicRegistry instead, with the same coroutine methods, so that
connections of several server processes find each other. Tests replace `registry`
with a fresh TopicRegistry.

A member is known by its connection id. The registry stores the channel name (to relay
through the channel layer) and the connection public key (to announce to others); it
never sees anything of the rooms behind the topics.
"""

import random
from dataclasses import dataclass

_random = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Member:
    id: bytes
    key: bytes
    channel_name: str


@dataclass(frozen=True, slots=True)
class Joined:
    """What a join found: the `peers` answer, and everyone to announce the newcomer to."""

    sample: list[Member]  # a uniform sample of the others, at most the sample size
    others: list[Member]  # every other member at the moment of joining


def sample_of(members: list[Member], size: int) -> list[Member]:
    return _random.sample(members, min(size, len(members)))


class TopicRegistry:
    def __init__(self) -> None:
        self._topics: dict[bytes, dict[bytes, Member]] = {}
        self._joined: dict[bytes, set[bytes]] = {}

    async def join(self, member: Member, topic: bytes, sample_size: int) -> Joined:
        """Add `member` to `topic`; the others there, and a uniform sample of them.

        The sample never holds more than `sample_size` members, so no client can list
        a large topic in one answer. The others are those who learn of the newcomer:
        exactly the members there before it, so that whoever joins later learns of it
        from its own sample, never twice.
        """
        members = self._topics.setdefault(topic, {})
        others = [other for other_id, other in members.items() if other_id != member.id]
        members[member.id] = member
        self._joined.setdefault(member.id, set()).add(topic)
        return Joined(sample_of(others, sample_size), others)

    async def leave(self, member_id: bytes, topic: bytes) -> list[Member]:
        """Remove the member from `topic`; return the members left there, to notify."""
        members = self._topics.get(topic, {})
        if members.pop(member_id, None) is None:
            return []
        joined = self._joined.get(member_id)
        if joined is not None:
            joined.discard(topic)
            if not joined:
                del self._joined[member_id]
        if not members:
            self._topics.pop(topic, None)
        return list(members.values())

    async def leave_all(self, member_id: bytes) -> dict[bytes, list[Member]]:
        """Remove the member from every topic; map each topic to the members left."""
        left = {}
        for topic in sorted(self._joined.get(member_id, ())):
            left[topic] = await self.leave(member_id, topic)
        return left

    async def members_of(self, topic: bytes) -> list[Member]:
        return list(self._topics.get(topic, {}).values())

    async def member_in(self, topic: bytes, member_id: bytes) -> Member | None:
        """The member `member_id` if it is in `topic`, else None."""
        return self._topics.get(topic, {}).get(member_id)

    async def peer_in_topic(self, a: bytes, b: bytes, topic: bytes) -> Member | None:
        """The member `b` if both `a` and `b` are in `topic`, else None."""
        members = self._topics.get(topic, {})
        return members.get(b) if a in members else None


def _registry_for_settings():
    from django.conf import settings

    if settings.REDIS_URL:
        # Imported here: redis is an optional dependency, and redis_topics needs Member.
        from signal_server import redis_link, redis_topics

        return redis_topics.RedisTopicRegistry(redis_link.link())
    return TopicRegistry()


registry = _registry_for_settings()
