"""Events between connections of one process skip the channel layer (local_delivery.py).

Only a receiver on another process goes through the channel layer, and only when the
layer is shared (Redis); tests/scaleout/test_scaleout.py relays between two real
processes through Redis.
"""

import asyncio

import pytest
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from signal_server import local_delivery, topics
from signal_server.protocol import signal_text

from .wire import b64, new_topic, sealed_blob, unb64


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
    """Every send the consumers make to a channel layer, in memory or Redis, and every
    receive from the in-memory one (with Redis each consumer waits in a receive for
    what other processes send it)."""
    calls = []

    def record(name):
        async def called(self, *args):
            calls.append(name)
            raise AssertionError(f"the channel layer's {name} was called")

        return called

    monkeypatch.setattr(InMemoryChannelLayer, "send", record("send"))
    monkeypatch.setattr(InMemoryChannelLayer, "receive", record("receive"))
    monkeypatch.setattr(RedisChannelLayer, "send", record("send"))
    return calls


@pytest.mark.also_on_redis
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


@pytest.mark.also_on_redis
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
        text = signal_text(b64(other_topic), b64(b"x" * 16), "AA")
        event = {"type": "relay.signal", "topic": other_topic, "text": text}
        await local_delivery.deliver(None, member.channel_name, event)
    # Only the second arrives, which proves the first was handled (in order) and dropped.
    assert (await b.expect("signal"))["topic"] == topic
    assert layer_calls == []


class Recorder:
    """An inbox's handler: records what it handled and in which task; can be held."""

    def __init__(self):
        self.handled: list[tuple[str, asyncio.Task]] = []
        self.hold: asyncio.Event | None = None
        self.fail_on: str | None = None

    async def __call__(self, message: dict) -> None:
        self.handled.append((message["type"], asyncio.current_task()))
        if message["type"] == self.fail_on:
            raise RuntimeError("a handler bug")
        if self.hold is not None and message["type"] == "hold":
            await self.hold.wait()

    @property
    def types(self) -> list[str]:
        return [kind for kind, _ in self.handled]


async def test_an_idle_inbox_handles_an_event_at_once_in_the_senders_task():
    recorder = Recorder()
    inbox = local_delivery.Inbox("specific.test!1", recorder)
    try:
        assert local_delivery.is_local("specific.test!1")
        await local_delivery.deliver(None, "specific.test!1", {"type": "a"})
        assert recorder.handled == [("a", asyncio.current_task())]
    finally:
        inbox.close()
    assert not local_delivery.is_local("specific.test!1")
    await local_delivery.deliver(None, "specific.test!1", {"type": "after close"})
    assert recorder.types == ["a"]


async def test_a_busy_inbox_queues_events_in_order_up_to_its_capacity():
    recorder = Recorder()
    recorder.hold = asyncio.Event()
    inbox = local_delivery.Inbox("specific.test!2", recorder, capacity=2)
    try:
        own = asyncio.create_task(inbox.handle_own({"type": "hold"}))
        await asyncio.sleep(0)
        assert recorder.types == ["hold"]
        await local_delivery.deliver(None, "specific.test!2", {"type": "a"})
        await local_delivery.deliver(None, "specific.test!2", {"type": "b"})
        with pytest.raises(ChannelFull):
            await local_delivery.deliver(None, "specific.test!2", {"type": "c"})
        assert recorder.types == ["hold"]  # nothing overtakes the handler that runs
        recorder.hold.set()
        await own
        # The holder handled the queue before letting go, in its own task.
        assert recorder.types == ["hold", "a", "b"]
        assert {task for _, task in recorder.handled} == {own}
        assert not inbox.busy and not inbox.waiting
    finally:
        inbox.close()


async def test_the_own_socket_waits_its_turn_and_is_never_dropped():
    recorder = Recorder()
    recorder.hold = asyncio.Event()
    inbox = local_delivery.Inbox("specific.test!3", recorder, capacity=1)
    try:
        # Another connection's task handles an event here and is held (a slow send).
        sender = asyncio.create_task(
            local_delivery.deliver(None, "specific.test!3", {"type": "hold"})
        )
        await asyncio.sleep(0)
        owns = [asyncio.create_task(inbox.handle_own({"type": f"own {i}"})) for i in range(3)]
        await asyncio.sleep(0.01)
        assert recorder.types == ["hold"]
        recorder.hold.set()
        await asyncio.wait_for(asyncio.gather(sender, *owns), 1)
        assert sorted(recorder.types[1:]) == ["own 0", "own 1", "own 2"]
    finally:
        inbox.close()


async def test_a_failing_event_handler_closes_the_receiver_not_the_sender():
    recorder = Recorder()
    recorder.fail_on = "bad"
    failures = []
    inbox = local_delivery.Inbox("specific.test!4", recorder, on_error=failures.append)
    try:
        await local_delivery.deliver(None, "specific.test!4", {"type": "bad"})  # no raise
        assert [type(error) for error in failures] == [RuntimeError]
        assert not inbox.busy
        await local_delivery.deliver(None, "specific.test!4", {"type": "fine"})
        assert recorder.types == ["bad", "fine"]
        # The receiver's own messages fail in its own task, as Channels' would.
        with pytest.raises(RuntimeError):
            await inbox.handle_own({"type": "bad"})
    finally:
        inbox.close()


async def test_without_a_shared_layer_an_unknown_receiver_is_dropped(layer_calls):
    await local_delivery.deliver(InMemoryChannelLayer(), "specific.gone!1", {"type": "a"})
    assert layer_calls == []


async def test_a_receiver_on_another_process_goes_through_a_shared_layer():
    layer = SharedLayer()
    recorder = Recorder()
    here = local_delivery.Inbox("specific.here!1", recorder)
    here.pump_from(lambda: layer.receive("here"))
    try:
        await local_delivery.deliver(layer, "specific.here!1", {"type": "local"})
        await local_delivery.deliver(layer, "specific.elsewhere!1", {"type": "remote"})
        assert layer.sent == [("specific.elsewhere!1", {"type": "remote"})]
        assert recorder.types == ["local"]
        # What the layer brings from other processes is handled by the same inbox, and
        # a failing layer becomes one `shared.lost` event.
        layer.incoming.put_nowait({"type": "from.elsewhere"})
        layer.incoming.put_nowait(ConnectionError("Redis is gone"))
        await asyncio.wait_for(here.pump, 1)
        assert recorder.types == ["local", "from.elsewhere", "shared.lost"]
    finally:
        here.close()
