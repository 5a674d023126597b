"""Subscription requests (docs/protocol.md §10, "Registering a subscription").

`parse_registration(body, now_ms)` and `parse_unregistration(body, now_ms)` turn a
request body into a `Registration` or `Unregistration`, or raise `RegistrationError`
with the documented code and HTTP status. They store nothing; the caller stores only
what they return. Checks run in the documented order, cheapest first, so that the
signature (the only costly one) is verified last, for requests that are otherwise valid:
size, JSON, fields, mailbox, endpoint, keys, freshness, signature.

The request is signed by the mailbox key, so only the holder of a mailbox's secret key
can add subscriptions to it or remove them. A captured request can be replayed for
`FRESHNESS_MS`; that re-registers the same subscription or removes it again, no more.
"""

from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.signing import VerifyKey

from signal_server.protocol import decode_b64url
from signal_server.push.endpoints import MAX_ENDPOINT_CHARS, endpoint_problem
from signal_server.strict_json import field_problem, loads_strict

MAX_BODY_BYTES = 4096
FRESHNESS_MS = 10 * 60 * 1000
MAX_TS = 2**53 - 1  # the largest integer JSON numbers carry exactly in a browser
MAILBOX_KEY_BYTES = 32
MAILBOX_ID_BYTES = 32
P256_POINT_BYTES = 65
AUTH_SECRET_BYTES = 16
SIGNATURE_BYTES = 64
SIGNATURE_CONTEXT = "parley-push-v1"

REGISTRATION_FIELDS: dict[str, type] = {"mailbox": str, "subscription": dict, "ts": int, "sig": str}
SUBSCRIPTION_FIELDS: dict[str, type] = {"endpoint": str, "keys": dict}
KEYS_FIELDS: dict[str, type] = {"p256dh": str, "auth": str}
UNREGISTRATION_FIELDS: dict[str, type] = {"mailbox": str, "endpoint": str, "ts": int, "sig": str}


class RegistrationError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Registration:
    mailbox_id: bytes
    endpoint: str
    p256dh: str  # canonical base64url, as the browser's PushSubscription.toJSON() gives it
    auth: str


@dataclass(frozen=True, slots=True)
class Unregistration:
    mailbox_id: bytes
    endpoint: str


def mailbox_id(mailbox_key: bytes) -> bytes:
    """BLAKE2b-256 of the mailbox public key: the only name the server files it under."""
    return nacl.hashlib.blake2b(mailbox_key, digest_size=MAILBOX_ID_BYTES).digest()


def registration_message(mailbox: str, endpoint: str, p256dh: str, auth: str, ts: int) -> bytes:
    fields = (SIGNATURE_CONTEXT, "register", mailbox, endpoint, p256dh, auth, str(ts))
    return "|".join(fields).encode("utf-8")


def unregistration_message(mailbox: str, endpoint: str, ts: int) -> bytes:
    return "|".join((SIGNATURE_CONTEXT, "unregister", mailbox, endpoint, str(ts))).encode()


def parse_registration(body: bytes, now_ms: int) -> Registration:
    obj = _load_object(body)
    _check_fields(obj, REGISTRATION_FIELDS, "")
    subscription = obj["subscription"]
    _check_fields(subscription, SUBSCRIPTION_FIELDS, "subscription.")
    keys = subscription["keys"]
    _check_fields(keys, KEYS_FIELDS, "subscription.keys.")
    mailbox_key = _mailbox_key(obj["mailbox"])
    endpoint = subscription["endpoint"]
    problem = endpoint_problem(endpoint)
    if problem is not None:
        raise RegistrationError("bad_endpoint", problem)
    _check_keys(keys["p256dh"], keys["auth"])
    _check_fresh(obj["ts"], now_ms)
    message = registration_message(
        obj["mailbox"], endpoint, keys["p256dh"], keys["auth"], obj["ts"]
    )
    _check_signature(mailbox_key, message, obj["sig"])
    return Registration(mailbox_id(mailbox_key), endpoint, keys["p256dh"], keys["auth"])


def parse_unregistration(body: bytes, now_ms: int) -> Unregistration:
    obj = _load_object(body)
    _check_fields(obj, UNREGISTRATION_FIELDS, "")
    mailbox_key = _mailbox_key(obj["mailbox"])
    endpoint = obj["endpoint"]
    # Only the length: a subscription whose host has since left the allow-list can
    # still be removed, and the endpoint is only compared with stored ones.
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise RegistrationError("bad_endpoint", f"endpoint is over {MAX_ENDPOINT_CHARS} chars")
    _check_fresh(obj["ts"], now_ms)
    _check_signature(
        mailbox_key, unregistration_message(obj["mailbox"], endpoint, obj["ts"]), obj["sig"]
    )
    return Unregistration(mailbox_id(mailbox_key), endpoint)


def _load_object(body: bytes) -> dict:
    if len(body) > MAX_BODY_BYTES:
        raise RegistrationError("too_large", f"bodies are at most {MAX_BODY_BYTES} bytes", 413)
    try:
        obj = loads_strict(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise RegistrationError("bad_json", "the body is not UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise RegistrationError("bad_json", "the body is not a JSON object")
    return obj


def _check_fields(obj: dict, fields: dict[str, type], prefix: str) -> None:
    problem = field_problem(obj, fields, prefix=prefix)
    if problem:
        raise RegistrationError("bad_field", problem)
    for name, expected in fields.items():
        # ts is a whole number of ms that JavaScript can hold.
        if expected is int and not 0 <= obj[name] <= MAX_TS:
            raise RegistrationError("bad_field", f"out of range: {prefix}{name}")


def _mailbox_key(text: str) -> bytes:
    raw = decode_b64url(text)
    if raw is None or len(raw) != MAILBOX_KEY_BYTES:
        raise RegistrationError("bad_mailbox", "mailbox is not base64url of 32 bytes")
    # Refuses small-order and non-canonical points too: no honest key is one, and a wake
    # key converted from one would not be a key only its holder can open.
    if not nacl.bindings.crypto_core_ed25519_is_valid_point(raw):
        raise RegistrationError("bad_mailbox", "mailbox is not an Ed25519 public key")
    return raw


def _check_keys(p256dh: str, auth: str) -> None:
    point = decode_b64url(p256dh)
    if point is None or len(point) != P256_POINT_BYTES or point[0] != 0x04:
        raise RegistrationError("bad_keys", "p256dh is not base64url of a 65-byte P-256 point")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise RegistrationError("bad_keys", "p256dh is not a point on P-256") from None
    secret = decode_b64url(auth)
    if secret is None or len(secret) != AUTH_SECRET_BYTES:
        raise RegistrationError("bad_keys", "auth is not base64url of 16 bytes")


def _check_fresh(ts: int, now_ms: int) -> None:
    if abs(now_ms - ts) > FRESHNESS_MS:
        raise RegistrationError("stale", "ts is more than 10 minutes from the server's clock")


def _check_signature(mailbox_key: bytes, message: bytes, sig: str) -> None:
    signature = decode_b64url(sig)
    if signature is None or len(signature) != SIGNATURE_BYTES:
        raise RegistrationError("bad_signature", "sig is not base64url of 64 bytes")
    try:
        VerifyKey(mailbox_key).verify(message, signature)
    except nacl.exceptions.BadSignatureError:
        raise RegistrationError("bad_signature", "sig does not verify") from None
