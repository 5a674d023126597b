"""Events between connections of one process skip the channel layer (local_delivery.py).

Only a receiver on another process goes through the channel layer, and only when the
layer is shared (Redis); tests/scaleout/test_scaleout.py relays between two real
processes through Redis.
"""

import asyncio

import pytest
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, InMemoryChannelLayer

from signal_server import local_delivery, topics

from .wire import new_topic, sealed_blob, unb64


class SharedLayer(BaseChannelLayer):
    """A stand-in for a channel layer shared with other processes (channels_redis)."""

    def __init__(self):
        super().__init__(capacity=3)
        self.sent: list[tuple[str, dict]] = []
        self.incoming: asyncio.Queue = asyncio.Queue()

    async def send(self, channel, message):
        self.sent.append((channel, message))

    async def receive(self, channel):
        message = await self.incoming.get()
        if isinstance(message, Exception):
            raise message
        return message

    async def new_channel(self, prefix="specific."):
        return prefix + "shared!x"


@pytest.fixture
def layer_calls(monkeypatch):
    """Every call the consumers make to the in-memory channel layer."""
    calls = []

    def record(name):
        async def called(self, *args):
            calls.append(name)
            raise AssertionError(f"the channel layer's {name} was called")

        return called

    for name in ("send", "receive"):
        monkeypatch.setattr(InMemoryChannelLayer, name, record(name))
    return calls


async def test_a_relay_in_one_process_does_not_use_the_channel_layer(client, layer_calls):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    assert (await a.expect("joined"))["peer"]["id"] == b.id
    blob = sealed_blob()
    await a.signal(topic, b.id, blob)
    assert await b.receive() == {"type": "signal", "topic": topic, "from": a.id, "blob": blob}
    await b.signal(topic, a.id, blob)
    assert (await a.expect("signal"))["from"] == b.id
    await b.leave(topic)
    assert await a.expect("left") == {"type": "left", "topic": topic, "id": b.id}
    assert layer_calls == []


async def test_the_receiver_still_checks_its_topics(client, layer_calls):
    # The event is handed over directly but handled as before: one for a topic the
    # receiver is not in (here forged, past the sender's checks) is dropped there.
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    member = await topics.registry.member_in(unb64(topic), unb64(b.id))
    for other_topic in (unb64(new_topic()), unb64(topic)):
        event = {"type": "relay.signal", "topic": other_topic, "from": b"x" * 16, "blob": "AA"}
        await local_delivery.deliver(None, member.channel_name, event)
    # Only the second arrives, which proves the first was handled (in order) and dropped.
    assert (await b.expect("signal"))["topic"] == topic
    assert layer_calls == []


async def test_an_inbox_is_bounded_and_keeps_order():
    inbox = local_delivery.Inbox("specific.test!1", InMemoryChannelLayer(capacity=2), None)
    try:
        assert local_delivery.is_local("specific.test!1")
        await local_delivery.deliver(None, "specific.test!1", {"type": "a"})
        await local_delivery.deliver(None, "specific.test!1", {"type": "b"})
        with pytest.raises(ChannelFull):
            await local_delivery.deliver(None, "specific.test!1", {"type": "c"})
        assert [await inbox.get(), await inbox.get()] == [{"type": "a"}, {"type": "b"}]
    finally:
        inbox.close()
    assert not local_delivery.is_local("specific.test!1")


async def test_without_a_shared_layer_an_unknown_receiver_is_dropped(layer_calls):
    await local_delivery.deliver(InMemoryChannelLayer(), "specific.gone!1", {"type": "a"})
    assert layer_calls == []


async def test_a_receiver_on_another_process_goes_through_a_shared_layer():
    layer = SharedLayer()
    here = local_delivery.Inbox("specific.here!1", layer, lambda: layer.receive("here"))
    try:
        await local_delivery.deliver(layer, "specific.here!1", {"type": "local"})
        await local_delivery.deliver(layer, "specific.elsewhere!1", {"type": "remote"})
        assert layer.sent == [("specific.elsewhere!1", {"type": "remote"})]
        assert await here.get() == {"type": "local"}
        # What the layer brings from other processes arrives in the same inbox, and a
        # failing layer becomes one `shared.lost` event.
        layer.incoming.put_nowait({"type": "from.elsewhere"})
        assert await asyncio.wait_for(here.get(), 1) == {"type": "from.elsewhere"}
        layer.incoming.put_nowait(ConnectionError("Redis is gone"))
        assert await asyncio.wait_for(here.get(), 1) == {"type": "shared.lost"}
        await asyncio.wait_for(here.pump, 1)
    finally:
        here.close()
