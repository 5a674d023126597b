"""Each rendezvous frame over a real consumer (docs/protocol.md §3, "One line per message")."""

import pytest
from django.conf import settings

from .wire import new_topic, sealed_blob, unb64

pytestmark = pytest.mark.also_on_redis


async def test_hello_is_answered_with_welcome_and_the_limits(client, limits):
    limits(SAMPLE_SIZE=7, IDLE_SECONDS=60, OVERLAY_DEGREE="3,2,4")
    a = await client(hello=False)
    welcome = await a.hello()
    assert set(welcome) == {"type", "v", "id", "limits"}
    assert welcome["v"] == 1
    assert len(unb64(welcome["id"])) == 16
    conf = settings.PARLEY_SIGNAL
    assert welcome["limits"] == {
        "frame_bytes": conf["MAX_FRAME_BYTES"],
        "topics": conf["MAX_TOPICS_PER_CONNECTION"],
        "sample": 7,
        "rate_per_second": conf["RATE_PER_SECOND"],
        "burst": conf["RATE_BURST"],
        "idle_seconds": 60,
        "overlay": {"target": 3, "low": 2, "high": 4},
    }


async def test_every_connection_gets_its_own_id(client):
    ids = {(await client()).id for _ in range(5)}
    assert len(ids) == 5


async def test_join_answers_peers_and_tells_the_others(client):
    a, b = await client(), await client()
    topic = new_topic()
    assert await a.join(topic) == []
    assert await b.join(topic) == [{"id": a.id, "key": a.key}]
    joined = await a.expect("joined")
    assert joined == {"type": "joined", "topic": topic, "peer": {"id": b.id, "key": b.key}}
    await b.expect_nothing()


async def test_joining_twice_answers_a_fresh_sample_and_tells_nobody(client):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    assert await b.join(topic) == [{"id": a.id, "key": a.key}]
    await a.expect_nothing()


async def test_leave_tells_the_others(client):
    a, b, c = await client(), await client(), await client()
    topic = new_topic()
    for x in (a, b, c):
        await x.join(topic)
    await a.expect("joined")
    await a.expect("joined")
    await b.expect("joined")
    await b.leave(topic)
    for x in (a, c):
        assert await x.receive() == {"type": "left", "topic": topic, "id": b.id}
    await b.expect_nothing()
    # b is no longer offered to newcomers.
    d = await client()
    assert sorted(p["id"] for p in await d.join(topic)) == sorted([a.id, c.id])


async def test_disconnect_leaves_every_topic(client):
    a, b, c = await client(), await client(), await client()
    first, second = new_topic(), new_topic()
    await a.join(first)
    await a.join(second)
    await b.join(first)
    await c.join(second)
    await a.expect("joined")
    await a.expect("joined")
    await a.disconnect()
    assert await b.receive() == {"type": "left", "topic": first, "id": a.id}
    assert await c.receive() == {"type": "left", "topic": second, "id": a.id}
    await b.expect_nothing()
    await c.expect_nothing()


async def test_signal_is_relayed_with_topic_sender_and_blob_intact(client):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    for size in (1072, 4144, 16432):
        blob = sealed_blob(size)
        await b.signal(topic, a.id, blob)
        relayed = await a.receive()
        assert relayed == {
            "type": "signal",
            "topic": topic,
            "from": b.id,
            "key": b.key,
            "blob": blob,
        }
        await b.expect_nothing()


async def test_ping_is_answered_with_pong(client):
    a = await client()
    await a.send({"type": "ping"})
    assert await a.receive() == {"type": "pong"}
