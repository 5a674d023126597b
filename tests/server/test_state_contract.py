"""One contract, both backends: every test here runs against the in-memory state
(state/memory.py) and the Redis state (state/redis/, on a real redis-server of the
test session), through the interfaces of state/interfaces.py only.

Where the backends differ, they differ by a capability, declared once in `Backend`
below, not by name: whether the state is shared with other processes (Redis: an event
published by one process reaches a connection of another; memory: there is no other
process, and the event is dropped as for a channel name nobody holds), and whether it
can be lost while the process runs (Redis: an outage tells the watchers and refuses new
connections; process memory goes only with the process). Each backend says how to make
a second process and an outage of its own.

What only one backend does in depth (Redis forgetting the members of a dead process, a
Redis that comes back) is tested with that backend: tests/scaleout/.
"""

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import pytest

from e2e.redis_server import RedisServer
from signal_server import local_delivery
from signal_server.state.errors import Unavailable
from signal_server.state.interfaces import Event, Joined, Member, SharedState
from signal_server.state.memory import MemoryState

from .conftest import redis_state

pytestmark = pytest.mark.parametrize("backend", ["memory", "redis"], indirect=True)

ADDRESS, OTHER_ADDRESS = "198.51.100.7", "2001:db8::/64"
# A refill so slow that no token comes back within a test.
NO_REFILL = 0.0001
# How long a test waits for what must happen (an event, a watcher): generous for a busy
# machine; only a broken backend ever waits this long.
WAIT_SECONDS = 10


@dataclass
class Backend:
    """One implementation of the shared state, and what the contract expects of it."""

    new_state: Callable[[], SharedState]
    # Another process's state: on the same Redis (same key prefix), or, for memory,
    # another process's memory, which shares nothing with this one.
    another_process: Callable[[SharedState], SharedState]
    # An outage of the shared state while the test's block runs: Redis stops answering
    # (its process is frozen, as behind a network partition: commands time out while an
    # idle subscription notices nothing); process memory cannot go, so nothing happens.
    outage: Callable[[], AbstractAsyncContextManager[None]]
    shared_between_processes: bool
    can_be_lost: bool
    made: list[SharedState] = field(default_factory=list)

    def track(self, state: SharedState) -> SharedState:
        self.made.append(state)
        return state


@asynccontextmanager
async def nothing_happens() -> AsyncIterator[None]:
    yield


def memory_backend() -> Backend:
    return Backend(
        new_state=MemoryState,
        another_process=lambda _: MemoryState(),
        outage=nothing_happens,
        shared_between_processes=False,
        can_be_lost=False,
    )


def redis_backend(server: RedisServer) -> Backend:
    def another_process(state: SharedState) -> SharedState:
        from signal_server.state.redis.backend import RedisState
        from signal_server.state.redis.link import RedisLink

        assert isinstance(state, RedisState)
        return RedisState(RedisLink(server.url, prefix=state.link.prefix, heartbeat_seconds=0.5))

    @asynccontextmanager
    async def frozen() -> AsyncIterator[None]:
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(server.process.pid, signal.SIGCONT)

    return Backend(
        new_state=lambda: redis_state(server.url),
        another_process=another_process,
        outage=frozen,
        shared_between_processes=True,
        can_be_lost=True,
    )


@pytest.fixture
async def backend(request) -> AsyncIterator[Backend]:
    if request.param == "memory":
        made = memory_backend()
    else:
        made = redis_backend(request.getfixturevalue("redis_for_tests"))
    yield made
    for state in made.made:
        await state.close()


@pytest.fixture
def state(backend: Backend) -> SharedState:
    return backend.track(backend.new_state())


def member(n: int = 0) -> Member:
    return Member(id=os.urandom(16), key=os.urandom(32), channel_name=f"inbox!{n}")


def by_id(members: list[Member]) -> list[Member]:
    return sorted(members, key=lambda m: m.id)


def topic() -> bytes:
    return os.urandom(32)


# Topics.


async def test_a_join_finds_the_others_never_itself_and_members_come_back_whole(state):
    topics, t, a, b, c = state.topics, topic(), member(1), member(2), member(3)
    assert await topics.join(a, t, 32) == Joined([], [])
    assert await topics.join(b, t, 32) == Joined([a], [a])
    joined = await topics.join(c, t, 32)
    assert by_id(joined.sample) == by_id(joined.announce_to) == by_id([a, b])
    assert by_id(await topics.members_of(t)) == by_id([a, b, c])


async def test_joining_again_is_a_fresh_sample_and_no_second_membership(state):
    topics, t, a, b = state.topics, topic(), member(1), member(2)
    await topics.join(a, t, 32)
    await topics.join(b, t, 32)
    assert await topics.join(a, t, 32) == Joined([b], [b])
    assert len(await topics.members_of(t)) == 2


async def test_a_topic_within_the_sample_size_is_announced_to_whole(state):
    topics, t = state.topics, topic()
    others = [member(n) for n in range(7)]
    for other in others:
        await topics.join(other, t, 32)
    newcomer = member(99)
    joined = await topics.join(newcomer, t, 7)
    assert by_id(joined.sample) == by_id(joined.announce_to) == by_id(others)
    assert by_id(await topics.leave(others[0].id, t, 7)) == by_id([*others[1:], newcomer])


async def test_a_big_topic_answers_joins_and_leaves_with_bounded_samples(state):
    # 200 members and samples of 8: beyond 4 x 8, the Redis scripts draw at random
    # rather than read the topic whole.
    topics, t = state.topics, topic()
    others = [member(n) for n in range(200)]
    for other in others:
        await topics.join(other, t, 8)
    ids = {m.id for m in others}
    seen: set[bytes] = set()
    for n in range(10):
        newcomer = member(1000 + n)
        joined = await topics.join(newcomer, t, 8)
        for found in (joined.sample, joined.announce_to):
            assert len(found) == 8 and len({m.id for m in found}) == 8
            assert {m.id for m in found} <= ids
            seen.update(m.id for m in found)
        ids.add(newcomer.id)
        notified = await topics.leave(newcomer.id, t, 8)
        ids.discard(newcomer.id)
        assert len(notified) == 8 and {m.id for m in notified} <= ids
    # 20 draws of 8 out of 200 that covered at most 40 members would be astronomically
    # unlikely for uniform draws, and certain for a fixed or truncated list.
    assert len(seen) > 40
    assert len(await topics.members_of(t)) == 200


async def test_leave_answers_whom_to_tell_and_forgets_the_member(state):
    topics, t, a, b = state.topics, topic(), member(1), member(2)
    await topics.join(a, t, 32)
    await topics.join(b, t, 32)
    assert await topics.leave(a.id, t, 32) == [b]
    assert await topics.leave(a.id, t, 32) == []  # not there any more
    assert await topics.member_in(t, a.id) is None
    assert await topics.leave(b.id, t, 32) == []
    assert await topics.members_of(t) == []


async def test_leave_all_leaves_every_topic_of_the_member_and_no_other(state):
    topics, t1, t2, t3 = state.topics, topic(), topic(), topic()
    a, b, c = member(1), member(2), member(3)
    for t in (t1, t2):
        await topics.join(a, t, 32)
    await topics.join(b, t1, 32)
    await topics.join(c, t3, 32)
    assert await topics.leave_all(a.id, 32) == {t1: [b], t2: []}
    assert await topics.leave_all(a.id, 32) == {}
    assert await topics.members_of(t1) == [b]
    assert await topics.members_of(t3) == [c]


async def test_member_in_and_peer_in_topic_need_both_in_that_topic(state):
    topics, t, elsewhere, a, b = state.topics, topic(), topic(), member(1), member(2)
    await topics.join(a, t, 32)
    assert await topics.member_in(t, a.id) == a
    assert await topics.peer_in_topic(a.id, b.id, t) is None  # b is not in t
    await topics.join(b, elsewhere, 32)
    assert await topics.peer_in_topic(a.id, b.id, t) is None  # b is, elsewhere
    await topics.join(b, t, 32)
    assert await topics.peer_in_topic(a.id, b.id, t) == b
    assert await topics.peer_in_topic(b.id, a.id, t) == a
    await topics.leave(a.id, t, 32)
    assert await topics.peer_in_topic(a.id, b.id, t) is None  # a has gone
    assert await topics.member_in(elsewhere, a.id) is None


# Per-address counts.


async def test_connections_are_counted_up_to_the_cap_and_never_past_it(state):
    addresses = state.addresses
    assert [await addresses.add_connection(ADDRESS, 2) for _ in range(4)] == [0, 1, 2, 2]
    assert await addresses.connections(ADDRESS) == 2
    assert await addresses.connections(OTHER_ADDRESS) == 0


async def test_topic_memberships_are_counted_up_to_the_cap_and_removed(state):
    addresses = state.addresses
    await addresses.add_connection(ADDRESS)
    assert [await addresses.add_topic(ADDRESS, 2) for _ in range(3)] == [0, 1, 2]
    assert await addresses.topics(ADDRESS) == 2
    await addresses.remove_topic(ADDRESS)
    assert await addresses.topics(ADDRESS) == 1
    assert await addresses.add_topic(ADDRESS, 2) == 1


async def test_without_a_cap_everything_is_counted(state):
    addresses = state.addresses
    for expected in range(5):
        assert await addresses.add_connection(ADDRESS) == expected
        assert await addresses.add_topic(ADDRESS, None) == expected


async def test_a_closed_connection_takes_its_memberships_with_it(state):
    addresses = state.addresses
    for _ in range(2):
        await addresses.add_connection(ADDRESS)
    for _ in range(3):
        await addresses.add_topic(ADDRESS)
    await addresses.add_connection(OTHER_ADDRESS)
    await addresses.remove_connection(ADDRESS, topics=2)
    assert (await addresses.connections(ADDRESS), await addresses.topics(ADDRESS)) == (1, 1)
    await addresses.remove_connection(ADDRESS, topics=1)
    assert (await addresses.connections(ADDRESS), await addresses.topics(ADDRESS)) == (0, 0)
    assert await addresses.connections(OTHER_ADDRESS) == 1


# Keyed buckets.


async def test_a_bucket_gives_its_burst_then_refuses_and_keys_are_apart(state):
    buckets = state.buckets("wake", NO_REFILL, 3)
    assert [await buckets.take(b"mailbox-1") for _ in range(4)] == [True, True, True, False]
    assert await buckets.take(b"mailbox-2")
    assert not await buckets.take(b"mailbox-1")


async def test_the_same_buckets_are_shared_and_other_names_or_rates_are_apart(state):
    shared = state.buckets("wake", NO_REFILL, 1)
    assert state.buckets("wake", NO_REFILL, 1) is shared
    assert await shared.take(b"m")
    assert not await state.buckets("wake", NO_REFILL, 1).take(b"m")
    assert await state.buckets("other", NO_REFILL, 1).take(b"m")
    assert await state.buckets("wake", NO_REFILL, 2).take(b"m")


# The mirror service's registration.


async def test_the_latest_registration_is_the_mirror_until_it_unregisters(state):
    mirrors, a, b = state.mirrors, member(1), member(2)
    assert await mirrors.current() is None
    await mirrors.register(a)
    assert await mirrors.current() == a  # whole: id, key and channel name
    await mirrors.register(b)
    assert await mirrors.current() == b
    await mirrors.unregister(a.id)  # replaced already: takes nothing with it
    assert await mirrors.current() == b
    await mirrors.register(a)  # a replaced one may take over again
    assert await mirrors.current() == a
    await mirrors.unregister(a.id)
    assert await mirrors.current() is None
    await mirrors.unregister(a.id)  # twice is harmless
    await mirrors.unregister(b.id)
    assert await mirrors.current() is None


async def test_another_process_sees_the_mirror_if_they_share_the_state(backend, state):
    other = backend.track(backend.another_process(state))
    mine, theirs = member(1), member(2)
    await state.mirrors.register(mine)
    if backend.shared_between_processes:
        assert await other.mirrors.current() == mine
        await other.mirrors.register(theirs)  # the latest wins, whichever process
        assert await state.mirrors.current() == theirs
        await state.mirrors.unregister(mine.id)
        assert await other.mirrors.current() == theirs
        await other.mirrors.unregister(theirs.id)
        assert await state.mirrors.current() is None
    else:
        assert await other.mirrors.current() is None
        assert await state.mirrors.current() == mine


# The relay to other processes.


async def test_channel_names_are_new_each_time_and_the_relay_is_ready(state):
    relay = state.relay
    names = {relay.new_channel_name() for _ in range(50)}
    assert len(names) == 50
    await relay.check_ready()
    ok, _ = await relay.health()
    assert ok


async def test_an_event_for_a_connection_that_is_gone_is_dropped_quietly(state):
    relay = state.relay
    event = {"type": "topic.left", "topic": topic(), "id": os.urandom(16)}
    await relay.publish(relay.new_channel_name(), event)  # this process's, closed
    await relay.publish("0123456789abcdef!gone", event)  # a process that is not there


async def test_a_watcher_is_not_called_while_the_state_is_there_and_can_unwatch(state):
    relay, calls = state.relay, []

    def on_lost() -> None:
        calls.append("lost")

    relay.watch(on_lost)
    await relay.check_ready()
    relay.unwatch(on_lost)
    relay.unwatch(on_lost)  # twice is harmless
    assert calls == []


class Received:
    """A connection's inbox handler (local_delivery.py) that keeps every event."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Event] = asyncio.Queue()

    async def __call__(self, event: Event) -> None:
        self.events.put_nowait(event)

    async def next(self) -> Event:
        return await asyncio.wait_for(self.events.get(), WAIT_SECONDS)


async def test_an_event_for_another_process_reaches_it_if_they_share_the_state(backend, state):
    other = backend.track(backend.another_process(state))
    received = Received()
    inbox = local_delivery.Inbox(other.relay.new_channel_name(), received)
    try:
        await other.relay.check_ready()  # it hears the others now
        events: list[Event] = [
            {"type": "relay.signal", "topic": topic(), "text": '{"type":"signal"}'},
            {"type": "topic.left", "topic": topic(), "id": os.urandom(16)},
            {
                "type": "mirror.request",
                "id": os.urandom(16),
                "key": os.urandom(32),
                "blob": "AAAA",
                "reply_to": "0123456789abcdef!0123456789abcdef",
            },
            {"type": "mirror.reply", "text": '{"type":"mirror-reply","blob":"AAAA"}'},
        ]
        for event in events:
            await state.relay.publish(inbox.channel_name, event)
        if backend.shared_between_processes:
            assert [await received.next() for _ in events] == events  # whole, in order
        else:
            # No process shares this memory: the name is no connection of this state's,
            # so the events were dropped (publish has nothing left to do).
            assert received.events.empty()
    finally:
        inbox.close()


async def test_an_outage_tells_the_watchers_and_refuses_new_connections(backend, state):
    relay, lost = state.relay, asyncio.Event()
    relay.watch(lost.set)
    await relay.check_ready()  # serving, and hearing the other processes
    async with backend.outage():
        if backend.can_be_lost:
            with pytest.raises(Unavailable):
                await state.topics.members_of(topic())
            await asyncio.wait_for(lost.wait(), WAIT_SECONDS)
            with pytest.raises(Unavailable):
                await relay.check_ready()
            assert not (await relay.health())[0]
        else:
            assert await state.topics.members_of(topic()) == []
            await relay.check_ready()
            assert (await relay.health())[0]
            assert not lost.is_set()
