"""The Redis-backed topic registry and wake buckets against a real redis-server.

Each RedisLink here stands for one server process: two links are two processes sharing
one Redis. Heartbeats are short so that a dead process expires within a test.
"""

import asyncio
import os
import time

import pytest

from signal_server.state.errors import Unavailable
from signal_server.state.interfaces import Joined, Member
from signal_server.state.redis.buckets import RedisBucketRegistry
from signal_server.state.redis.topics import RedisTopicRegistry

from .conftest import PROCESS_TTL

# How long a condition is waited for: a bound, not a measurement.
WAIT_SECONDS = 10


def member() -> Member:
    return Member(id=os.urandom(16), key=os.urandom(32), channel_name=f"c.{os.urandom(4).hex()}")


async def wait_until(condition, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_join_returns_the_others_and_members_come_back_whole(new_link):
    registry = RedisTopicRegistry(new_link())
    topic, a, b = os.urandom(32), member(), member()
    assert await registry.join(a, topic, 32) == Joined([], [])
    assert await registry.join(b, topic, 32) == Joined([a], [a])
    assert sorted(await registry.members_of(topic), key=lambda m: m.id) == sorted(
        [a, b], key=lambda m: m.id
    )
    # Joining again is a fresh sample, without oneself.
    assert await registry.join(a, topic, 32) == Joined([b], [b])


async def test_the_sample_is_capped_and_uniform(new_link):
    registry = RedisTopicRegistry(new_link())
    topic = os.urandom(32)
    others = [member() for _ in range(6)]
    for other in others:
        await registry.join(other, topic, 32)
    me, seen = member(), set()
    for _ in range(60):
        joined = await registry.join(me, topic, 2)
        sample = joined.sample
        assert len(sample) == 2 and me not in sample
        assert len(joined.announce_to) == 2 and me not in joined.announce_to
        seen.update(m.id for m in sample)
    # 60 samples of 2 out of 6 miss one member with probability about 6 * (2/3)^60.
    assert seen == {m.id for m in others}


async def test_leave_returns_who_is_left_and_forgets_the_member(new_link):
    registry = RedisTopicRegistry(new_link())
    topic, a, b = os.urandom(32), member(), member()
    await registry.join(a, topic, 32)
    await registry.join(b, topic, 32)
    assert await registry.leave(a.id, topic, 32) == [b]
    assert await registry.leave(a.id, topic, 32) == []  # not there any more
    assert await registry.member_in(topic, a.id) is None
    assert await registry.leave(b.id, topic, 32) == []
    assert await registry.members_of(topic) == []


async def test_leave_all_leaves_every_topic_in_one_go(new_link):
    registry = RedisTopicRegistry(new_link())
    t1, t2, a, b = os.urandom(32), os.urandom(32), member(), member()
    for topic in (t1, t2):
        await registry.join(a, topic, 32)
    await registry.join(b, t2, 32)
    assert await registry.leave_all(a.id, 32) == {t1: [], t2: [b]}
    assert await registry.leave_all(a.id, 32) == {}
    assert await registry.members_of(t2) == [b]


async def test_member_in_and_shares_topic_see_only_the_topic(new_link):
    registry = RedisTopicRegistry(new_link())
    t1, t2, a, b, c = os.urandom(32), os.urandom(32), member(), member(), member()
    await registry.join(a, t1, 32)
    await registry.join(b, t1, 32)
    await registry.join(c, t2, 32)
    assert await registry.member_in(t1, b.id) == b
    assert await registry.member_in(t1, c.id) is None
    assert await registry.peer_in_topic(a.id, b.id, t1) == b
    assert not await registry.peer_in_topic(a.id, c.id, t1)
    assert not await registry.peer_in_topic(a.id, c.id, t2)
    assert not await registry.peer_in_topic(a.id, os.urandom(16), t1)


async def test_two_processes_see_each_others_members(new_link):
    one, two = RedisTopicRegistry(new_link()), RedisTopicRegistry(new_link())
    topic, a, b = os.urandom(32), member(), member()
    await one.join(a, topic, 32)
    assert await two.join(b, topic, 32) == Joined([a], [a])
    assert await one.member_in(topic, b.id) == b
    assert await two.peer_in_topic(b.id, a.id, topic) == a
    assert await two.leave(b.id, topic, 32) == [a]


async def test_members_of_a_dead_process_are_dropped_once_its_heartbeat_expires(
    new_link, redis_server
):
    alive, dying = new_link(), new_link()
    one, two = RedisTopicRegistry(alive), RedisTopicRegistry(dying)
    topic, a, b = os.urandom(32), member(), member()
    await one.join(a, topic, 32)
    await two.join(b, topic, 32)
    assert len(await one.members_of(topic)) == 2
    # The process dies: its heartbeat stops, nothing of it leaves its topics.
    dying._beating.cancel()

    async def only_a_is_left() -> bool:
        return await one.members_of(topic) == [a]

    await wait_until(only_a_is_left)
    # ... and the dead member was deleted from Redis, not just hidden.
    topic_key = one._topic_key(topic)
    assert await alive.client.hkeys(topic_key) == [a.id]
    assert await one.join(member(), topic, 32) == Joined([a], [a])
    assert await one.member_in(topic, b.id) is None


async def test_the_sweep_cleans_topics_that_nobody_touches_again(new_link):
    alive, dying = new_link(), new_link()
    one, two = RedisTopicRegistry(alive), RedisTopicRegistry(dying)
    kept, abandoned, a = os.urandom(32), os.urandom(32), member()
    await one.join(a, kept, 32)
    for _ in range(3):
        await two.join(member(), abandoned, 32)
        await two.join(member(), kept, 32)
    dying._beating.cancel()
    await asyncio.sleep(PROCESS_TTL + 0.5)
    assert await one.sweep() == 2
    assert not await alive.client.exists(one._topic_key(abandoned))
    assert await alive.client.hkeys(one._topic_key(kept)) == [a.id]


async def test_a_live_process_stays_a_member_long_after_the_ttl(new_link):
    one, two = RedisTopicRegistry(new_link()), RedisTopicRegistry(new_link())
    topic, a, b = os.urandom(32), member(), member()
    await one.join(a, topic, 32)
    await two.join(b, topic, 32)
    await asyncio.sleep(PROCESS_TTL * 2.5)
    assert await one.member_in(topic, b.id) == b


async def test_redis_going_away_is_unavailable_and_tells_the_watchers(new_link, redis_server):
    link = new_link()
    registry = RedisTopicRegistry(link)
    lost = asyncio.Event()
    link.watch(lost.set)
    topic = os.urandom(32)
    await registry.join(member(), topic, 32)
    old_id = link.process_id
    redis_server.stop()
    with pytest.raises(Unavailable):
        await asyncio.wait_for(registry.join(member(), topic, 32), WAIT_SECONDS)
    await asyncio.wait_for(lost.wait(), WAIT_SECONDS)
    assert not link.healthy
    assert link.process_id != old_id  # what Redis may still hold under the old id expires
    assert not await link.ping()

    redis_server.start()

    async def healthy() -> bool:
        return link.healthy and await link.ping()

    await wait_until(healthy)
    assert await registry.join(member(), topic, 32) == Joined([], [])  # Redis came back empty


async def test_a_redis_restart_between_heartbeats_tells_the_watchers(new_link, redis_server):
    link = new_link()
    registry = RedisTopicRegistry(link)
    await registry.join(member(), os.urandom(32), 32)
    await asyncio.sleep(0.3)  # a few heartbeats
    lost = asyncio.Event()
    link.watch(lost.set)
    # Restarted without a heartbeat failing in between: the heartbeat key is missing.
    await link.client.flushall()
    await asyncio.wait_for(lost.wait(), WAIT_SECONDS)


async def test_a_shared_bucket_holds_across_processes(new_link):
    one = RedisBucketRegistry(new_link(), "wake", rate=0.001, burst=3)
    two = RedisBucketRegistry(new_link(), "wake", rate=0.001, burst=3)
    mailbox = os.urandom(32)
    assert [await one.take(mailbox), await two.take(mailbox), await one.take(mailbox)] == [True] * 3
    assert not await two.take(mailbox)
    assert not await one.take(mailbox)
    assert await two.take(os.urandom(32))  # another key has its own budget


async def test_a_shared_bucket_refills_and_expires_when_full(new_link):
    link = new_link()
    bucket = RedisBucketRegistry(link, "wake", rate=20, burst=2)
    key = os.urandom(32)
    assert await bucket.take(key) and await bucket.take(key)
    assert not await bucket.take(key)
    await asyncio.sleep(0.2)  # 4 tokens' worth at 20/s; the bucket holds 2
    assert await bucket.take(key) and await bucket.take(key)
    assert not await bucket.take(key)
    # Its key expires about when it would be full again (+ 1 s), so idle keys go.
    ttl_ms = await link.client.pttl(bucket._prefix + key.hex())
    assert 0 < ttl_ms <= 2100


async def test_a_bucket_is_unavailable_without_redis(new_link, redis_server):
    bucket = RedisBucketRegistry(new_link(), "wake", rate=1, burst=1)
    redis_server.stop()
    with pytest.raises(Unavailable):
        await asyncio.wait_for(bucket.take(os.urandom(32)), WAIT_SECONDS)
