"""POST/DELETE /push/subscription and GET /push/vapid (docs/protocol.md §10).

A bad request gets its documented code and stores nothing: every refusal test counts the
rows afterwards. Requests are signed with parley_peer.wake, the client side of §10; the
expected mailbox id is computed here with hashlib, not with the server's code.
"""

import hashlib
import json
import os
import time

import pytest
from django.test import Client as HttpClient
from nacl.signing import SigningKey

from parley_peer.wake import MailboxKeys, register_request, unregister_request
from signal_server.models import PushSubscription
from signal_server.push import vapid

from .push_fixtures import client_address, fresh_push_limits, vapid_key  # noqa: F401
from .wire import b64, unb64

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_push_limits")]

PUSH_HOST = "https://fcm.googleapis.com/fcm/send/"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def p256dh() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64(point)


def subscription(endpoint: str | None = None, key: str | None = None, auth: str | None = None):
    return {
        "endpoint": endpoint or PUSH_HOST + b64(os.urandom(12)),
        "keys": {"p256dh": key or p256dh(), "auth": auth or b64(os.urandom(16))},
    }


def body_of(obj) -> bytes:
    return json.dumps(obj).encode()


class Api:
    """The push API from one client address."""

    def __init__(self, client, address: str | None = None):
        self.client = client
        self.address = address or client_address()

    def post(self, body, content_type="application/json", **extra):
        data = body if isinstance(body, bytes) else body_of(body)
        return self.client.post(
            "/push/subscription", data, content_type, REMOTE_ADDR=self.address, **extra
        )

    def delete(self, body):
        data = body if isinstance(body, bytes) else body_of(body)
        return self.client.delete(
            "/push/subscription", data, "application/json", REMOTE_ADDR=self.address
        )


@pytest.fixture
def http():
    # Not `client`: tests/server/conftest.py's `client` opens WebSocket connections.
    return HttpClient()


@pytest.fixture
def api(http):
    return Api(http)


def assert_refused(response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.content
    answer = response.json()
    assert set(answer) == {"error", "message"} and answer["error"] == code, answer
    assert answer["message"]
    assert PushSubscription.objects.count() == 0


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


# Refusals: each stores nothing.


def good_request() -> dict:
    return register_request(MailboxKeys.generate(), subscription(), now_ms())


def resigned(mailbox: MailboxKeys, endpoint: str, p256dh_: str, auth: str, ts) -> dict:
    """A request with these values, correctly signed, so that only the value is wrong."""
    sub = {"endpoint": endpoint, "keys": {"p256dh": p256dh_, "auth": auth}}
    return register_request(mailbox, sub, ts)


def with_endpoint(endpoint: str) -> dict:
    sub = subscription()
    return resigned(
        MailboxKeys.generate(), endpoint, sub["keys"]["p256dh"], sub["keys"]["auth"], now_ms()
    )


def with_keys(p256dh_: str | None = None, auth: str | None = None) -> dict:
    sub = subscription(key=p256dh_, auth=auth)
    return resigned(
        MailboxKeys.generate(),
        sub["endpoint"],
        sub["keys"]["p256dh"],
        sub["keys"]["auth"],
        now_ms(),
    )


def with_ts(ts: int) -> dict:
    return register_request(MailboxKeys.generate(), subscription(), ts)


def changed(request: dict, path: str, value) -> dict:
    """`request` with the field at the dotted `path` set to `value` (or deleted)."""
    *parents, name = path.split(".")
    copy = json.loads(json.dumps(request))
    node = copy
    for parent in parents:
        node = node[parent]
    if value is DELETE:
        del node[name]
    else:
        node[name] = value
    return copy


def shifted_ts(request: dict) -> dict:
    return changed(request, "ts", request["ts"] - 1)


DELETE = object()
# A point that is not on P-256: (0, 0) in uncompressed form.
OFF_CURVE = b64(b"\x04" + bytes(64))


@pytest.mark.parametrize(
    ("make", "code"),
    [
        # JSON
        (lambda: b"not json", "bad_json"),
        (lambda: b"[]", "bad_json"),
        (lambda: b'"text"', "bad_json"),
        (lambda: b"\xff\xfe{}", "bad_json"),
        (lambda: b'{"ts": NaN}', "bad_json"),
        (lambda: body_of(good_request())[:-1] + b', "ts": 1}', "bad_json"),  # duplicate key
        # fields: unknown, missing, wrong type; top level and nested
        (lambda: changed(good_request(), "extra", 1), "bad_field"),
        (lambda: changed(good_request(), "subscription.expirationTime", None), "bad_field"),
        (lambda: changed(good_request(), "subscription.keys.extra", "x"), "bad_field"),
        (lambda: changed(good_request(), "ts", DELETE), "bad_field"),
        (lambda: changed(good_request(), "subscription.keys.auth", DELETE), "bad_field"),
        (lambda: changed(good_request(), "subscription.endpoint", DELETE), "bad_field"),
        (lambda: changed(good_request(), "ts", str(now_ms())), "bad_field"),
        (lambda: changed(good_request(), "ts", True), "bad_field"),
        (lambda: changed(good_request(), "ts", now_ms() + 0.5), "bad_field"),
        (lambda: changed(good_request(), "ts", -1), "bad_field"),
        (lambda: changed(good_request(), "mailbox", 7), "bad_field"),
        (lambda: changed(good_request(), "subscription", []), "bad_field"),
        (lambda: changed(good_request(), "subscription.keys", "keys"), "bad_field"),
        (lambda: changed(good_request(), "subscription.keys.p256dh", None), "bad_field"),
        (lambda: changed(good_request(), "sig", None), "bad_field"),
        # mailbox
        (lambda: changed(good_request(), "mailbox", b64(os.urandom(31))), "bad_mailbox"),
        (lambda: changed(good_request(), "mailbox", b64(b"\xff" * 32)), "bad_mailbox"),
        (lambda: changed(good_request(), "mailbox", b64(b"\x01" + bytes(31))), "bad_mailbox"),
        (
            lambda: changed(good_request(), "mailbox", good_request()["mailbox"] + "="),
            "bad_mailbox",
        ),
        # endpoint
        (lambda: with_endpoint("http://fcm.googleapis.com/fcm/send/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://push.example.com/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com.example.com/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://evilfcm.googleapis.com.example/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com:8443/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://user@fcm.googleapis.com/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://127.0.0.1/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://[::1]/x"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com./x"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com/a b"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com/a|b"), "bad_endpoint"),
        (lambda: with_endpoint("https://fcm.googleapis.com/x#frag"), "bad_endpoint"),
        (lambda: with_endpoint("file:///etc/passwd"), "bad_endpoint"),
        (lambda: with_endpoint("https://"), "bad_endpoint"),
        (lambda: with_endpoint(PUSH_HOST + "a" * (1025 - len(PUSH_HOST))), "bad_endpoint"),
        # keys
        (lambda: with_keys(p256dh_=b64(os.urandom(64))), "bad_keys"),
        (lambda: with_keys(p256dh_=OFF_CURVE), "bad_keys"),
        (lambda: with_keys(p256dh_=b64(b"\x02" + os.urandom(32))), "bad_keys"),  # compressed
        (lambda: with_keys(p256dh_="not base64url!"), "bad_keys"),
        (lambda: with_keys(auth=b64(os.urandom(15))), "bad_keys"),
        (lambda: with_keys(auth=b64(os.urandom(17))), "bad_keys"),
        # freshness
        (lambda: with_ts(now_ms() - 11 * 60 * 1000), "stale"),
        (lambda: with_ts(now_ms() + 11 * 60 * 1000), "stale"),
        (lambda: with_ts(0), "stale"),
        # signature
        (lambda: changed(good_request(), "sig", good_request()["sig"]), "bad_signature"),
        (lambda: changed(good_request(), "sig", b64(bytes(64))), "bad_signature"),
        (lambda: changed(good_request(), "sig", b64(os.urandom(63))), "bad_signature"),
        (lambda: shifted_ts(good_request()), "bad_signature"),
        (
            lambda: changed(good_request(), "subscription.keys.auth", b64(os.urandom(16))),
            "bad_signature",
        ),
    ],
)
def test_a_bad_registration_is_refused_with_its_code_and_stores_nothing(api, make, code):
    assert_refused(api.post(make()), code)


def test_a_signature_by_another_key_does_not_verify(api):
    mailbox, impostor = MailboxKeys.generate(), MailboxKeys.generate()
    request = register_request(impostor, subscription(), now_ms())
    request["mailbox"] = mailbox.public_key_b64
    assert_refused(api.post(request), "bad_signature")


def test_an_identity_key_signature_is_a_signature_by_another_key(api):
    # A mailbox is its own key; the identity key (or any other) cannot register for it.
    request = good_request()
    request["sig"] = b64(SigningKey.generate().sign(b"anything").signature)
    assert_refused(api.post(request), "bad_signature")


def test_an_oversized_body_is_refused_before_it_is_parsed(api):
    body = body_of(good_request())
    assert api.post(body + b" " * (4096 - len(body))).status_code == 201
    PushSubscription.objects.all().delete()
    assert_refused(api.post(body + b" " * (4097 - len(body))), "too_large", 413)
    assert_refused(api.post(b"{" * 5000), "too_large", 413)


def test_a_body_that_is_not_declared_json_is_refused(api):
    body = body_of(good_request())
    assert_refused(api.post(body, content_type="text/plain"), "bad_content_type", 415)
    assert_refused(
        api.post(body, content_type="application/x-www-form-urlencoded"), "bad_content_type", 415
    )


def test_the_endpoint_may_be_any_subdomain_of_an_allowed_push_service(api):
    for endpoint in (
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGz0",
        "https://wns2-by3p.notify.windows.com/w/?token=AQE%3d",
        "https://fcm.googleapis.com:443/fcm/send/x",
        "https://FCM.googleapis.com/fcm/send/y",
    ):
        assert api.post(with_endpoint(endpoint)).status_code == 201, endpoint


def test_insecure_hosts_allow_plain_http_only_there(api, settings):
    settings.PARLEY_PUSH_INSECURE_HOSTS = ["127.0.0.1:8123"]
    assert api.post(with_endpoint("http://127.0.0.1:8123/push/a")).status_code == 201
    for endpoint in ("http://127.0.0.1:8124/push/a", "http://127.0.0.2:8123/push/a"):
        response = api.post(with_endpoint(endpoint))
        assert response.json()["error"] == "bad_endpoint", endpoint
    settings.PARLEY_PUSH_INSECURE_HOSTS = ["127.0.0.1"]
    assert api.post(with_endpoint("http://127.0.0.1:9/push/b")).status_code == 201


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


def test_without_a_vapid_key_push_is_unavailable(http, settings, tmp_path):
    settings.PARLEY_DATA_DIR = tmp_path / "empty"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    response = http.get("/push/vapid")
    assert response.status_code == 503
    assert response.json()["error"] == "push_unavailable"


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
