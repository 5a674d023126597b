"""Mirror requests and replies (docs/protocol.md §12) between the browser's
static/app/mirror/mirror-request.js and parley_peer.mirror_request: a request a browser
seals opens in the service, a reply the service seals opens in the browser, and what
does not follow the schema is refused on both sides."""

import nacl.bindings
import pytest
from nacl.public import PrivateKey, SealedBox
from nacl.signing import SigningKey

from parley_peer.encoding import b64url_encode as b64
from parley_peer.encoding import dump_json_utf8
from parley_peer.keys import derive_room_keys, founded_room_keys, new_room_secret
from parley_peer.mirror_request import (
    MirrorCapability,
    MirrorRequestError,
    open_request,
    reply_error,
    reply_ok,
    seal_key,
    seal_reply,
    seal_request,
)
from tests.interop.conftest import NOW, run_js

MINUTE = 60_000


def js_request(
    op: str, secret: bytes, mirror: SigningKey, now: int = NOW, founder: bytes | None = None
) -> str:
    [sealed] = run_js(
        {
            "op": "seal_mirror_request",
            "requestOp": op,
            "secret": b64(secret),
            "mirrorKey": b64(bytes(mirror.verify_key)),
            "now": now,
            **({"founder": b64(founder)} if founder else {}),
        }
    )
    return sealed["blob"]


@pytest.mark.parametrize("op", ["hold", "drop"])
def test_a_browser_request_opens_in_the_service_as_the_capability(op: str) -> None:
    mirror, secret = SigningKey.generate(), new_room_secret()
    keys = derive_room_keys(secret)
    request = open_request(js_request(op, secret, mirror), mirror, now_ms=NOW)
    assert request.op == op and request.ts == NOW
    # The control key of every room, founded or not (§12: for device revocations, §13).
    assert request.capability == MirrorCapability(
        keys.discovery_key, keys.membership_key, keys.control_key
    )


def test_a_request_of_a_room_without_a_founder_brings_its_control_key_or_none() -> None:
    mirror, keys = SigningKey.generate(), derive_room_keys(new_room_secret())
    capability = MirrorCapability.of(keys)
    assert capability.control_key == keys.control_key and capability.founder is None
    sealed = seal_request("hold", capability, bytes(mirror.verify_key), NOW)
    assert open_request(sealed, mirror, now_ms=NOW).capability == capability
    # An older app's request names no control key: still taken.
    older = MirrorCapability(keys.discovery_key, keys.membership_key)
    sealed = seal_request("hold", older, bytes(mirror.verify_key), NOW)
    assert open_request(sealed, mirror, now_ms=NOW).capability.control_key is None


def test_a_founded_rooms_request_brings_its_control_key_and_a_founder_the_topic_proves() -> None:
    mirror, secret = SigningKey.generate(), new_room_secret()
    founder = SigningKey.generate().verify_key.encode()
    keys, commitment = founded_room_keys(secret, founder)
    request = open_request(js_request("hold", secret, mirror, founder=founder), mirror, now_ms=NOW)
    assert request.capability == MirrorCapability.of(keys, founder, commitment)
    assert request.capability.control_key == keys.control_key
    # The Python side seals it the same way.
    capability = MirrorCapability.of(keys, founder, commitment)
    sealed = seal_request("hold", capability, bytes(mirror.verify_key), NOW)
    assert open_request(sealed, mirror, now_ms=NOW).capability.founder == founder
    # A member who names itself the founder of someone else's room is refused.
    impostor = SigningKey.generate().verify_key.encode()
    forged = MirrorCapability(
        keys.discovery_key, keys.membership_key, keys.control_key, impostor, commitment
    )
    with pytest.raises(MirrorRequestError) as caught:
        open_request(seal_request("hold", forged, bytes(mirror.verify_key), NOW), mirror, NOW)
    assert caught.value.code == "malformed"


def test_only_the_mirror_opens_a_request_and_only_while_it_is_fresh() -> None:
    mirror, secret = SigningKey.generate(), new_room_secret()
    blob = js_request("hold", secret, mirror)
    with pytest.raises(MirrorRequestError) as caught:
        open_request(blob, SigningKey.generate(), now_ms=NOW)
    assert caught.value.code == "malformed"
    for now in (NOW - 11 * MINUTE, NOW + 11 * MINUTE):
        with pytest.raises(MirrorRequestError) as caught:
            open_request(blob, mirror, now_ms=now)
        assert caught.value.code == "stale"
    assert open_request(blob, mirror, now_ms=NOW + 9 * MINUTE).op == "hold"


@pytest.mark.parametrize(
    "body",
    [
        {"v": 2, "op": "hold"},
        {"v": 1, "op": "read"},
        {"v": 1, "op": "hold", "extra": 1},
        {"v": 1, "op": "hold", "ts": -1},
        {"v": 1, "op": "hold", "topic": "short"},
        {"v": 1, "op": "hold", "membership": None},
        {"v": 1, "op": "hold", "founder": "AAAA"},
        {"v": 1, "op": "hold", "control": "x" * 43, "founder": "short"},
        {"v": 1, "op": "hold", "control": None},
        {"v": 1, "op": "hold", "control": "short"},
        {"v": 1, "op": "hold", "control": b64(bytes(32)), "founder": b64(bytes(32))},
        {"v": 1, "op": "hold", "founder": b64(bytes(32)), "commitment": b64(bytes(32))},
        {"v": 1, "op": "hold", "control": b64(bytes(32)), "commitment": b64(bytes(32))},
    ],
)
def test_a_request_outside_the_schema_is_malformed(body: dict) -> None:
    mirror, keys = SigningKey.generate(), derive_room_keys(new_room_secret())
    fields = {
        "v": 1,
        "op": "hold",
        "topic": b64(keys.discovery_key),
        "membership": b64(keys.membership_key),
        "ts": NOW,
        **body,
    }
    padded = nacl.bindings.sodium_pad(dump_json_utf8(fields), 1024)
    blob = b64(SealedBox(seal_key(bytes(mirror.verify_key))).encrypt(padded))
    with pytest.raises(MirrorRequestError) as caught:
        open_request(blob, mirror, now_ms=NOW)
    assert caught.value.code == "malformed"


def test_the_service_reply_opens_in_the_browser_and_a_stranger_reply_does_not() -> None:
    connection = PrivateKey.generate()
    seed = b64(bytes(connection))  # the private key itself
    topic = b64(derive_room_keys(new_room_secret()).discovery_key)
    key = bytes(connection.public_key)
    forged = seal_reply({"v": 1, "topic": topic, "ok": "yes"}, key)
    results = run_js(
        {
            "op": "open_mirror_reply",
            "blob": seal_reply(reply_ok(topic), key),
            "connectionKey": seed,
        },
        {
            "op": "open_mirror_reply",
            "blob": seal_reply(reply_error(topic, "full"), key),
            "connectionKey": seed,
        },
        {
            "op": "open_mirror_reply",
            "blob": seal_reply(reply_error(None, "malformed"), key),
            "connectionKey": seed,
        },
        {"op": "open_mirror_reply", "blob": forged, "connectionKey": seed},
        {
            "op": "open_mirror_reply",
            "blob": seal_reply(reply_ok(topic), bytes(PrivateKey.generate().public_key)),
            "connectionKey": seed,
        },
    )
    assert results == [
        {"topic": topic, "ok": True},
        {"topic": topic, "ok": False, "error": "full"},
        {"topic": None, "ok": False, "error": "malformed"},
        {"error": "malformed"},
        {"error": "malformed"},
    ]


def test_python_and_browser_requests_are_the_same_size() -> None:
    mirror, secret = SigningKey.generate(), new_room_secret()
    python = seal_request(
        "hold", MirrorCapability.of(derive_room_keys(secret)), bytes(mirror.verify_key)
    )
    assert len(python) == len(js_request("hold", secret, mirror)) == 1430  # 1,072 bytes
