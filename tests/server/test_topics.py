"""The in-memory topic registry on its own: membership, samples, leaving (both backends:
test_state_contract.py)."""

import os

from signal_server.state.interfaces import Joined, Member
from signal_server.state.memory import MemoryTopicRegistry as TopicRegistry


def member(n: int) -> Member:
    return Member(id=os.urandom(16), key=os.urandom(32), channel_name=f"channel-{n}")


TOPIC, OTHER_TOPIC = os.urandom(32), os.urandom(32)


async def test_join_returns_the_others_never_self():
    registry = TopicRegistry()
    a, b, c = member(1), member(2), member(3)
    assert await registry.join(a, TOPIC, 32) == Joined([], [])
    assert await registry.join(b, TOPIC, 32) == Joined([a], [a])
    joined = await registry.join(c, TOPIC, 32)
    for found in (joined.sample, joined.announce_to):
        assert sorted(found, key=lambda m: m.id) == sorted([a, b], key=lambda m: m.id)
    # Joining again answers a fresh sample and does not add the member twice.
    assert len((await registry.join(a, TOPIC, 32)).sample) == 2
    assert len(await registry.members_of(TOPIC)) == 3


async def test_a_small_topic_is_announced_to_everyone_a_big_one_to_a_sample():
    registry = TopicRegistry()
    members = sorted((member(n) for n in range(10)), key=lambda m: m.id)
    for m in members:
        await registry.join(m, TOPIC, 32)
    joined = await registry.join(member(99), TOPIC, 32)
    assert sorted(joined.announce_to, key=lambda m: m.id) == members
    joined = await registry.join(member(100), TOPIC, 3)
    assert len(joined.sample) == len(joined.announce_to) == 3
    assert len(await registry.leave(members[0].id, TOPIC, 3)) == 3


async def test_sample_is_bounded_and_varies():
    registry = TopicRegistry()
    members = [member(n) for n in range(40)]
    for m in members:
        await registry.join(m, TOPIC, 32)
    newcomer = member(99)
    seen = set()
    for _ in range(20):
        sample = (await registry.join(newcomer, TOPIC, 5)).sample
        assert len(sample) == 5
        assert len({m.id for m in sample}) == 5
        assert newcomer not in sample
        seen.update(m.id for m in sample)
    # 20 samples of 5 out of 40 covering at most 15 members would be astronomically
    # unlikely if the sample were uniform (and is certain if it were always the same).
    assert len(seen) > 15


async def test_leave_returns_who_remains_and_forgets_empty_topics():
    registry = TopicRegistry()
    a, b = member(1), member(2)
    await registry.join(a, TOPIC, 32)
    await registry.join(b, TOPIC, 32)
    assert await registry.leave(a.id, TOPIC, 32) == [b]
    assert await registry.leave(a.id, TOPIC, 32) == []  # not a member any more
    assert await registry.leave(b.id, TOPIC, 32) == []
    assert registry._topics == {} and registry._joined == {}


async def test_leave_all_and_peer_in_topic():
    registry = TopicRegistry()
    a, b, c = member(1), member(2), member(3)
    await registry.join(a, TOPIC, 32)
    await registry.join(a, OTHER_TOPIC, 32)
    await registry.join(b, TOPIC, 32)
    await registry.join(c, OTHER_TOPIC, 32)
    assert await registry.peer_in_topic(a.id, b.id, TOPIC) == b
    assert not await registry.peer_in_topic(a.id, b.id, OTHER_TOPIC)
    assert not await registry.peer_in_topic(b.id, c.id, TOPIC)
    assert await registry.member_in(TOPIC, b.id) == b
    assert await registry.member_in(OTHER_TOPIC, b.id) is None
    assert await registry.leave_all(a.id, 32) == {TOPIC: [b], OTHER_TOPIC: [c]}
    assert not await registry.peer_in_topic(a.id, b.id, TOPIC)
    assert await registry.members_of(TOPIC) == [b]


async def test_joins_and_leaves_in_any_order_keep_the_samples_to_who_is_there():
    registry = TopicRegistry()
    members = [member(n) for n in range(60)]
    present: set[bytes] = set()
    for step, m in enumerate(members * 2):  # each joins, later leaves, in shuffled turns
        if m.id in present and step % 3:
            await registry.leave(m.id, TOPIC, 8)
            present.discard(m.id)
            continue
        joined = await registry.join(m, TOPIC, 8)
        for found in (joined.sample, joined.announce_to):
            assert {x.id for x in found} <= present - {m.id}
            assert len(found) == min(8, len(present - {m.id}))
        present.add(m.id)
        assert {x.id for x in await registry.members_of(TOPIC)} == present
    for m_id in list(present):
        told = await registry.leave(m_id, TOPIC, 8)
        present.discard(m_id)
        assert {x.id for x in told} <= present and len(told) == min(8, len(present))
    assert registry._topics == {}
