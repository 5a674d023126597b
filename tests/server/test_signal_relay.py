"""Relay happens only between two connections of the named topic; samples are bounded."""

import pytest

from .wire import QUIET_SECONDS, new_topic, sealed_blob

pytestmark = pytest.mark.also_on_redis


async def test_no_relay_between_different_topics(client):
    a, c = await client(), await client()
    topic_a, topic_c = new_topic(), new_topic()
    await a.join(topic_a)
    await c.join(topic_c)
    await a.signal(topic_a, c.id, sealed_blob())
    await a.expect_error("unreachable", "signal")
    await a.signal(topic_c, c.id, sealed_blob())
    await a.expect_error("not_joined", "signal")
    await c.expect_nothing()


async def test_a_shared_topic_must_be_the_one_named(client):
    a, b, c = await client(), await client(), await client()
    shared, only_a = new_topic(), new_topic()
    await a.join(shared)
    await a.join(only_a)
    await c.join(shared)
    await a.expect("joined")
    await b.join(only_a)
    await a.expect("joined")
    # a and c share `shared`, but the frame names `only_a`, where c is not.
    await a.signal(only_a, c.id, sealed_blob())
    await a.expect_error("unreachable", "signal")
    await c.expect_nothing()
    blob = sealed_blob()
    await a.signal(shared, c.id, blob)
    assert await c.receive() == {
        "type": "signal",
        "topic": shared,
        "from": a.id,
        "key": a.key,
        "blob": blob,
    }


async def test_no_relay_after_the_peer_left_or_disconnected(client):
    a, b, c = await client(), await client(), await client()
    topic = new_topic()
    for x in (a, b, c):
        await x.join(topic)
    for _ in range(2):
        await a.expect("joined")
    await b.expect("joined")

    await b.leave(topic)
    await a.expect("left")
    await a.signal(topic, b.id, sealed_blob())
    # The error names whom it is about: in a big topic, not every member is told of a
    # leave, and this is how one that dials a member learns it is gone.
    refused = await a.expect_error("unreachable", "signal")
    assert (refused["topic"], refused["to"]) == (topic, b.id)
    await b.expect_nothing()

    await c.disconnect()
    await a.expect("left")
    await a.signal(topic, c.id, sealed_blob())
    await a.expect_error("unreachable", "signal")


async def test_a_left_sender_cannot_signal_into_the_topic(client):
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await a.expect("joined")
    await a.leave(topic)
    await b.expect("left")
    await a.signal(topic, b.id, sealed_blob())
    await a.expect_error("not_joined", "signal")
    await b.expect_nothing()


async def test_peers_is_a_bounded_sample_of_the_others(client, limits):
    limits(SAMPLE_SIZE=5)
    topic = new_topic()
    members = [await client() for _ in range(12)]
    # Each member was answered with everyone before it, but never more than 5.
    assert [len(await m.join(topic)) for m in members] == [0, 1, 2, 3, 4] + [5] * 7
    everyone = {m.id: m.key for m in members}
    newcomer = await client()
    for _ in range(3):
        peers = await newcomer.join(topic)
        assert len(peers) == 5
        ids = [p["id"] for p in peers]
        assert len(set(ids)) == 5
        assert newcomer.id not in ids
        assert all(everyone[p["id"]] == p["key"] for p in peers)


async def test_a_big_topic_announces_joins_and_leaves_to_a_bounded_sample(client, limits):
    limits(SAMPLE_SIZE=3)
    topic = new_topic()
    members = [await client() for _ in range(8)]
    for m in members:
        await m.join(topic)

    async def told(kind: str) -> list:
        found = []
        for m in members:
            while not await m.comm.receive_nothing(timeout=QUIET_SECONDS):
                frame = await m.receive()
                if frame["type"] == kind:
                    found.append(m)
        return found

    await told("joined")  # the joins among the first eight
    newcomer = await client()
    await newcomer.join(topic)
    assert len(await told("joined")) == 3
    await newcomer.leave(topic)
    assert len(await told("left")) == 3
