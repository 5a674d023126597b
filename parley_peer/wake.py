"""Mailboxes, wakes and push registrations (docs/protocol.md §10), on the client side.

A Python peer (and the tests) use this as the browser's push client does:

- `MailboxKeys.generate()`: a mailbox keypair; `.mailbox_id` is what `wake` frames name,
  `.public_key` what `mailbox` entries and registrations carry.
- `seal_wake(mailbox_public_key, sender, room, text)`: the base64url blob of a `wake`
  frame, 1,072 bytes, that only the mailbox's holder can open.
- `open_wake(blob, mailbox)`: a mailbox holder's side: an `OpenedWake`, or `WakeError`
  with code `malformed`, `undecryptable` or `bad_signature`.
- `register_request(mailbox, subscription, ts)` / `unregister_request(mailbox, endpoint,
  ts)`: the signed JSON bodies of POST / DELETE `/push/subscription`.
"""

import time
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
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

WAKE_PADDED_BYTES = 1024
WAKE_BLOB_BYTES = WAKE_PADDED_BYTES + nacl.bindings.crypto_box_SEALBYTES  # 1072
SIGNATURE_BYTES = 64
MAILBOX_ID_BYTES = 32
TEXT_CODE_POINTS = 100
WAKE_KINDS = ("message", "mention")
MAX_TS = 8_640_000_000_000_000  # as `ts` of entries (§7)
_WAKE_SIGNATURE_CONTEXT = b"parley-wake-v1"
_PUSH_SIGNATURE_CONTEXT = "parley-push-v1"
_WAKE_FIELDS = {"v", "room", "from", "kind", "text", "ts"}


class WakeError(ProtocolError):
    pass


@dataclass(frozen=True)
class MailboxKeys:
    """A device's mailbox keypair: Ed25519, unrelated to its identity key."""

    signing_key: SigningKey

    @classmethod
    def generate(cls) -> "MailboxKeys":
        return cls(SigningKey.generate())

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def public_key_b64(self) -> str:
        return b64url_encode(self.public_key)

    @property
    def mailbox_id(self) -> bytes:
        return mailbox_id(self.public_key)

    @property
    def mailbox_id_b64(self) -> str:
        return b64url_encode(self.mailbox_id)

    @property
    def wake_private_key(self) -> PrivateKey:
        # crypto_sign_ed25519_sk_to_curve25519: the other half of the wake key.
        return self.signing_key.to_curve25519_private_key()


@dataclass(frozen=True)
class OpenedWake:
    room: bytes
    sender: bytes  # the sender's identity public key
    kind: str
    text: str
    ts: int


def mailbox_id(mailbox_public_key: bytes) -> bytes:
    """BLAKE2b-256 (unkeyed) of the mailbox public key."""
    return nacl.hashlib.blake2b(mailbox_public_key, digest_size=MAILBOX_ID_BYTES).digest()


def wake_public_key(mailbox_public_key: bytes) -> PublicKey:
    """crypto_sign_ed25519_pk_to_curve25519 of the mailbox key: what wakes are sealed to."""
    return VerifyKey(mailbox_public_key).to_curve25519_public_key()


def seal_wake(
    mailbox_public_key: bytes,
    sender: SigningKey,
    room: bytes,
    text: str,
    kind: str = "message",
    ts: int | None = None,
) -> str:
    """The sealed, padded wake for a mailbox, as the base64url text of a `wake` frame.

    `text` is cut to its first 100 code points, as §10 says a sender does.
    """
    if kind not in WAKE_KINDS:
        raise ValueError(f"kind must be one of {WAKE_KINDS}")
    stamp = int(time.time() * 1000) if ts is None else ts
    excerpt = text[:TEXT_CODE_POINTS]
    # JSON escapes can make 100 code points long (a control character is 6 bytes): the
    # text gives way, never the fixed size; sodium_pad needs at least one byte.
    while True:
        body = dump_json_utf8(
            {
                "v": 1,
                "room": b64url_encode(room),
                "from": b64url_encode(bytes(sender.verify_key)),
                "kind": kind,
                "text": excerpt,
                "ts": stamp,
            }
        )
        if SIGNATURE_BYTES + len(body) < WAKE_PADDED_BYTES or not excerpt:
            break
        excerpt = excerpt[:-1]
    signature = sender.sign(_WAKE_SIGNATURE_CONTEXT + mailbox_public_key + body).signature
    plaintext = signature + body
    padded = nacl.bindings.sodium_pad(plaintext, WAKE_PADDED_BYTES)
    return b64url_encode(SealedBox(wake_public_key(mailbox_public_key)).encrypt(padded))


def open_wake(blob: str, mailbox: MailboxKeys) -> OpenedWake:
    """Open a wake as the service worker does, checks in order, first failure reported."""
    try:
        sealed = b64url_decode(blob, WAKE_BLOB_BYTES)
    except EncodingError:
        raise WakeError("malformed", "not base64url of 1072 bytes") from None
    try:
        padded = SealedBox(mailbox.wake_private_key).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise WakeError("undecryptable") from None
    try:
        plaintext = nacl.bindings.sodium_unpad(padded, WAKE_PADDED_BYTES)
    except (nacl.exceptions.CryptoError, ValueError):
        raise WakeError("malformed", "bad padding") from None
    signature, body = plaintext[:SIGNATURE_BYTES], plaintext[SIGNATURE_BYTES:]
    fields = _wake_fields(body)
    try:
        VerifyKey(fields.sender).verify(
            _WAKE_SIGNATURE_CONTEXT + mailbox.public_key + body, signature
        )
    except (nacl.exceptions.BadSignatureError, ValueError):
        raise WakeError("bad_signature") from None
    return fields


def _wake_fields(body: bytes) -> OpenedWake:
    try:
        obj = parse_json_utf8(body)
    except EncodingError:
        raise WakeError("malformed", "not UTF-8 JSON") from None
    if not isinstance(obj, dict) or set(obj) != _WAKE_FIELDS or obj["v"] != 1:
        raise WakeError("malformed", "not a wake object")
    text = obj["text"]
    if obj["kind"] not in WAKE_KINDS or not isinstance(text, str):
        raise WakeError("malformed", "bad kind or text")
    if not 1 <= len(text) <= TEXT_CODE_POINTS:
        raise WakeError("malformed", "text is 1 to 100 code points")
    if not is_json_integer(obj["ts"], 0, MAX_TS):
        raise WakeError("malformed", "bad ts")
    try:
        room, sender = b64url_decode(obj["room"], 32), b64url_decode(obj["from"], 32)
    except EncodingError:
        raise WakeError("malformed", "bad room or from") from None
    return OpenedWake(room, sender, obj["kind"], obj["text"], int(obj["ts"]))


def register_request(mailbox: MailboxKeys, subscription: dict, ts: int) -> dict:
    """The body of POST /push/subscription for a browser-shaped subscription
    (`{"endpoint", "keys": {"p256dh", "auth"}}`), signed by the mailbox key."""
    endpoint = subscription["endpoint"]
    p256dh, auth = subscription["keys"]["p256dh"], subscription["keys"]["auth"]
    fields = ("register", mailbox.public_key_b64, endpoint, p256dh, auth, str(ts))
    return {
        "mailbox": mailbox.public_key_b64,
        "subscription": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
        "ts": ts,
        "sig": _sign(mailbox, fields),
    }


def unregister_request(mailbox: MailboxKeys, endpoint: str, ts: int) -> dict:
    """The body of DELETE /push/subscription, signed by the mailbox key."""
    fields = ("unregister", mailbox.public_key_b64, endpoint, str(ts))
    return {
        "mailbox": mailbox.public_key_b64,
        "endpoint": endpoint,
        "ts": ts,
        "sig": _sign(mailbox, fields),
    }


def _sign(mailbox: MailboxKeys, fields: tuple[str, ...]) -> str:
    message = "|".join((_PUSH_SIGNATURE_CONTEXT, *fields)).encode("utf-8")
    return b64url_encode(mailbox.signing_key.sign(message).signature)
