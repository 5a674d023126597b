"""`mirror` requests and `mirror-reply` answers over real consumers (docs/protocol.md §3,
§12): a request reaches the registered mirror (and no one else) as `mirror-request`,
with the requester's id and key; a reply reaches the requester (and no one else), only
from the registered mirror, only for a request not yet answered.
"""

import pytest

from signal_server.state.factory import shared_state

from .mirror_fixtures import answer, ask, serve
from .wire import new_id, new_topic

pytestmark = pytest.mark.also_on_redis


async def test_a_request_reaches_the_mirror_and_its_reply_the_requester(client, mirror_key):
    m, asker, bystander = await client(), await client(), await client()
    await serve(m, mirror_key)
    # The requester shares no topic with the mirror, nor with anyone.
    await m.join(new_topic())
    blob = await ask(asker)
    assert await m.receive() == {
        "type": "mirror-request",
        "from": asker.id,
        "key": asker.key,
        "blob": blob,
    }
    reply = await answer(m, asker.id)
    assert await asker.receive() == {"type": "mirror-reply", "blob": reply}
    for c in (m, asker, bystander):
        await c.expect_nothing()


async def test_without_a_mirror_a_request_is_no_mirror(client, mirror_key):
    asker = await client()
    await ask(asker)
    await asker.expect_error("no_mirror", "mirror")


async def test_only_the_registered_mirror_may_reply(client, mirror_key):
    m, asker, impostor = await client(), await client(), await client()
    await serve(m, mirror_key)
    await ask(asker)
    await m.expect("mirror-request")
    await answer(impostor, asker.id)
    await impostor.expect_error("not_mirror", "mirror-reply")
    await asker.expect_nothing()
    # The request is still unanswered: the mirror's own reply goes through.
    reply = await answer(m, asker.id)
    assert await asker.receive() == {"type": "mirror-reply", "blob": reply}


async def test_without_any_mirror_a_reply_is_not_mirror(client, mirror_key):
    c, other = await client(), await client()
    await answer(c, other.id)
    await c.expect_error("not_mirror", "mirror-reply")
    await other.expect_nothing()


async def test_a_reply_needs_a_request_not_yet_answered(client, mirror_key):
    m, asker, stranger = await client(), await client(), await client()
    await serve(m, mirror_key)
    # Never asked: an existing connection, and one that does not exist, alike.
    for to in (stranger.id, new_id()):
        await answer(m, to)
        await m.expect_error("unreachable", "mirror-reply")
    await stranger.expect_nothing()
    # Two requests, two replies; a third has nothing to answer.
    for _ in range(2):
        await ask(asker)
        await m.expect("mirror-request")
    for _ in range(2):
        reply = await answer(m, asker.id)
        assert await asker.receive() == {"type": "mirror-reply", "blob": reply}
    await answer(m, asker.id)
    await m.expect_error("unreachable", "mirror-reply")
    await asker.expect_nothing()


async def test_the_latest_registration_wins_and_the_replaced_one_answers_no_more(
    client, mirror_key
):
    first, second, asker = await client(), await client(), await client()
    await serve(first, mirror_key)
    await ask(asker)
    await first.expect("mirror-request")
    await serve(second, mirror_key)
    blob = await ask(asker)
    assert (await second.expect("mirror-request"))["blob"] == blob
    await first.expect_nothing()
    # The replaced connection's pending request can no longer be answered by it.
    await answer(first, asker.id)
    await first.expect_error("not_mirror", "mirror-reply")
    reply = await answer(second, asker.id)
    assert await asker.receive() == {"type": "mirror-reply", "blob": reply}
    # Closing the replaced connection does not take its successor with it.
    await first.disconnect()
    await ask(asker)
    await second.expect("mirror-request")
    # ... and a replaced connection may take over again.
    third = await client()
    await serve(third, mirror_key)
    await serve(second, mirror_key)
    await ask(asker)
    await second.expect("mirror-request")
    await third.expect_nothing()


async def test_the_mirror_is_unregistered_when_its_connection_closes(client, mirror_key):
    m, asker = await client(), await client()
    await serve(m, mirror_key)
    await m.disconnect()
    assert await shared_state().mirrors.current() is None
    await ask(asker)
    await asker.expect_error("no_mirror", "mirror")


class CountedUnregisters:
    """A MirrorDirectory that counts its unregister calls (a Redis call each)."""

    def __init__(self, directory) -> None:
        self.directory = directory
        self.unregisters = 0

    async def register(self, member) -> None:
        await self.directory.register(member)

    async def current(self):
        return await self.directory.current()

    async def unregister(self, member_id: bytes) -> None:
        self.unregisters += 1
        await self.directory.unregister(member_id)


async def test_only_a_connection_that_served_unregisters_when_it_closes(
    client, mirror_key, fresh_state
):
    fresh_state.mirrors = counted = CountedUnregisters(fresh_state.mirrors)
    m, asker = await client(), await client()
    await asker.disconnect()
    assert counted.unregisters == 0
    await serve(m, mirror_key)
    await m.disconnect()
    assert counted.unregisters == 1


async def test_a_reply_to_a_requester_that_has_gone_is_dropped_quietly(client, mirror_key):
    m, asker = await client(), await client()
    await serve(m, mirror_key)
    await ask(asker)
    await m.expect("mirror-request")
    await asker.disconnect()
    await answer(m, asker.id)
    await m.expect_nothing()
    await m.send({"type": "ping"})
    await m.expect("pong")


async def test_a_request_needs_hello_first(client, mirror_key):
    m, early = await client(), await client(hello=False)
    await serve(m, mirror_key)
    await ask(early)
    await early.expect_error("hello_required", "mirror")
    await m.expect_nothing()


async def test_requests_beyond_the_address_budget_are_refused_and_not_relayed(
    client, limits, mirror_key
):
    limits(MIRROR_REQUEST_RATE_PER_SECOND=0.001, MIRROR_REQUEST_BURST=2, MAX_ERRORS=1)
    m, first, second = await client(), await client(), await client()
    await serve(m, mirror_key)
    await ask(first)
    await ask(second)  # the address's two, shared by its connections
    for _ in range(2):
        assert (await m.receive())["type"] == "mirror-request"
    for c in (first, second):
        await ask(c)
        await c.expect_error("mirror_rate_limited", "mirror")
    # Not counted toward 4001 (MAX_ERRORS=1): the connections stay.
    await first.send({"type": "ping"})
    await first.expect("pong")
    await m.expect_nothing()
