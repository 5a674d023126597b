"""Every error code of docs/protocol.md §3: the exact code, and nobody else hears a thing.

The limit-driven codes (rate_limited, frame_too_large, bad_version's close) are in
test_signal_abuse.py.
"""

import json
import os

import pytest

from .wire import b64, new_id, new_topic, sealed_blob

pytestmark = pytest.mark.also_on_redis


@pytest.fixture
async def pair(client):
    """a and b, both in one topic, with the join notices already read."""
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    return a, b, topic


async def assert_still_relaying(a, b, topic):
    """The bad frame changed nothing: a and b still reach each other in `topic`."""
    blob = sealed_blob()
    await a.signal(topic, b.id, blob)
    assert await b.receive() == {
        "type": "signal",
        "topic": topic,
        "from": a.id,
        "key": a.key,
        "blob": blob,
    }


CASES = {
    "not json": ("bad_json", None, lambda a, b, t: "{nope"),
    "a JSON array": ("bad_json", None, lambda a, b, t: "[]"),
    "no type": ("unknown_type", None, lambda a, b, t: {"topic": t}),
    "a server type": ("unknown_type", None, lambda a, b, t: {"type": "welcome"}),
    "unknown field": ("bad_frame", "ping", lambda a, b, t: {"type": "ping", "x": 1}),
    "missing blob": (
        "bad_frame",
        "signal",
        lambda a, b, t: {"type": "signal", "topic": t, "to": b.id},
    ),
    "to is a number": (
        "bad_frame",
        "signal",
        lambda a, b, t: {"type": "signal", "topic": t, "to": 7, "blob": sealed_blob()},
    ),
    "second hello": (
        "duplicate_hello",
        "hello",
        lambda a, b, t: {"type": "hello", "v": 1, "key": a.key},
    ),
    "short topic": (
        "bad_topic",
        "join",
        lambda a, b, t: {"type": "join", "topic": b64(os.urandom(31))},
    ),
    "padded topic": ("bad_topic", "signal", lambda a, b, t: _signal(t + "=", b.id, sealed_blob())),
    "long id": ("bad_id", "signal", lambda a, b, t: _signal(t, b64(os.urandom(32)), sealed_blob())),
    "blob size": ("bad_blob", "signal", lambda a, b, t: _signal(t, b.id, b64(os.urandom(1000)))),
    "blob alphabet": ("bad_blob", "signal", lambda a, b, t: _signal(t, b.id, "+" * 1430)),
    "leave elsewhere": (
        "not_joined",
        "leave",
        lambda a, b, t: {"type": "leave", "topic": new_topic()},
    ),
    "signal elsewhere": (
        "not_joined",
        "signal",
        lambda a, b, t: _signal(new_topic(), b.id, sealed_blob()),
    ),
    "unknown peer": ("unreachable", "signal", lambda a, b, t: _signal(t, new_id(), sealed_blob())),
}


def _signal(topic, to, blob):
    return {"type": "signal", "topic": topic, "to": to, "blob": blob}


@pytest.mark.parametrize("case", CASES)
async def test_error_goes_to_the_sender_only(pair, case):
    a, b, topic = pair
    code, ref, make = CASES[case]
    frame = make(a, b, topic)
    await a.send_text(frame if isinstance(frame, str) else json.dumps(frame))
    await a.expect_error(code, ref)
    await a.expect_nothing()
    await b.expect_nothing()
    await assert_still_relaying(a, b, topic)


async def test_binary_frames_are_bad_json(pair):
    a, b, topic = pair
    await a.comm.send_to(bytes_data=b'{"type": "ping"}')
    await a.expect_error("bad_json")
    await b.expect_nothing()
    await assert_still_relaying(a, b, topic)


async def test_bad_key_in_hello(client):
    a = await client(hello=False)
    await a.send({"type": "hello", "v": 1, "key": b64(os.urandom(33))})
    await a.expect_error("bad_key", "hello")
    # The connection can still say a correct hello.
    await a.hello()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "ping"},
        {"type": "join", "topic": new_topic()},
        {"type": "leave", "topic": new_topic()},
    ],
)
async def test_frames_before_hello_are_refused(client, frame):
    bystander = await client()
    topic = frame.get("topic", new_topic())
    await bystander.join(topic)
    a = await client(hello=False)
    await a.send(frame)
    await a.expect_error("hello_required", frame["type"])
    await bystander.expect_nothing()


async def test_signal_before_hello_is_refused(pair, client):
    a, b, topic = pair
    stranger = await client(hello=False)
    await stranger.signal(topic, b.id, sealed_blob())
    await stranger.expect_error("hello_required", "signal")
    await b.expect_nothing()


async def test_too_many_topics(client, limits):
    limits(MAX_TOPICS_PER_CONNECTION=2)
    a, b = await client(), await client()
    first, second, third = new_topic(), new_topic(), new_topic()
    await b.join(third)
    await a.join(first)
    await a.join(second)
    await a.send({"type": "join", "topic": third})
    await a.expect_error("too_many_topics", "join")
    await b.expect_nothing()  # no `joined` for a refused join
    c = await client()
    assert await c.join(third) == [{"id": b.id, "key": b.key}]
    # Joining a topic it is already in is not a new topic.
    assert await a.join(first) == []
    # After leaving one, there is room again.
    await a.leave(second)
    assert [p["id"] for p in await a.join(third)] in ([b.id, c.id], [c.id, b.id])
