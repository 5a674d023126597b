"""What POST /push/subscription refuses (docs/protocol.md §10), and which endpoints it allows.

The JSON, its fields, the mailbox key, the endpoint, the subscription keys, freshness, the
signature, the body's size and its content type. A bad request gets its documented code and
stores nothing: every refusal test counts the rows afterwards. Requests are signed with
parley_peer.wake, the client side of §10.
"""

import json
import os

import pytest
from nacl.signing import SigningKey

from parley_peer.wake import MailboxKeys, register_request
from signal_server.models import PushSubscription

from .push_fixtures import fresh_push_limits  # noqa: F401
from .push_requests import PUSH_HOST, body_of, good_request, now_ms, subscription
from .wire import b64

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_push_limits")]


# Refusals: each stores nothing.


def assert_refused(response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.content
    answer = response.json()
    assert set(answer) == {"error", "message"} and answer["error"] == code, answer
    assert answer["message"]
    assert PushSubscription.objects.count() == 0


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
