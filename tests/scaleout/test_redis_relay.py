"""The relay between server processes (state/redis/relay.py) on a real Redis: two relays,
each with a link of its own, stand for two processes."""

import asyncio
import os

import msgpack
import pytest

from signal_server import local_delivery
from signal_server.state.redis.relay import MAX_MESSAGE_BYTES, RedisRelay, decode

WAIT_SECONDS = 10


class Received:
    """An inbox's handler that hands every event to a queue."""

    def __init__(self):
        self.events: asyncio.Queue = asyncio.Queue()

    async def __call__(self, event: dict) -> None:
        self.events.put_nowait(event)

    async def next(self) -> dict:
        return await asyncio.wait_for(self.events.get(), WAIT_SECONDS)


@pytest.fixture
async def relays(new_link):
    made = []

    def make() -> RedisRelay:
        relay = RedisRelay(new_link())
        made.append(relay)
        return relay

    yield make
    for relay in made:
        await relay.stop()


async def listening(relay: RedisRelay, received: Received) -> tuple[str, local_delivery.Inbox]:
    """A connection of `relay`'s process, once its subscription is up."""
    name = relay.new_channel_name()
    inbox = local_delivery.Inbox(name, received)
    await asyncio.wait_for(relay.subscribed.wait(), WAIT_SECONDS)
    return name, inbox


def signal_event() -> dict:
    return {"type": "relay.signal", "topic": os.urandom(32), "text": '{"type":"signal"}'}


async def test_an_event_reaches_a_connection_of_the_other_process(relays):
    one, two = relays(), relays()
    received = Received()
    name, inbox = await listening(two, received)
    try:
        assert name.startswith(two.inbox_id + "!")
        event = signal_event()
        await one.publish(name, event)
        assert await received.next() == event  # bytes stay bytes, str stays str
        joined = {"type": "topic.joined", "topic": b"t" * 32, "id": b"i" * 16, "key": b"k" * 32}
        await one.publish(name, joined)
        assert await received.next() == joined
    finally:
        inbox.close()


async def test_a_malformed_message_is_dropped_and_the_next_one_arrives(relays):
    one, two = relays(), relays()
    received = Received()
    name, inbox = await listening(two, received)
    try:
        client = one.link.client
        junk_events = [{"type": "relay.signal"}, {"type": [1]}]
        messages = [b"\xc1", b"x" * 70_000, *(msgpack.packb([name, e]) for e in junk_events)]
        for junk in messages:
            await client.publish(two.channel, junk)
        event = signal_event()
        await one.publish(name, event)
        assert await received.next() == event
        assert received.events.empty()
    finally:
        inbox.close()


async def test_an_event_for_a_closed_connection_of_its_own_process_is_not_published(relays):
    relay = relays()
    await relay.publish(relay.new_channel_name(), signal_event())
    assert relay.pending == 0
    await relay.publish("elsewhere!1", signal_event())  # another process: queued to go
    assert relay.pending == 1


async def test_events_queued_in_one_loop_turn_go_together_and_in_order(relays):
    one, two = relays(), relays()
    received = Received()
    name, inbox = await listening(two, received)
    try:
        events = [signal_event() for _ in range(50)]
        for event in events:
            await one.publish(name, event)
        assert one.pending == 50  # nothing was sent yet: one pipeline takes them all
        assert [await received.next() for _ in events] == events
        assert one.pending == 0
    finally:
        inbox.close()


def test_decode_takes_only_the_events_consumers_send():
    good = {"type": "topic.left", "topic": b"t" * 32, "id": b"i" * 16}
    assert decode(msgpack.packb(["a!b", good], use_bin_type=True)) == ("a!b", good)
    for bad in (
        ["a!b", {**good, "extra": 1}],  # a field too many
        ["a!b", {**good, "id": "text"}],  # str where bytes belong
        ["a!b", {"type": "websocket.close"}],  # not an event between consumers
        ["a!b", {"type": ["relay.signal"]}],  # a type that is not even a string
        ["a!b"],
        [1, good],
        {"a!b": good},
    ):
        assert decode(msgpack.packb(bad, use_bin_type=True)) is None, bad
    assert decode(b"\xc1") is None
    assert decode("text") is None
    oversized = msgpack.packb(["a!b", {**good, "id": b"x" * MAX_MESSAGE_BYTES}])
    assert decode(oversized) is None


async def test_losing_the_subscription_tells_the_link_and_it_comes_back(relays, redis_server):
    one, two = relays(), relays()
    lost = asyncio.Event()
    two.link.watch(lost.set)
    received = Received()
    name, inbox = await listening(two, received)
    try:
        redis_server.stop()
        await asyncio.wait_for(lost.wait(), WAIT_SECONDS)
        assert not two.subscribed.is_set()
        redis_server.start()  # same port
        await asyncio.wait_for(two.subscribed.wait(), WAIT_SECONDS)
        event = signal_event()
        await one.publish(name, event)
        assert await received.next() == event
    finally:
        inbox.close()
