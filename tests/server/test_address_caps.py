"""Per-address caps over real consumers: connections (close 4013) and topic memberships."""

import asyncio

import pytest
from django.test import override_settings

from signal_server.state.factory import shared_state

from .wire import GOOD_ORIGIN, Client, new_topic

pytestmark = pytest.mark.also_on_redis


async def open_from(address: str, *forwarded: str) -> Client:
    headers = GOOD_ORIGIN + [(b"x-forwarded-for", value.encode()) for value in forwarded]
    c = Client(headers=headers, address=address)
    connected, _ = await c.open()
    assert connected  # accepted first, so that a refusal can carry a close code
    return c


async def counted(address: str, connections: int) -> None:
    async with asyncio.timeout(1):
        # Polls Redis's count: nothing in this process can be awaited for it.
        while await shared_state().addresses.connections(address) != connections:  # noqa: ASYNC110
            await asyncio.sleep(0.001)


async def expect_refused(c: Client) -> None:
    await c.expect_close(4013)
    await c.send({"type": "hello", "v": 1, "key": c.key})
    await c.expect_nothing()
    await c.disconnect()


async def test_connections_over_the_cap_are_closed_with_4013(limits):
    limits(MAX_CONNECTIONS_PER_IP=2)
    # Each is counted before its hello is answered; with Redis, connections opened at
    # once are counted in the order their Redis calls land, so they are opened in turn.
    first = await open_from("198.51.100.7")
    await first.hello()
    second = await open_from("198.51.100.7")
    await second.hello()
    await expect_refused(await open_from("198.51.100.7"))
    # Another address is not affected, and the two admitted connections work.
    other = await open_from("203.0.113.9")
    await other.hello()
    # A refused connection was never counted, and a closed one stops counting.
    await expect_refused(await open_from("198.51.100.7"))
    await first.disconnect()
    third = await open_from("198.51.100.7")
    await third.hello()
    for c in (second, other, third):
        await c.disconnect()
    for address in ("198.51.100.7", "203.0.113.9"):
        assert await shared_state().addresses.connections(address) == 0


async def test_connections_count_before_hello_and_after_idle_close(limits):
    limits(MAX_CONNECTIONS_PER_IP=1, IDLE_SECONDS=0.1)
    silent = await open_from("198.51.100.7")
    await counted("198.51.100.7", 1)  # with Redis the count lands a little after accept
    await expect_refused(await open_from("198.51.100.7"))
    await silent.expect_close(4008)  # closed by the server: no longer counted
    await (await open_from("198.51.100.7")).disconnect()
    await silent.disconnect()


async def test_without_a_trusted_proxy_spoofed_forwarded_for_does_not_escape_the_cap(limits):
    limits(MAX_CONNECTIONS_PER_IP=2)
    opened = [await open_from("198.51.100.7", f"203.0.113.{n}") for n in (1, 2)]
    await counted("198.51.100.7", 2)
    await expect_refused(await open_from("198.51.100.7", "203.0.113.3"))
    for c in opened:
        await c.disconnect()


@override_settings(PARLEY_TRUSTED_PROXY_COUNT=1)
async def test_behind_a_trusted_proxy_the_forwarded_address_counts(limits):
    limits(MAX_CONNECTIONS_PER_IP=2)
    proxy = "127.0.0.1"
    # Clients behind one proxy are told apart by the entry the proxy appended...
    opened = [await open_from(proxy, "203.0.113.1") for _ in range(2)]
    opened.append(await open_from(proxy, "203.0.113.2"))
    await counted("203.0.113.1", 2)
    # ...and what a client writes to the left of it does not make it someone else.
    await expect_refused(await open_from(proxy, "6.6.6.6, 203.0.113.1"))
    await expect_refused(await open_from(proxy, "203.0.113.1", "7.7.7.7, 203.0.113.1"))
    for c in opened:
        await c.hello()
        await c.disconnect()


async def test_topic_memberships_are_capped_per_address(client, limits):
    limits(MAX_TOPICS_PER_IP=3, MAX_ERRORS=1)
    a, b = await client(), await client()  # both from 127.0.0.1
    t1, t2, t3, t4 = (new_topic() for _ in range(4))
    await a.join(t1)
    await a.join(t2)
    await b.join(t1)
    await a.expect("joined")
    # Three memberships together: a new topic is refused for either connection,
    for c in (b, a, b):
        await c.send({"type": "join", "topic": t3})
        await c.expect_error("too_many_topics_per_address", "join")
    # which is not held against them (MAX_ERRORS=1) and changes nothing,
    assert len(await b.join(t1)) == 1  # joining a topic again uses no membership
    await a.send({"type": "ping"})
    await a.expect("pong")
    # while another address joins as it likes.
    other = Client(address="203.0.113.9")
    await other.open()
    await other.hello()
    assert len(await other.join(t3)) == 0
    await other.disconnect()
    # Leaving gives a membership back, and so does closing.
    await a.leave(t2)
    await b.join(t4)
    await b.send({"type": "join", "topic": t3})
    await b.expect_error("too_many_topics_per_address", "join")
    await a.disconnect()
    assert await b.expect("left")
    await b.join(t3)  # b: t1, t4, t3


async def test_the_per_connection_limit_is_checked_first(client, limits):
    limits(MAX_TOPICS_PER_CONNECTION=1, MAX_TOPICS_PER_IP=1)
    a = await client()
    await a.join(new_topic())
    await a.send({"type": "join", "topic": new_topic()})
    await a.expect_error("too_many_topics", "join")
