"""Events between connections of one process go straight to the receiver's inbox
(local_delivery.py); only a receiver of another process goes through the Redis relay.

tests/scaleout/test_redis_relay.py relays between two relays on a real Redis, and
tests/scaleout/test_scaleout.py between two real server processes.
"""

import asyncio

import pytest
from channels.exceptions import ChannelFull

from signal_server import local_delivery
from signal_server.protocol import signal_text

from .wire import b64, new_topic, sealed_blob, unb64


@pytest.fixture
def remote_calls(monkeypatch, fresh_state):
    """Every event the consumers publish to other processes (through Redis, with Redis)."""
    calls = []

    async def publish(channel_name, event):
        calls.append(event["type"])
        raise AssertionError("an event for this process went to the relay")

    monkeypatch.setattr(fresh_state.relay, "publish", publish)
    return calls


@pytest.mark.also_on_redis
async def test_a_relay_in_one_process_does_not_go_through_redis(client, remote_calls):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    assert (await a.expect("joined"))["peer"]["id"] == b.id
    blob = sealed_blob()
    await a.signal(topic, b.id, blob)
    assert await b.receive() == {
        "type": "signal",
        "topic": topic,
        "from": a.id,
        "key": a.key,
        "blob": blob,
    }
    await b.signal(topic, a.id, blob)
    assert (await a.expect("signal"))["from"] == b.id
    await b.leave(topic)
    assert await a.expect("left") == {"type": "left", "topic": topic, "id": b.id}
    assert remote_calls == []


@pytest.mark.also_on_redis
async def test_the_receiver_still_checks_its_topics(client, remote_calls, fresh_state):
    # The event is handed over directly but handled as before: one for a topic the
    # receiver is not in (here forged, past the sender's checks) is dropped there.
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    member = await fresh_state.topics.member_in(unb64(topic), unb64(b.id))
    for other_topic in (unb64(new_topic()), unb64(topic)):
        text = signal_text(b64(other_topic), b64(b"x" * 16), b64(b"k" * 32), "AA")
        event = {"type": "relay.signal", "topic": other_topic, "text": text}
        await local_delivery.deliver(member.channel_name, event)
    # Only the second arrives, which proves the first was handled (in order) and dropped.
    assert (await b.expect("signal"))["topic"] == topic
    assert remote_calls == []


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


@pytest.fixture
def inboxes():
    """`inboxes(name, held=False, **options)`: an inbox over a Recorder (one that holds
    its "hold" events until `recorder.hold` is set, if held); all closed at the end."""
    opened = []

    def make(name: str, held: bool = False, **options):
        recorder = Recorder()
        if held:
            recorder.hold = asyncio.Event()
        inbox = local_delivery.Inbox(name, recorder, **options)
        opened.append(inbox)
        return recorder, inbox

    yield make
    for inbox in opened:
        inbox.close()


async def test_an_idle_inbox_handles_an_event_at_once_in_the_senders_task():
    recorder = Recorder()
    inbox = local_delivery.Inbox("specific.test!1", recorder)
    try:
        assert local_delivery.is_local("specific.test!1")
        await local_delivery.deliver("specific.test!1", {"type": "a"})
        assert recorder.handled == [("a", asyncio.current_task())]
    finally:
        inbox.close()
    assert not local_delivery.is_local("specific.test!1")
    await local_delivery.deliver("specific.test!1", {"type": "after close"})
    assert recorder.types == ["a"]


async def test_a_busy_inbox_queues_events_in_order_up_to_its_capacity(inboxes):
    recorder, inbox = inboxes("specific.test!2", held=True, capacity=2)
    own = asyncio.create_task(inbox.handle_own({"type": "hold"}))
    await asyncio.sleep(0)
    assert recorder.types == ["hold"]
    await local_delivery.deliver("specific.test!2", {"type": "a"})
    await local_delivery.deliver("specific.test!2", {"type": "b"})
    with pytest.raises(ChannelFull):
        await local_delivery.deliver("specific.test!2", {"type": "c"})
    assert recorder.types == ["hold"]  # nothing overtakes the handler that runs
    recorder.hold.set()
    await own
    # The holder handled the queue before letting go, in its own task.
    assert recorder.types == ["hold", "a", "b"]
    assert {task for _, task in recorder.handled} == {own}
    assert not inbox.busy and not inbox.waiting


async def test_the_own_socket_waits_its_turn_and_is_never_dropped(inboxes):
    recorder, inbox = inboxes("specific.test!3", held=True, capacity=1)
    # Another connection's task handles an event here and is held (a slow send).
    sender = asyncio.create_task(local_delivery.deliver("specific.test!3", {"type": "hold"}))
    await asyncio.sleep(0)
    owns = [asyncio.create_task(inbox.handle_own({"type": f"own {i}"})) for i in range(3)]
    await asyncio.sleep(0.01)
    assert recorder.types == ["hold"]
    recorder.hold.set()
    await asyncio.wait_for(asyncio.gather(sender, *owns), 1)
    assert sorted(recorder.types[1:]) == ["own 0", "own 1", "own 2"]


async def test_a_failing_event_handler_closes_the_receiver_not_the_sender(inboxes):
    failures = []
    recorder, inbox = inboxes("specific.test!4", on_error=failures.append)
    recorder.fail_on = "bad"
    await local_delivery.deliver("specific.test!4", {"type": "bad"})  # no raise
    assert [type(error) for error in failures] == [RuntimeError]
    assert not inbox.busy
    await local_delivery.deliver("specific.test!4", {"type": "fine"})
    assert recorder.types == ["bad", "fine"]
    # The receiver's own messages fail in its own task, as Channels' would.
    with pytest.raises(RuntimeError):
        await inbox.handle_own({"type": "bad"})


async def test_a_receiver_not_in_this_process_goes_to_the_remote_if_there_is_one(inboxes):
    recorder, _ = inboxes("specific.here!1")
    published = []

    async def remote(channel_name, event):
        published.append((channel_name, event))

    await local_delivery.deliver("specific.here!1", {"type": "local"}, remote)
    await local_delivery.deliver("elsewhere!1", {"type": "remote"}, remote)
    await local_delivery.deliver("elsewhere!2", {"type": "dropped"})  # no remote
    assert recorder.types == ["local"]
    assert published == [("elsewhere!1", {"type": "remote"})]


async def test_a_sender_never_waits_on_a_receiver_that_does_not_read(inboxes):
    # A handler that has to wait (its send finds the receiver's socket full) goes on in
    # a task of its own: the sender, or the Redis relay's subscriber, is not held.
    recorder, inbox = inboxes("specific.test!5", held=True)
    sender = asyncio.current_task()
    async with asyncio.timeout(1):  # a timeout in this task, not a task of its own
        await local_delivery.deliver("specific.test!5", {"type": "hold"})
    assert recorder.handled == [("hold", sender)]  # started at once, in the sender
    assert inbox.busy
    await local_delivery.deliver("specific.test!5", {"type": "a"})
    await local_delivery.deliver("specific.test!5", {"type": "b"})
    assert recorder.types == ["hold"]  # queued behind the handler that waits
    recorder.hold.set()
    await asyncio.wait_for(inbox.finishing, 1)
    assert recorder.types == ["hold", "a", "b"]
    assert {task for _, task in recorder.handled[1:]} == {inbox.finishing}
    assert not inbox.busy and not inbox.waiting


async def test_an_owner_waiting_for_its_turn_is_not_overtaken_by_new_events(inboxes):
    recorder, inbox = inboxes("specific.test!6", held=True)
    await local_delivery.deliver("specific.test!6", {"type": "hold"})
    own = asyncio.create_task(inbox.handle_own({"type": "own"}))
    await asyncio.sleep(0)
    assert inbox.owner_waiting
    recorder.hold.set()
    await asyncio.sleep(0)  # the held handler ends and lets go; the owner is woken
    # Let go, the owner woken but not yet run: an event now must queue behind it.
    assert inbox.finishing.done() and not inbox.busy and not own.done()
    await local_delivery.deliver("specific.test!6", {"type": "late"})
    await asyncio.wait_for(own, 1)
    assert recorder.types == ["hold", "own", "late"]
    assert recorder.handled[2][1] is own  # the owner handled what queued behind it


def test_run_until_it_waits_hands_over_exceptions_and_results():
    async def finishes():
        return 1

    assert local_delivery.run_until_it_waits(finishes()) is None

    async def fails_at_once():
        raise ValueError("at once")

    with pytest.raises(ValueError):
        local_delivery.run_until_it_waits(fails_at_once())


async def test_a_resumed_handler_sees_its_awaits_results_and_cancellation():
    gate: asyncio.Future = asyncio.get_running_loop().create_future()

    async def waits():
        value = await gate
        await asyncio.sleep(0)  # a bare yield, too
        return value * 2

    rest = local_delivery.run_until_it_waits(waits())
    gate.set_result(21)
    assert await asyncio.wait_for(rest, 1) == 42

    cancelled = []

    async def waits_forever():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    rest = local_delivery.run_until_it_waits(waits_forever())
    await asyncio.sleep(0)  # the task has taken over and waits
    rest.cancel()
    with pytest.raises(asyncio.CancelledError):
        await rest
    assert cancelled == [True]
