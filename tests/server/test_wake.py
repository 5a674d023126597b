"""The `wake` frame (docs/protocol.md §3, §10): limits, and what reaches the push service.

The push service is a real HTTP server on 127.0.0.1 (e2e/push_service.py), so pywebpush
runs for real: the tests decrypt what it sent with the subscription's private keys, as a
browser would, and check the VAPID token with the server's public key.
"""

import asyncio
import json
import os
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from nacl.signing import SigningKey

from e2e.push_service import make_subscription, verify_vapid
from parley_peer.wake import MailboxKeys, WakeError, open_wake, register_request, seal_wake
from signal_server import consumers
from signal_server.models import PushSubscription
from signal_server.push import vapid

from .mirror_fixtures import serve
from .push_fixtures import (  # noqa: F401
    fresh_push_limits,
    push_service,
    release_db_connections,
    vapid_key,
)
from .wire import b64

pytestmark = pytest.mark.also_on_redis

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_push_limits", "release_db_connections"),
]

# How long a `woken` may take to come: a bound on waiting, not a performance check.
WOKEN_WAIT_SECONDS = 10


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def register(mailbox: MailboxKeys, subscription) -> None:
    body = json.dumps(register_request(mailbox, subscription.as_json(), now_ms()))
    response = await AsyncClient().post("/push/subscription", body, content_type="application/json")
    assert response.status_code == 201, response.content


def a_wake(mailbox: MailboxKeys, text: str = "are you there?") -> str:
    return seal_wake(mailbox.public_key, SigningKey.generate(), os.urandom(32), text)


async def send_wake(c, mailbox_id: str, blob: str) -> None:
    await c.send({"type": "wake", "mailbox": mailbox_id, "blob": blob})


async def woken(c) -> dict:
    frame = await c.comm.receive_json_from(timeout=WOKEN_WAIT_SECONDS)
    assert frame["type"] == "woken", frame
    assert set(frame) == {"type", "mailbox", "delivered"}
    return frame


async def wake(c, mailbox_id: str, blob: str) -> int:
    await send_wake(c, mailbox_id, blob)
    frame = await woken(c)
    assert frame["mailbox"] == mailbox_id
    return frame["delivered"]


async def stored_endpoints() -> set[str]:
    rows = PushSubscription.objects.values_list("endpoint", flat=True)
    return set(await sync_to_async(list)(rows))


# The frame.


async def test_a_wake_needs_hello(client):
    c = await client(hello=False)
    await send_wake(c, b64(os.urandom(32)), b64(os.urandom(1072)))
    await c.expect_error("hello_required", "wake")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"mailbox": b64(os.urandom(31)), "blob": b64(os.urandom(1072))}, "bad_mailbox"),
        ({"mailbox": b64(os.urandom(33)), "blob": b64(os.urandom(1072))}, "bad_mailbox"),
        ({"mailbox": b64(os.urandom(32)) + "=", "blob": b64(os.urandom(1072))}, "bad_mailbox"),
        ({"mailbox": b64(os.urandom(32)), "blob": b64(os.urandom(1071))}, "bad_blob"),
        ({"mailbox": b64(os.urandom(32)), "blob": b64(os.urandom(1073))}, "bad_blob"),
        # A signal envelope size is not a wake size.
        ({"mailbox": b64(os.urandom(32)), "blob": b64(os.urandom(4144))}, "bad_blob"),
        ({"mailbox": b64(os.urandom(32)), "blob": "*" * 1430}, "bad_blob"),
        ({"mailbox": b64(os.urandom(32))}, "bad_frame"),
        ({"mailbox": 1, "blob": b64(os.urandom(1072))}, "bad_frame"),
        ({"mailbox": b64(os.urandom(32)), "blob": b64(os.urandom(1072)), "to": "x"}, "bad_frame"),
    ],
)
async def test_a_malformed_wake_is_refused(client, frame, code):
    c = await client()
    await c.send({"type": "wake", **frame})
    await c.expect_error(code, "wake")


async def test_an_unknown_mailbox_is_woken_for_no_one(client, vapid_key, push_service):  # noqa: F811
    c = await client()
    assert await wake(c, b64(os.urandom(32)), a_wake(MailboxKeys.generate())) == 0
    assert push_service.requests == []


# What reaches the push service.


async def test_the_push_service_gets_only_the_blob_encrypted_for_the_subscription(
    client,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
    settings,
):
    mailbox = MailboxKeys.generate()
    subscription = make_subscription(push_service.endpoint())
    await register(mailbox, subscription)
    sender = SigningKey.generate()
    room = os.urandom(32)
    blob = seal_wake(mailbox.public_key, sender, room, "meet at noon", kind="mention")

    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, blob) == 1

    [request] = push_service.requests_for(subscription.endpoint)
    # RFC 8291: the browser decrypts the record with its subscription keys and finds the
    # wake's base64url text, byte for byte, and nothing else.
    assert subscription.decrypt(request.body) == blob.encode("ascii")
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == "86400"
    assert request.headers["urgency"] == "high"
    # The blob opens for the mailbox's key, with the sender's signature; not for another.
    opened = open_wake(blob, mailbox)
    assert (opened.room, opened.sender, opened.kind, opened.text) == (
        room,
        bytes(sender.verify_key),
        "mention",
        "meet at noon",
    )
    with pytest.raises(WakeError) as refused:
        open_wake(blob, MailboxKeys.generate())
    assert refused.value.code == "undecryptable"
    # RFC 8292: a token for this push service's origin, signed by the server's VAPID key.
    claims = verify_vapid(request.headers["authorization"], vapid.public_key_b64(vapid_key))
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == settings.PARLEY_VAPID_SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    # Nothing in the request names the mailbox or carries the blob in the clear.
    everything = request.body + json.dumps(request.headers).encode()
    for secret in (blob.encode(), mailbox.public_key_b64.encode(), mailbox.mailbox_id_b64.encode()):
        assert secret not in everything
    assert await stored_endpoints() == {subscription.endpoint}


async def test_a_token_signed_by_another_key_does_not_verify(client, vapid_key, push_service):  # noqa: F811
    from cryptography.exceptions import InvalidSignature

    mailbox = MailboxKeys.generate()
    subscription = make_subscription(push_service.endpoint())
    await register(mailbox, subscription)
    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, a_wake(mailbox)) == 1
    [request] = push_service.requests
    other = vapid.public_key_b64(vapid.generate_key())
    with pytest.raises(InvalidSignature):
        verify_vapid(request.headers["authorization"], other)
    # Same key name, but a token cut short (a tampered token) does not verify either.
    auth = request.headers["authorization"]
    with pytest.raises(InvalidSignature):
        verify_vapid(auth.replace(",k=", "A,k=", 1), vapid.public_key_b64(vapid_key))


async def test_every_subscription_of_the_mailbox_is_woken(client, vapid_key, push_service):  # noqa: F811
    mailbox = MailboxKeys.generate()
    phone, laptop = (make_subscription(push_service.endpoint()) for _ in range(2))
    for subscription in (phone, laptop):
        await register(mailbox, subscription)
    await register(MailboxKeys.generate(), make_subscription(push_service.endpoint()))
    blob = a_wake(mailbox)
    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, blob) == 2
    assert len(push_service.requests) == 2
    for subscription in (phone, laptop):
        [request] = push_service.requests_for(subscription.endpoint)
        assert subscription.decrypt(request.body) == blob.encode()


@pytest.mark.parametrize(
    ("status", "delivered", "kept"),
    [
        (201, 1, True),
        (202, 1, True),
        (404, 0, False),
        (410, 0, False),
        (500, 0, True),
        (429, 0, True),
    ],
)
async def test_a_subscription_the_push_service_calls_gone_is_deleted(
    client,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
    status,
    delivered,
    kept,
):
    mailbox = MailboxKeys.generate()
    answered, healthy = (make_subscription(push_service.endpoint()) for _ in range(2))
    for subscription in (answered, healthy):
        await register(mailbox, subscription)
    push_service.answer(answered.endpoint, status)
    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, a_wake(mailbox)) == delivered + 1
    assert len(push_service.requests_for(answered.endpoint)) == 1
    expected = {healthy.endpoint} | ({answered.endpoint} if kept else set())
    assert await stored_endpoints() == expected


async def test_an_endpoint_whose_host_left_the_allow_list_is_not_pushed_to(
    client,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
    settings,
):
    mailbox = MailboxKeys.generate()
    subscription = make_subscription(push_service.endpoint())
    await register(mailbox, subscription)
    settings.PARLEY_PUSH_INSECURE_HOSTS = []
    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, a_wake(mailbox)) == 0
    assert push_service.requests == []
    assert await stored_endpoints() == {subscription.endpoint}


async def test_without_a_vapid_key_nothing_is_pushed(client, push_service, settings, tmp_path):  # noqa: F811
    settings.PARLEY_DATA_DIR = tmp_path / "no-key"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    mailbox = MailboxKeys.generate()
    await register(mailbox, make_subscription(push_service.endpoint()))
    c = await client()
    assert await wake(c, mailbox.mailbox_id_b64, a_wake(mailbox)) == 0
    assert push_service.requests == []


# Limits.


async def test_the_per_connection_wake_limit_holds_and_pushes_nothing(
    client,
    limits,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
):
    limits(WAKE_RATE_PER_SECOND=0.001, WAKE_BURST=2, MAX_ERRORS=1)
    mailboxes = [MailboxKeys.generate() for _ in range(3)]
    for mailbox in mailboxes:
        await register(mailbox, make_subscription(push_service.endpoint()))
    c, other = await client(), await client()
    for mailbox in mailboxes[:2]:
        assert await wake(c, mailbox.mailbox_id_b64, a_wake(mailbox)) == 1
    # Limited wakes are not counted toward 4001 (MAX_ERRORS=1): the connection stays.
    for _ in range(3):
        await send_wake(c, mailboxes[2].mailbox_id_b64, a_wake(mailboxes[2]))
        await c.expect_error("wake_rate_limited", "wake")
    await c.send({"type": "ping"})
    await c.expect("pong")
    assert len(push_service.requests) == 2
    # Another connection has its own budget.
    assert await wake(other, mailboxes[2].mailbox_id_b64, a_wake(mailboxes[2])) == 1
    assert len(push_service.requests) == 3


async def test_the_mirror_service_has_a_wake_budget_of_its_own(
    client,
    limits,
    mirror_key,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
):
    """It hands on the wakes of every room it holds (§12): more than one connection's."""
    limits(
        WAKE_RATE_PER_SECOND=0.001,
        WAKE_BURST=1,
        MIRROR_WAKE_RATE_PER_SECOND=0.001,
        MIRROR_WAKE_BURST=3,
    )
    mailboxes = [MailboxKeys.generate() for _ in range(4)]
    for mailbox in mailboxes:
        await register(mailbox, make_subscription(push_service.endpoint()))
    ordinary, mirror = await client(), await client()
    await serve(mirror, mirror_key)
    assert await wake(ordinary, mailboxes[0].mailbox_id_b64, a_wake(mailboxes[0])) == 1
    await send_wake(ordinary, mailboxes[1].mailbox_id_b64, a_wake(mailboxes[1]))
    await ordinary.expect_error("wake_rate_limited", "wake")
    for mailbox in mailboxes[1:]:
        assert await wake(mirror, mailbox.mailbox_id_b64, a_wake(mailbox)) == 1
    await send_wake(mirror, mailboxes[0].mailbox_id_b64, a_wake(mailboxes[0]))
    await mirror.expect_error("wake_rate_limited", "wake")


async def test_the_per_mailbox_wake_limit_is_shared_by_every_connection(
    client,
    limits,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
):
    limits(MAILBOX_WAKE_RATE_PER_SECOND=0.001, MAILBOX_WAKE_BURST=2)
    target, bystander = MailboxKeys.generate(), MailboxKeys.generate()
    for mailbox in (target, bystander):
        await register(mailbox, make_subscription(push_service.endpoint()))
    a, b, c = await client(), await client(), await client()
    assert await wake(a, target.mailbox_id_b64, a_wake(target)) == 1
    assert await wake(b, target.mailbox_id_b64, a_wake(target)) == 1
    for sender in (c, a):
        await send_wake(sender, target.mailbox_id_b64, a_wake(target))
        await sender.expect_error("wake_rate_limited", "wake")
    assert len(push_service.requests) == 2
    # Other mailboxes are not affected.
    assert await wake(c, bystander.mailbox_id_b64, a_wake(bystander)) == 1


async def test_a_wake_refused_by_the_connection_limit_spends_nothing_of_the_mailbox(
    client,
    limits,
    vapid_key,  # noqa: F811
    push_service,  # noqa: F811
):
    limits(
        WAKE_RATE_PER_SECOND=0.001,
        WAKE_BURST=1,
        MAILBOX_WAKE_RATE_PER_SECOND=0.001,
        MAILBOX_WAKE_BURST=2,
    )
    target = MailboxKeys.generate()
    await register(target, make_subscription(push_service.endpoint()))
    flooder, friend = await client(), await client()
    assert await wake(flooder, target.mailbox_id_b64, a_wake(target)) == 1
    for _ in range(5):
        await send_wake(flooder, target.mailbox_id_b64, a_wake(target))
        await flooder.expect_error("wake_rate_limited", "wake")
    assert await wake(friend, target.mailbox_id_b64, a_wake(target)) == 1


async def test_wakes_in_flight_are_bounded_and_do_not_hold_up_other_frames(
    client, limits, monkeypatch
):
    """A push service that does not answer: the connection keeps working meanwhile."""
    limits(WAKES_IN_FLIGHT=2, WAKE_BURST=100)
    release = asyncio.Event()
    pushed = []

    async def stalled_push(mailbox: bytes, blob: str) -> int:
        pushed.append(mailbox)
        await release.wait()
        return 1

    monkeypatch.setattr(consumers, "push_wake", stalled_push)
    c = await client()
    mailboxes = [b64(os.urandom(32)) for _ in range(3)]
    for mailbox in mailboxes[:2]:
        await send_wake(c, mailbox, b64(os.urandom(1072)))
    await send_wake(c, mailboxes[2], b64(os.urandom(1072)))
    await c.expect_error("wake_rate_limited", "wake")
    await c.send({"type": "ping"})
    await c.expect("pong")
    assert len(pushed) == 2
    release.set()
    answers = {(await woken(c))["mailbox"] for _ in range(2)}
    assert answers == set(mailboxes[:2])
    # Once answered, they no longer count.
    await send_wake(c, mailboxes[2], b64(os.urandom(1072)))
    assert (await woken(c))["mailbox"] == mailboxes[2]


async def test_a_failing_push_is_answered_with_zero(client, monkeypatch):
    async def broken_push(mailbox: bytes, blob: str) -> int:
        raise RuntimeError("database down")

    monkeypatch.setattr(consumers, "push_wake", broken_push)
    c = await client()
    mailbox = b64(os.urandom(32))
    assert await wake(c, mailbox, b64(os.urandom(1072))) == 0
    await c.send({"type": "ping"})
    await c.expect("pong")
