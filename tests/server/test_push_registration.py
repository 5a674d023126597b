"""POST/DELETE /push/subscription and GET /push/vapid (docs/protocol.md §10): what a good
registration stores, the cap of subscriptions per mailbox, the rate limit, removal, and
the VAPID public key.

Requests are signed with parley_peer.wake, the client side of §10; the expected mailbox id
is computed here with hashlib, not with the server's code. The registrations the server
refuses are in test_push_registration_validation.py.
"""

import hashlib
import os

import pytest
from django.test import Client as HttpClient

from parley_peer.wake import MailboxKeys, register_request, unregister_request
from signal_server.models import PushSubscription
from signal_server.push import vapid

from .push_fixtures import client_address, fresh_push_limits, vapid_key  # noqa: F401
from .push_requests import Api, good_request, now_ms, subscription
from .wire import b64, unb64

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_push_limits")]


# Registering.


def test_a_signed_registration_is_stored_under_the_hash_of_the_mailbox_key(api):
    mailbox = MailboxKeys.generate()
    sub = subscription()
    response = api.post(register_request(mailbox, sub, now_ms()))
    assert response.status_code == 201, response.content
    expected_id = hashlib.blake2b(mailbox.public_key, digest_size=32).digest()
    assert response.json() == {"mailbox_id": b64(expected_id)}
    [row] = PushSubscription.objects.all()
    assert row.mailbox_id == expected_id.hex()
    assert (row.endpoint, row.p256dh, row.auth) == (
        sub["endpoint"],
        sub["keys"]["p256dh"],
        sub["keys"]["auth"],
    )


def test_registering_the_same_endpoint_again_updates_its_keys(api):
    mailbox = MailboxKeys.generate()
    first = subscription()
    again = subscription(endpoint=first["endpoint"])
    for sub in (first, again):
        assert api.post(register_request(mailbox, sub, now_ms())).status_code == 201
    [row] = PushSubscription.objects.all()
    assert (row.p256dh, row.auth) == (again["keys"]["p256dh"], again["keys"]["auth"])


def test_the_same_endpoint_under_two_mailboxes_is_two_subscriptions(api):
    sub = subscription()
    for mailbox in (MailboxKeys.generate(), MailboxKeys.generate()):
        assert api.post(register_request(mailbox, sub, now_ms())).status_code == 201
    assert PushSubscription.objects.count() == 2


def test_a_ninth_subscription_drops_the_least_recently_registered(http, settings):
    settings.PARLEY_PUSH_REGISTRATIONS_PER_MINUTE = 100
    api = Api(http)
    mailbox, other = MailboxKeys.generate(), MailboxKeys.generate()
    assert api.post(register_request(other, subscription(), now_ms())).status_code == 201
    subs = [subscription() for _ in range(10)]
    for sub in subs[:8]:
        assert api.post(register_request(mailbox, sub, now_ms())).status_code == 201
    # Registering the oldest again makes it the newest: subs[1] is now the oldest.
    assert api.post(register_request(mailbox, subs[0], now_ms())).status_code == 201
    assert api.post(register_request(mailbox, subs[8], now_ms())).status_code == 201
    mine = PushSubscription.objects.filter(mailbox_id=mailbox.mailbox_id.hex())
    kept = set(mine.values_list("endpoint", flat=True))
    assert kept == {sub["endpoint"] for sub in subs[:9]} - {subs[1]["endpoint"]}
    assert api.post(register_request(mailbox, subs[9], now_ms())).status_code == 201
    assert subs[2]["endpoint"] not in set(mine.values_list("endpoint", flat=True))
    assert mine.count() == 8
    # Another mailbox's subscription is not counted or dropped.
    assert PushSubscription.objects.filter(mailbox_id=other.mailbox_id.hex()).count() == 1


# Rate limit.


def test_registrations_are_rate_limited_per_client_address(http, settings):
    settings.PARLEY_PUSH_REGISTRATIONS_PER_MINUTE = 3
    api, neighbour = Api(http), Api(http)
    # Bad requests cost as much as good ones, and so do removals.
    assert api.post(b"garbage").status_code == 400
    assert api.delete(b"garbage").status_code == 400
    assert api.post(good_request()).status_code == 201
    stored = PushSubscription.objects.count()
    response = api.post(good_request())
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert response["Retry-After"] == "60"
    assert PushSubscription.objects.count() == stored
    # X-Forwarded-For is not believed without a trusted proxy.
    spoofed = api.post(good_request(), HTTP_X_FORWARDED_FOR=client_address())
    assert spoofed.status_code == 429
    assert neighbour.post(good_request()).status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(http, settings):
    settings.PARLEY_PUSH_REGISTRATIONS_PER_MINUTE = 1
    settings.PARLEY_TRUSTED_PROXY_COUNT = 1
    proxy = Api(http)
    first, second = client_address(), client_address()
    assert proxy.post(good_request(), HTTP_X_FORWARDED_FOR=first).status_code == 201
    assert proxy.post(good_request(), HTTP_X_FORWARDED_FOR=first).status_code == 429
    assert proxy.post(good_request(), HTTP_X_FORWARDED_FOR=second).status_code == 201


# Removing.


def test_a_signed_delete_removes_the_subscription(api):
    mailbox = MailboxKeys.generate()
    kept, removed = subscription(), subscription()
    for sub in (kept, removed):
        assert api.post(register_request(mailbox, sub, now_ms())).status_code == 201
    response = api.delete(unregister_request(mailbox, removed["endpoint"], now_ms()))
    assert response.status_code == 200, response.content
    assert response.json() == {"mailbox_id": mailbox.mailbox_id_b64}
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept["endpoint"]]
    again = api.delete(unregister_request(mailbox, removed["endpoint"], now_ms()))
    assert again.status_code == 404 and again.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r, other: {**r, "sig": other["sig"]}, "bad_signature"),
        (lambda r, other: {**r, "mailbox": other["mailbox"], "sig": other["sig"]}, "not_found"),
        (lambda r, other: {**r, "ts": r["ts"] - 20 * 60 * 1000}, "stale"),
        (lambda r, other: {**r, "extra": 1}, "bad_field"),
        (lambda r, other: {k: v for k, v in r.items() if k != "sig"}, "bad_field"),
        (lambda r, other: {**r, "endpoint": "x" * 1025}, "bad_endpoint"),
        (lambda r, other: {**r, "mailbox": b64(os.urandom(16))}, "bad_mailbox"),
    ],
)
def test_a_delete_needs_the_mailbox_signature(api, change, code):
    mailbox, other = MailboxKeys.generate(), MailboxKeys.generate()
    sub = subscription()
    assert api.post(register_request(mailbox, sub, now_ms())).status_code == 201
    ts = now_ms()
    request = unregister_request(mailbox, sub["endpoint"], ts)
    # `other` signs a delete of the same endpoint for its own mailbox.
    response = api.delete(change(request, unregister_request(other, sub["endpoint"], ts)))
    assert response.json()["error"] == code
    assert response.status_code == (404 if code == "not_found" else 400)
    assert PushSubscription.objects.count() == 1


def test_a_registration_signature_does_not_delete(api):
    mailbox = MailboxKeys.generate()
    sub = subscription()
    registration = register_request(mailbox, sub, now_ms())
    assert api.post(registration).status_code == 201
    request = unregister_request(mailbox, sub["endpoint"], registration["ts"])
    request["sig"] = registration["sig"]
    assert api.delete(request).json()["error"] == "bad_signature"
    assert PushSubscription.objects.count() == 1


def test_other_methods_are_not_allowed(http):
    assert http.get("/push/subscription").status_code == 405
    assert http.put("/push/subscription", b"{}", "application/json").status_code == 405
    assert http.post("/push/vapid").status_code == 405


# The VAPID public key.


def test_the_vapid_public_key_is_served(http, vapid_key):  # noqa: F811
    response = http.get("/push/vapid")
    assert response.status_code == 200
    assert response.json() == {"public_key": vapid.public_key_b64(vapid_key)}
    raw = unb64(response.json()["public_key"])
    assert len(raw) == 65 and raw[0] == 4


def test_without_a_vapid_key_the_server_says_it_sends_no_push(http, settings, tmp_path):
    settings.PARLEY_DATA_DIR = tmp_path / "empty"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    response = http.get("/push/vapid")
    assert response.status_code == 200
    assert response.json() == {"public_key": None}


def test_an_unusable_vapid_key_is_reported_as_unavailable(http, settings):
    settings.PARLEY_VAPID_PRIVATE_KEY = "not a key"
    response = http.get("/push/vapid")
    assert response.status_code == 503
    assert response.json()["error"] == "push_unavailable"


def test_registration_needs_no_csrf_token_it_is_signed():
    strict = Api(HttpClient(enforce_csrf_checks=True))
    mailbox, sub = MailboxKeys.generate(), subscription()
    assert strict.post(register_request(mailbox, sub, now_ms())).status_code == 201
    removal = strict.delete(unregister_request(mailbox, sub["endpoint"], now_ms()))
    assert removal.status_code == 200
