"""Limits and closes: rate limit and flood, error budget, frame size, origin, idle, version."""

import asyncio
import time

import pytest

from .wire import Client, b64, new_topic, sealed_blob

pytestmark = pytest.mark.also_on_redis


async def test_rate_limit_then_flood_close_while_an_honest_pair_keeps_relaying(client, limits):
    a, b = await client(), await client()  # default limits: read when they connect
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")

    # No refill to speak of during the test; MAX_ERRORS=1 shows that dropped frames are
    # strikes, not errors.
    limits(RATE_PER_SECOND=0.001, RATE_BURST=4, FLOOD_STRIKES=3, MAX_ERRORS=1)
    flooder = await client()  # hello: 1 token
    await flooder.join(topic)  # 2 tokens
    await a.expect("joined")
    await b.expect("joined")
    for _ in range(2):  # tokens 3 and 4 are relayed
        await flooder.signal(topic, a.id, sealed_blob())
        assert (await a.receive())["from"] == flooder.id

    for n in range(3):
        # Dropped before parsing: even a frame that is not JSON is only rate_limited.
        await flooder.send_text("not json" if n == 0 else '{"type": "ping"}')
        await flooder.expect_error("rate_limited")
        # The honest pair is unaffected.
        blob = sealed_blob()
        await b.signal(topic, a.id, blob)
        assert await a.receive() == {
            "type": "signal",
            "topic": topic,
            "from": b.id,
            "key": b.key,
            "blob": blob,
        }
    await flooder.signal(topic, a.id, sealed_blob())
    await flooder.expect_error("rate_limited")
    await flooder.expect_close(4029)
    for x in (a, b):
        assert await x.receive() == {"type": "left", "topic": topic, "id": flooder.id}
    blob = sealed_blob()
    await b.signal(topic, a.id, blob)
    assert await a.receive() == {
        "type": "signal",
        "topic": topic,
        "from": b.id,
        "key": b.key,
        "blob": blob,
    }
    # Frames after the close are not answered.
    await flooder.send({"type": "ping"})
    await flooder.expect_nothing()


async def test_more_than_max_errors_closes_with_4001(client, limits):
    limits(MAX_ERRORS=3)
    a, bystander = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await bystander.join(topic)
    await a.expect("joined")
    # `unreachable` happens to honest clients when peers leave; it is not counted.
    for _ in range(5):
        await a.signal(topic, b64(bytes(16)), sealed_blob())
        await a.expect_error("unreachable", "signal")
    for _ in range(3):
        await a.send({"type": "ping", "bad": True})
        await a.expect_error("bad_frame", "ping")
    await a.send({"type": "ping"})
    await a.expect("pong")
    await a.send_text("{")
    await a.expect_error("bad_json")
    await a.expect_close(4001)
    assert await bystander.receive() == {"type": "left", "topic": topic, "id": a.id}


async def test_oversized_frame_is_refused_and_closes_with_4009(client, limits):
    limits(MAX_FRAME_BYTES=2000)
    a, bystander = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await bystander.join(topic)
    await a.expect("joined")

    exactly = '{"type":"ping"}'.ljust(2000)
    await a.send_text(exactly)
    await a.expect("pong")

    await a.signal(topic, bystander.id, sealed_blob(4144))
    await a.expect_error("frame_too_large")
    await a.expect_close(4009)
    # The blob was not relayed; the bystander only learns that a left.
    assert await bystander.receive() == {"type": "left", "topic": topic, "id": a.id}
    await bystander.expect_nothing()


async def test_the_default_frame_limit_fits_the_largest_sealed_blob(client):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    blob = sealed_blob(16432)
    await b.signal(topic, a.id, blob)
    await a.expect("joined")
    assert (await a.receive())["blob"] == blob


async def test_other_origins_are_refused_before_the_upgrade():
    for headers in ([(b"origin", b"http://evil.example")], [], [(b"origin", b"null")]):
        c = Client(headers=headers)
        connected, _ = await c.open()
        assert connected is False
        await c.comm.disconnect()


async def test_idle_connection_closes_with_4008(client, limits):
    limits(IDLE_SECONDS=0.3)
    a, bystander = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await bystander.join(topic)
    await a.expect("joined")

    await asyncio.sleep(0.15)
    await a.send({"type": "ping"})
    await a.expect("pong")
    pinged = time.monotonic()
    # The bystander, silent since it joined, is closed 0.3 s after joining...
    await bystander.expect_close(4008)
    assert await a.receive() == {"type": "left", "topic": topic, "id": bystander.id}
    # ...while the ping reset a's timer: a is closed 0.3 s after its ping.
    await a.expect_nothing()
    await a.expect_close(4008)
    assert time.monotonic() - pinged >= 0.3


async def test_idle_before_hello_closes_too(client, limits):
    limits(IDLE_SECONDS=0.05)
    a = await client(hello=False)
    await a.expect_close(4008)


async def test_wrong_hello_version_closes_with_4000(client):
    a = await client(hello=False)
    await a.send({"type": "hello", "v": 2, "key": b64(bytes(32))})
    await a.expect_error("bad_version", "hello")
    await a.expect_close(4000)
