"""Property-based fuzzing of the rendezvous consumer (docs/protocol.md §3).

Each example opens one connection (greeted and in the honest pair's topic, or fresh),
sends a batch of hostile frames from fuzz_frames.py and checks every answer:

- before `hello`, each frame gets exactly one answer: an error, `welcome`, or a close;
- after it, each frame is followed by a `ping`, and before the `pong` comes at most one
  answer: an error, the frame's normal answer (`peers`), or nothing for a `leave`,
  `signal`, `mirror` or `mirror-reply`, which are not answered when they succeed (a
  signal to itself comes back through the channel layer at any time, and is skipped);
- an error frame has exactly the documented shape and a documented code, and the close
  that follows it, if any, is the documented one (4009, 4000, or 4001 exactly when the
  counted errors pass MAX_ERRORS); no close comes without its error;
- the consumer never raises (the communicator re-raises on disconnect), and closing the
  connection gives back its address count and topic memberships.

After each batch the honest pair in the same process still relays both ways. Limits are
raised so that the fuzzer is not merely rate-limited (test_flood.py covers that).
"""

import json

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from signal_server import frames
from signal_server.state.factory import shared_state

from .fuzz_frames import SELF_ID, Frame, FuzzContext, strategies_for
from .wire import Client, new_key, new_topic, sealed_blob, unb64

MAX_ERRORS = 16  # low enough that long batches reach the 4001 close
EXAMPLES = 250
BATCH = 24

CLOSE_AFTER = {frames.FRAME_TOO_LARGE: 4009, frames.BAD_VERSION: 4000}
ANSWERS = {
    "hello": {"welcome"},
    "join": {"peers"},
    "ice-servers": {"ice-servers"},
    "mirror-serve": {"mirror-serving"},
}
SILENT_WHEN_VALID = {"leave", "signal", "mirror", "mirror-reply"}

fuzz_settings = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The honest pair is set up once per test, on purpose: it lives through every batch.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def honest_pair(client, limits):
    limits(RATE_PER_SECOND=1e6, RATE_BURST=10**6, MAX_ERRORS=MAX_ERRORS, IDLE_SECONDS=600)
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    return a, b, topic


class Fuzzer:
    """One fuzzing connection, and the answers the protocol allows it."""

    def __init__(self, max_errors: int):
        self.client = Client()
        self.max_errors = max_errors
        self.id: str | None = None  # once welcomed
        self.closed = False
        self.counted_errors = 0

    async def next_output(self) -> dict:
        """The next answer, skipping the fuzzer's own signals relayed back to it.

        Those travel through the channel layer, so they may come after later answers.
        """
        while True:
            message = await self.client.comm.receive_output(timeout=2)
            if message["type"] == "websocket.close":
                return {"close": message["code"]}
            assert message["type"] == "websocket.send" and "text" in message, message
            answer = json.loads(message["text"])
            if answer.get("type") != "signal":
                return answer
            assert self.id is not None and answer["from"] == self.id, answer

    async def answers_until_pong(self) -> list[dict]:
        answers = []
        while True:
            answer = await self.next_output()
            if answer.get("type") == "pong":
                return answers
            answers.append(answer)
            if "close" in answer:
                return answers

    async def send(self, frame: Frame) -> None:
        text = frame.text
        if text is not None and self.id is not None:
            text = text.replace(SELF_ID, self.id)
        await self.client.send_raw(text=text, data=frame.data)
        kind = frame.obj.get("type") if isinstance(frame.obj, dict) else None
        if self.id is None:
            # Before hello nothing succeeds silently: one answer per frame.
            await self.check(kind, [await self.next_output()])
        else:
            await self.client.send({"type": "ping"})
            answers = await self.answers_until_pong()
            if kind == "ping" and not answers:
                # That pong answered the frame itself; the marker's comes next, alone.
                assert await self.answers_until_pong() == []
            else:
                assert answers or kind in SILENT_WHEN_VALID, f"no answer to {frame}"
            await self.check(kind, answers)

    async def check(self, kind: str | None, answers: list[dict]) -> None:
        first, rest = answers[0] if answers else {}, answers[1:]
        if first.get("type") == "error":
            await self.check_error(first, rest)
        elif "close" in first:
            raise AssertionError(f"closed with {first['close']} without an error")
        elif first:
            assert not rest, answers
            assert first["type"] in ANSWERS.get(kind, ()), (kind, first)
            if first["type"] == "welcome":
                self.id = first["id"]

    async def check_error(self, error: dict, rest: list[dict]) -> None:
        about = {"topic", "to"} if error["code"] == "unreachable" else set()
        assert set(error) <= {"type", "code", "message", "ref"} | about, error
        assert error["code"] in frames.ERROR_CODES, error
        assert isinstance(error["message"], str) and error["message"], error
        assert error.get("ref", "hello") in frames.CLIENT_FRAME_TYPES, error
        if error["code"] not in frames.UNCOUNTED_ERRORS:
            self.counted_errors += 1
        close = CLOSE_AFTER.get(error["code"])
        if close is None and self.counted_errors > self.max_errors:
            close = frames.CLOSE_TOO_MANY_ERRORS
        if close is None:
            assert not rest, (error, rest)
            return
        # Before hello the close was not read yet; after it, it ended the wait for pong.
        after = rest if rest else [await self.next_output()]
        assert after == [{"close": close}], (error, after)
        self.closed = True


async def assert_relays(sender: Client, receiver: Client, topic: str):
    """`receiver` gets `sender`'s signal; what fuzzers caused may arrive before it."""
    blob = sealed_blob()
    await sender.signal(topic, receiver.id, blob)
    while True:
        frame = await receiver.receive()
        if frame == {
            "type": "signal",
            "topic": topic,
            "from": sender.id,
            "key": sender.key,
            "blob": blob,
        }:
            return
        who = frame.get("from") or frame.get("id") or frame.get("peer", {}).get("id")
        assert frame["type"] in {"joined", "left", "signal"}, frame
        assert who not in (sender.id, receiver.id), frame


async def fuzz_one_batch(pair, data, greet: bool) -> None:
    a, b, topic = pair
    fuzzer = Fuzzer(MAX_ERRORS)
    connected, _ = await fuzzer.client.open()
    assert connected
    if greet:
        await fuzzer.client.send({"type": "hello", "v": 1, "key": new_key()})
        fuzzer.id = (await fuzzer.client.expect("welcome"))["id"]
        await fuzzer.client.join(topic)
    ctx = FuzzContext(topic, (a.id, b.id, SELF_ID), settings.PARLEY_SIGNAL["MAX_FRAME_BYTES"])
    try:
        for frame in data.draw(strategies_for(ctx).batches(BATCH)):
            if fuzzer.closed:
                break
            await fuzzer.send(frame)
    finally:
        await fuzzer.client.disconnect()  # re-raises anything the consumer raised

    await assert_relays(a, b, topic)
    await assert_relays(b, a, topic)
    # Nothing of the fuzzer stays: not in the topic, not in its address's counts.
    members = await shared_state().topics.members_of(unb64(topic))
    assert {m.id for m in members} == {unb64(a.id), unb64(b.id)}
    assert await shared_state().addresses.connections("127.0.0.1") == 2
    assert await shared_state().addresses.topics("127.0.0.1") == 2


@fuzz_settings
@given(data=st.data())
async def test_greeted_connections_survive_hostile_frames(honest_pair, data):
    await fuzz_one_batch(honest_pair, data, greet=True)


@fuzz_settings
@given(data=st.data())
async def test_fresh_connections_survive_hostile_frames(honest_pair, data):
    await fuzz_one_batch(honest_pair, data, greet=False)
