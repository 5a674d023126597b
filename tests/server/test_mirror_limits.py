"""The mirror service's connection gets the mirror's limits (docs/protocol.md §5, §12):
more topics, not counted against its address, and a larger token bucket; every other
connection keeps its own, and the address's counts stay balanced however it ends.
"""

import pytest

from signal_server.state.factory import shared_state

from .mirror_fixtures import serve
from .wire import new_topic

pytestmark = pytest.mark.also_on_redis

ADDRESS = "127.0.0.1"  # wire.Client's


async def address_counts() -> tuple[int, int]:
    addresses = shared_state().addresses
    return await addresses.connections(ADDRESS), await addresses.topics(ADDRESS)


async def test_the_mirror_may_join_up_to_its_own_topic_limit(client, limits, mirror_key):
    limits(MAX_TOPICS_PER_CONNECTION=2, MIRROR_MAX_TOPICS=5)
    m = await client()
    for _ in range(2):
        await m.join(new_topic())
    await m.send({"type": "join", "topic": new_topic()})
    await m.expect_error("too_many_topics", "join")
    await serve(m, mirror_key)
    for _ in range(3):
        await m.join(new_topic())
    await m.send({"type": "join", "topic": new_topic()})
    await m.expect_error("too_many_topics", "join")
    # Another connection keeps the ordinary limit.
    other = await client()
    for _ in range(2):
        await other.join(new_topic())
    await other.send({"type": "join", "topic": new_topic()})
    await other.expect_error("too_many_topics", "join")


async def test_the_mirrors_topics_do_not_count_against_its_address(client, limits, mirror_key):
    limits(MAX_TOPICS_PER_IP=3, MIRROR_MAX_TOPICS=10)
    m = await client()
    topics = [new_topic() for _ in range(6)]
    for topic in topics[:2]:
        await m.join(topic)
    assert await address_counts() == (1, 2)
    # Serving gives back what its topics counted so far, and later joins count nothing.
    await serve(m, mirror_key)
    assert await address_counts() == (1, 0)
    for topic in topics[2:]:
        await m.join(topic)
    assert await address_counts() == (1, 0)
    # The address's cap is all another connection's: the mirror's joins took none of it.
    other = await client()
    for _ in range(3):
        await other.join(new_topic())
    await other.send({"type": "join", "topic": new_topic()})
    await other.expect_error("too_many_topics_per_address", "join")
    assert await address_counts() == (2, 3)
    # Leaving, then closing, takes nothing of the other's count.
    await m.leave(topics[0])
    await m.send({"type": "ping"})
    await m.expect("pong")
    assert await address_counts() == (2, 3)
    await m.disconnect()
    assert await address_counts() == (1, 3)
    await other.disconnect()
    assert await address_counts() == (0, 0)


async def test_serving_twice_gives_back_nothing_twice(client, limits, mirror_key):
    m, other = await client(), await client()
    await other.join(new_topic())
    await m.join(new_topic())
    await serve(m, mirror_key)
    await serve(m, mirror_key)
    assert await address_counts() == (2, 1)
    await m.disconnect()
    assert await address_counts() == (1, 1)


async def test_an_ordinary_connection_gives_back_exactly_its_topics(client, limits, mirror_key):
    # The accounting the mirror changed, for a connection that never serves.
    c = await client()
    topics = [new_topic() for _ in range(3)]
    for topic in topics:
        await c.join(topic)
    await c.join(topics[0])  # again: no second membership
    assert await address_counts() == (1, 3)
    await c.leave(topics[1])
    await c.send({"type": "ping"})
    await c.expect("pong")
    assert await address_counts() == (1, 2)
    await c.disconnect()
    assert await address_counts() == (0, 0)


async def test_the_mirror_has_its_own_token_bucket(client, limits, mirror_key):
    # No refill to speak of within the test: each bucket gives exactly its burst.
    limits(RATE_PER_SECOND=0.001, RATE_BURST=6, MIRROR_RATE_PER_SECOND=0.001, MIRROR_BURST=40)
    ordinary, m = await client(), await client()
    # hello took one token of each; serving takes a second of the ordinary bucket, then
    # the mirror's bucket is full.
    await serve(m, mirror_key)
    for _ in range(5):
        await ordinary.send({"type": "ping"})
        await ordinary.expect("pong")
    await ordinary.send({"type": "ping"})
    await ordinary.expect_error("rate_limited")
    for _ in range(40):
        await m.send({"type": "ping"})
        await m.expect("pong")
    await m.send({"type": "ping"})
    await m.expect_error("rate_limited")
