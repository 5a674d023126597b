"""Signaling envelopes (docs/protocol.md §4).

``open_envelope`` runs receiver checks 1-12 in the documented order and raises an
``EnvelopeError`` whose ``code`` is the documented reason. Check 13 (identity_changed)
needs the peer link and belongs to the caller, as does rejecting a frame whose topic is
not a room of this peer (code ``wrong_topic``).
"""

import time
from dataclasses import dataclass
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

from parley_peer.encoding import b64url_decode, b64url_encode, dump_json_utf8, parse_json_utf8
from parley_peer.errors import EncodingError, ProtocolError
from parley_peer.replay import FRESHNESS_PAST_MS, ReplayGuard
from parley_peer.signal_payload import is_signal_payload

ENVELOPE_VERSION = 1
ENVELOPE_BUCKETS = (1024, 4096, 16384)
SEALED_SIZES = tuple(size + nacl.bindings.crypto_box_SEALBYTES for size in ENVELOPE_BUCKETS)
_BLOB_LENGTHS = {-(-size * 4 // 3): size for size in SEALED_SIZES}  # base64url characters
FRESHNESS_FUTURE_MS = 30_000
ENVELOPE_REJECT_CODES = (
    "malformed", "undecryptable", "bad_version", "wrong_recipient", "wrong_topic",
    "wrong_sender", "not_member", "bad_signature", "stale", "replay", "identity_changed",
)  # fmt: skip

KEY_BYTES = 32
NONCE_BYTES = 16
MAC_BYTES = 32
SIGNATURE_BYTES = 64
# Field offsets of the plaintext.
SENDER_IDENTITY, SENDER_CONNECTION_KEY, RECIPIENT_CONNECTION_KEY, TOPIC = 1, 33, 65, 97
TIMESTAMP, NONCE, PAYLOAD_LENGTH, PAYLOAD = 129, 137, 153, 157
FIXED_BYTES = PAYLOAD + MAC_BYTES + SIGNATURE_BYTES
MAX_PAYLOAD_BYTES = ENVELOPE_BUCKETS[-1] - FIXED_BYTES

_MAC_CONTEXT = b"parley-envelope-mac-v1"
_SIGNATURE_CONTEXT = b"parley-envelope-sig-v1"


class EnvelopeError(ProtocolError):
    pass


@dataclass(frozen=True)
class OpenedEnvelope:
    sender_identity: bytes
    sender_connection_key: bytes
    recipient_connection_key: bytes
    topic: bytes
    timestamp: int
    nonce: bytes
    payload: Any


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _require_key(value: bytes, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != KEY_BYTES:
        raise TypeError(f"{name} must be 32 bytes")
    return value


def _membership_mac(body: bytes, membership_key: bytes) -> bytes:
    return nacl.hashlib.blake2b(
        _MAC_CONTEXT + body, digest_size=MAC_BYTES, key=membership_key
    ).digest()


def _encode_payload(payload: Any) -> bytes:
    try:
        data = dump_json_utf8(payload)
        valid = is_signal_payload(parse_json_utf8(data))
    except EncodingError:
        valid = False
    if not valid:
        raise EnvelopeError("malformed", "payload is not a description or a candidate")
    return data


def encode_envelope_plaintext(
    *,
    identity: SigningKey,
    sender_connection_key: bytes,
    recipient_connection_key: bytes,
    topic: bytes,
    membership_key: bytes,
    payload: Any,
    now_ms: int | None = None,
) -> bytes:
    """The padded plaintext before sealing; for tests and tools that alter a field."""
    payload_bytes = _encode_payload(payload)
    length = len(payload_bytes)
    bucket = next((size for size in ENVELOPE_BUCKETS if FIXED_BYTES + length <= size), None)
    if bucket is None:
        raise EnvelopeError("too_large", f"payload of {length} bytes, at most {MAX_PAYLOAD_BYTES}")
    body = b"".join([
        bytes([ENVELOPE_VERSION]),
        identity.verify_key.encode(),
        _require_key(sender_connection_key, "sender_connection_key"),
        _require_key(recipient_connection_key, "recipient_connection_key"),
        _require_key(topic, "topic"),
        (_now_ms() if now_ms is None else now_ms).to_bytes(8, "big"),
        nacl.utils.random(NONCE_BYTES),
        length.to_bytes(4, "big"),
        payload_bytes,
    ])  # fmt: skip
    mac = _membership_mac(body, _require_key(membership_key, "membership_key"))
    signature = identity.sign(_SIGNATURE_CONTEXT + body + mac).signature
    return (body + mac + signature).ljust(bucket, b"\0")


def seal_plaintext(plaintext: bytes, recipient_connection_key: bytes) -> str:
    return b64url_encode(SealedBox(PublicKey(recipient_connection_key)).encrypt(plaintext))


def seal_envelope(**options: Any) -> str:
    plaintext = encode_envelope_plaintext(**options)
    return seal_plaintext(plaintext, options["recipient_connection_key"])


def _decode_blob(blob: str) -> bytes:
    size = _BLOB_LENGTHS.get(len(blob)) if isinstance(blob, str) else None
    if size is None:
        raise EnvelopeError("malformed", "not a sealed envelope size")
    try:
        return b64url_decode(blob, size)
    except EncodingError as error:
        raise EnvelopeError("malformed", "invalid base64url") from error


def _equal(a: bytes, b: bytes) -> bool:
    return len(a) == len(b) and nacl.bindings.sodium_memcmp(a, b)


def open_envelope(
    blob: str,
    *,
    connection_key: PrivateKey,
    topic: bytes,
    expected_sender_connection_key: bytes,
    membership_key: bytes,
    replay_guard: ReplayGuard,
    now_ms: int | None = None,
) -> OpenedEnvelope:
    now_ms = _now_ms() if now_ms is None else now_ms
    for value, name in [
        (topic, "topic"),
        (expected_sender_connection_key, "expected_sender_connection_key"),
        (membership_key, "membership_key"),
    ]:
        _require_key(value, name)
    own_key = connection_key.public_key.encode()
    sealed = _decode_blob(blob)  # 1
    try:
        plaintext = SealedBox(connection_key).decrypt(sealed)
    except nacl.exceptions.CryptoError as error:
        raise EnvelopeError("undecryptable") from error  # 2
    if plaintext[0] != ENVELOPE_VERSION:
        raise EnvelopeError("bad_version")  # 3
    length = int.from_bytes(plaintext[PAYLOAD_LENGTH:PAYLOAD], "big")
    end = FIXED_BYTES + length
    if end > len(plaintext) or any(plaintext[end:]):
        raise EnvelopeError("malformed", "bad payload length or padding")  # 4

    def field(offset: int, size: int = KEY_BYTES) -> bytes:
        return plaintext[offset : offset + size]

    if not _equal(field(RECIPIENT_CONNECTION_KEY), own_key):
        raise EnvelopeError("wrong_recipient")  # 5
    if not _equal(field(TOPIC), topic):
        raise EnvelopeError("wrong_topic")  # 6
    if not _equal(field(SENDER_CONNECTION_KEY), expected_sender_connection_key):
        raise EnvelopeError("wrong_sender")  # 7
    body, mac = plaintext[: PAYLOAD + length], field(PAYLOAD + length, MAC_BYTES)
    if not _equal(_membership_mac(body, membership_key), mac):
        raise EnvelopeError("not_member")  # 8
    sender_identity = field(SENDER_IDENTITY)
    try:
        VerifyKey(sender_identity).verify(
            _SIGNATURE_CONTEXT + body + mac, plaintext[end - 64 : end]
        )
    except nacl.exceptions.CryptoError as error:
        raise EnvelopeError("bad_signature") from error  # 9
    timestamp = int.from_bytes(field(TIMESTAMP, 8), "big")
    if not now_ms - FRESHNESS_PAST_MS <= timestamp <= now_ms + FRESHNESS_FUTURE_MS:
        raise EnvelopeError("stale")  # 10
    nonce = field(NONCE, NONCE_BYTES)
    if replay_guard.has(sender_identity, nonce, timestamp, now_ms):
        raise EnvelopeError("replay")  # 11
    try:
        payload = parse_json_utf8(plaintext[PAYLOAD : PAYLOAD + length])
    except EncodingError as error:
        raise EnvelopeError("malformed", "payload is not UTF-8 JSON") from error  # 12
    if not is_signal_payload(payload):
        raise EnvelopeError("malformed", "payload is not a description or a candidate")  # 12
    # Remembered only now: a dropped envelope leaves nothing behind.
    replay_guard.remember(sender_identity, nonce, timestamp, now_ms)
    return OpenedEnvelope(
        sender_identity=sender_identity,
        sender_connection_key=field(SENDER_CONNECTION_KEY),
        recipient_connection_key=field(RECIPIENT_CONNECTION_KEY),
        topic=field(TOPIC),
        timestamp=timestamp,
        nonce=nonce,
        payload=payload,
    )
