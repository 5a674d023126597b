"""Requests to a blind mirror service and its replies (docs/protocol.md §12).

A member seals a request to the service's seal key; the rendezvous server relays the
blob and cannot open it. The service answers with a reply sealed to the member's
connection key. Both are padded to 1,024 bytes, so every blob is 1,072 bytes.

    blob = seal_request("hold", capability, mirror_public_key)
    request = open_request(blob, mirror_signing_key)     # MirrorRequestError(code)
    reply_blob = seal_reply(reply_ok(capability.topic), requester_connection_key)
    reply = open_reply(reply_blob, connection_private_key)
"""

import time
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

from parley_peer.encoding import (
    b64url_decode,
    b64url_encode,
    dump_json_utf8,
    is_json_integer,
    parse_json_utf8,
)
from parley_peer.errors import EncodingError, ProtocolError
from parley_peer.keys import RoomKeys, founded_topic

PADDED_BYTES = 1024
BLOB_BYTES = PADDED_BYTES + 48  # crypto_box_seal adds an ephemeral key and a tag
KEY_BYTES = 32
OPS = ("hold", "drop")
FRESH_MS = 10 * 60 * 1000
MAX_TS = 2**53 - 1
REPLY_ERRORS = ("malformed", "stale", "full", "wrong_key", "not_held", "failed")
_REQUEST_FIELDS = {"v", "op", "topic", "membership", "ts"}
# A request names the room's control key (§12: for device revocations, §13; an older
# app's may not), and a founded room's (§2) its founder and commitment too.
_KEYED_FIELDS = _REQUEST_FIELDS | {"control"}
_FOUNDED_FIELDS = _KEYED_FIELDS | {"founder", "commitment"}


class MirrorRequestError(ProtocolError):
    pass


@dataclass(frozen=True)
class MirrorCapability:
    """What a blind mirror holds of one room: it links and verifies, it cannot read."""

    discovery_key: bytes
    membership_key: bytes
    # The mirror reads the room's control entries with it and enforces revocations (§13);
    # None from an older app.
    control_key: bytes | None = None
    # A founded room's (§2): with it the mirror enforces removals too.
    founder: bytes | None = None
    # What proves the founder is the room's (the topic is its hash with the founder, §2):
    # checked when a request opens, not kept.
    commitment: bytes | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls, keys: RoomKeys, founder: bytes | None = None, commitment: bytes | None = None
    ) -> "MirrorCapability":
        return cls(keys.discovery_key, keys.membership_key, keys.control_key, founder, commitment)

    @property
    def topic(self) -> str:
        return b64url_encode(self.discovery_key)


@dataclass(frozen=True)
class MirrorRequest:
    op: str
    capability: MirrorCapability
    ts: int


def seal_key(mirror_public_key: bytes) -> PublicKey:
    """crypto_sign_ed25519_pk_to_curve25519 of the mirror key: what requests are sealed to."""
    return VerifyKey(mirror_public_key).to_curve25519_public_key()


def _seal(plaintext: bytes, key: PublicKey) -> str:
    return b64url_encode(SealedBox(key).encrypt(nacl.bindings.sodium_pad(plaintext, PADDED_BYTES)))


def _open(blob: object, key: PrivateKey) -> bytes:
    """The unpadded plaintext, or MirrorRequestError('malformed')."""
    try:
        sealed = b64url_decode(blob, BLOB_BYTES)  # type: ignore[arg-type]
        padded = SealedBox(key).decrypt(sealed)
        return nacl.bindings.sodium_unpad(padded, PADDED_BYTES)
    except (EncodingError, TypeError, ValueError, nacl.exceptions.CryptoError):
        raise MirrorRequestError("malformed", "not a sealed blob for this key") from None


def seal_request(
    op: str, capability: MirrorCapability, mirror_public_key: bytes, ts: int | None = None
) -> str:
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}")
    body = {
        "v": 1,
        "op": op,
        "topic": capability.topic,
        "membership": b64url_encode(capability.membership_key),
        "ts": time.time_ns() // 1_000_000 if ts is None else ts,
    }
    if capability.founder is not None and (
        capability.control_key is None or capability.commitment is None
    ):
        raise ValueError("a founded room's capability needs its control key and commitment")
    if capability.control_key is not None:
        body["control"] = b64url_encode(capability.control_key)
    if capability.founder is not None and capability.commitment is not None:
        body["founder"] = b64url_encode(capability.founder)
        body["commitment"] = b64url_encode(capability.commitment)
    return _seal(dump_json_utf8(body), seal_key(mirror_public_key))


def open_request(blob: object, mirror_key: SigningKey, now_ms: int | None = None) -> MirrorRequest:
    """A request as the service reads it: sealed to it, of the schema, fresh."""
    plaintext = _open(blob, mirror_key.to_curve25519_private_key())
    try:
        body = parse_json_utf8(plaintext)
    except EncodingError:
        raise MirrorRequestError("malformed", "not UTF-8 JSON") from None
    if not isinstance(body, dict) or set(body) not in (
        _REQUEST_FIELDS,
        _KEYED_FIELDS,
        _FOUNDED_FIELDS,
    ):
        raise MirrorRequestError("malformed", "not a request object")
    if body["v"] != 1 or isinstance(body["v"], bool) or body["op"] not in OPS:
        raise MirrorRequestError("malformed", "bad v or op")
    if not is_json_integer(body["ts"], 0, MAX_TS):
        raise MirrorRequestError("malformed", "bad ts")
    try:
        topic = b64url_decode(body["topic"], KEY_BYTES)
        membership = b64url_decode(body["membership"], KEY_BYTES)
        founded = "founder" in body
        control = b64url_decode(body["control"], KEY_BYTES) if "control" in body else None
        founder = b64url_decode(body["founder"], KEY_BYTES) if founded else None
        commitment = b64url_decode(body["commitment"], KEY_BYTES) if founded else None
    except (EncodingError, TypeError):
        raise MirrorRequestError("malformed", "bad key or founder") from None
    now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if abs(now - int(body["ts"])) > FRESH_MS:
        raise MirrorRequestError("stale")
    if (
        founder is not None
        and commitment is not None
        and founded_topic(founder, commitment) != topic
    ):
        raise MirrorRequestError("malformed", "not this room's founder")
    capability = MirrorCapability(topic, membership, control, founder, commitment)
    return MirrorRequest(body["op"], capability, int(body["ts"]))


def reply_ok(topic: str | None) -> dict:
    return {"v": 1, "topic": topic, "ok": True}


def reply_error(topic: str | None, code: str) -> dict:
    if code not in REPLY_ERRORS:
        raise ValueError(f"code must be one of {REPLY_ERRORS}")
    return {"v": 1, "topic": topic, "ok": False, "error": code}


def seal_reply(reply: dict, connection_key: bytes) -> str:
    return _seal(dump_json_utf8(reply), PublicKey(connection_key))


def open_reply(blob: object, connection_key: PrivateKey) -> dict:
    """A reply as a member reads it (the browser's schema, for tests)."""
    body = parse_json_utf8(_open(blob, connection_key))
    ok = isinstance(body, dict) and body.get("v") == 1 and isinstance(body.get("ok"), bool)
    if not ok or set(body) != ({"v", "topic", "ok"} | (set() if body["ok"] else {"error"})):
        raise MirrorRequestError("malformed", "not a reply object")
    return body
