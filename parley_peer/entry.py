"""Room entries (docs/protocol.md §7).

``open_entry`` runs receiver checks 1, 2, 5 and 6; the checks that need the author's log
(fork, broken_chain, bad_clock) belong to the caller, which can run
``verify_entry_signature`` first to keep the documented order. A blind mirror only ever calls
``verify_entry_signature``: it needs the discovery key, not the message key.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import nacl.utils
from nacl.signing import SigningKey, VerifyKey

from parley_peer.encoding import b64url_decode, dump_json_utf8, is_json_integer, parse_json_utf8
from parley_peer.errors import EncodingError, ProtocolError

ENTRY_VERSION = 1
ENTRY_REJECT_CODES = (
    "malformed", "bad_signature", "fork", "broken_chain", "undecryptable", "bad_clock"
)  # fmt: skip
KEY_BYTES = 32
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
SIGNATURE_BYTES = 64
# The largest time a JavaScript Date can hold (ECMA-262 time values).
MAX_TIMESTAMP_MS = 8_640_000_000_000_000

# Field offsets.
AUTHOR, SEQ, PREV, NONCE, CIPHER_LENGTH, CIPHERTEXT = 1, 33, 41, 73, 97, 101
HEADER_BYTES = CIPHER_LENGTH
MAX_BODY_BYTES = 16384
MAX_TEXT_CODE_POINTS = 4000
MAX_NAME_CODE_POINTS = 64
MAX_EMOJI_CODE_POINTS = 8
MAX_EMOJI_BYTES = 32
MAX_SEQ = 2**53 - 1
MAX_FILE_NAME_CODE_POINTS = 255
MAX_MIME_LENGTH = 127
CALL_ID_BYTES = 16
CALL_EVENTS = ("started", "joined", "ended")
# The per-room notification levels of a `mailbox` entry (§10).
MAILBOX_NOTIFY_LEVELS = ("all", "mentions", "none")
MAX_CALL_DURATION_MS = 86_400_000  # a day
FILE_CHUNK_BYTES = 131072  # the only chunk size, in both chunk formats (§11)
FILE_FORMAT_V2 = 2  # a file entry's `format`; without one, format 1
MAX_FILE_FORMAT = 255  # formats after 2 are a later version's (§11)
MAX_FILE_BYTES = FILE_CHUNK_BYTES * 2**24  # 2^24 chunks: 2 TiB
MAX_DESCRIPTION_CODE_POINTS = 500
MAX_SLOW_MODE_SECONDS = 86_400
MEMBER_ROLES = ("admin", "moderator", "member")
POSTING_RULES = ("everyone", "moderators")
# Entries sealed with the room's control key (§7 "Moderation"), which mirrors hold too.
CONTROL_TYPES = ("role", "remove")
MIN_ENTRY_BYTES = CIPHERTEXT + SIGNATURE_BYTES
MAX_ENTRY_BYTES = MIN_ENTRY_BYTES + MAX_BODY_BYTES + TAG_BYTES
ZERO_ID = bytes(32)

_AD_CONTEXT = b"parley-entry-v1"
_SIGNATURE_CONTEXT = b"parley-entry-sig-v1"


class EntryError(ProtocolError):
    pass


@dataclass(frozen=True)
class SignedEntry:
    data: bytes
    id: bytes


@dataclass(frozen=True)
class VerifiedEntry:
    author: bytes
    seq: int
    prev: bytes
    id: bytes


@dataclass(frozen=True)
class OpenedEntry(VerifiedEntry):
    body: dict


def _require_keys(**keys: bytes) -> None:
    for name, key in keys.items():
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise TypeError(f"{name} must be 32 bytes")


def entry_id(data: bytes) -> bytes:
    return nacl.hashlib.blake2b(data, digest_size=32).digest()


Check = Callable[[Any], bool]


def _is_id(value: Any) -> bool:
    try:
        b64url_decode(value, 32)  # canonical spelling only, as in §1
    except EncodingError:
        return False
    return True


def _is_text(limit: int, minimum: int = 1) -> Check:
    # len() of a str counts code points, as the browser does with [...text].length.
    return lambda value: isinstance(value, str) and minimum <= len(value) <= limit


def _is_emoji(value: Any) -> bool:
    # A lone surrogate counts 3 bytes, as the browser's TextEncoder writes U+FFFD for it.
    return (
        _is_text(MAX_EMOJI_CODE_POINTS)(value)
        and len(value.encode("utf-8", "surrogatepass")) <= MAX_EMOJI_BYTES
    )


# A media type as `type/subtype` (RFC 6838 restricted names, no parameters), or empty.
_MIME = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?")


def _is_call_id(value: Any) -> bool:
    # 16 random bytes: 22 characters, the 4 spare bits of the last one zero (canonical).
    try:
        b64url_decode(value, CALL_ID_BYTES)
    except EncodingError:
        return False
    return True


def is_file_format(value: Any) -> bool:
    """A ``format`` a file entry may name (§11): 2, or a later version's up to 255."""
    return is_json_integer(value, FILE_FORMAT_V2, MAX_FILE_FORMAT)


def _is_mime(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_MIME_LENGTH and bool(_MIME.fullmatch(value))


_COMMON: dict[str, Check] = {
    "ts": lambda value: is_json_integer(value, 0, MAX_TIMESTAMP_MS),
    "clock": lambda value: is_json_integer(value, 1, MAX_SEQ),
}
_TEXT = _is_text(MAX_TEXT_CODE_POINTS)
_NAME = _is_text(MAX_NAME_CODE_POINTS)
# type -> (required fields, optional fields), beside "type", "ts" and "clock".
_BODY_SCHEMAS: dict[str, tuple[dict[str, Check], dict[str, Check]]] = {
    "message": ({"text": _TEXT}, {"reply": _is_id}),
    "edit": ({"target": _is_id, "text": _TEXT}, {}),
    "delete": ({"target": _is_id}, {}),
    "reaction": ({"target": _is_id, "emoji": _is_emoji, "on": lambda v: isinstance(v, bool)}, {}),
    "name": ({"name": _NAME}, {}),
    "join": ({"name": _NAME}, {}),
    # A mailbox public key (§10) is 32 bytes spelled canonically, like an id.
    "mailbox": ({"mailbox": _is_id, "notify": lambda v: v in MAILBOX_NOTIFY_LEVELS}, {}),
    # A file offer (§11): the Merkle root and the file key are 32 bytes, spelled like ids.
    "file": (
        {
            "name": _is_text(MAX_FILE_NAME_CODE_POINTS),
            "size": lambda v: is_json_integer(v, 0, MAX_FILE_BYTES),
            "mime": _is_mime,
            "chunk": lambda v: is_json_integer(v, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES),
            "root": _is_id,
            "key": _is_id,
        },
        # The chunk format (§11): absent is format 1, then 2; one this version does not
        # know (up to 255) is a later version's: kept and shown, its file not fetched.
        {"format": is_file_format},
    ),
    # A call event (§6 Calls) in the history; see _BODY_RULES for `duration`.
    "call": (
        {
            "call": _is_call_id,
            "event": lambda v: v in CALL_EVENTS,
            "video": lambda v: isinstance(v, bool),
        },
        {"duration": lambda v: is_json_integer(v, 0, MAX_CALL_DURATION_MS)},
    ),
    "room": ({"name": _NAME}, {}),
    "leave": ({}, {}),
    "read": ({"upTo": lambda v: is_json_integer(v, 1, MAX_SEQ)}, {}),
    "role": ({"member": _is_id, "role": lambda v: v in MEMBER_ROLES}, {}),
    "remove": ({"member": _is_id, "upTo": lambda v: is_json_integer(v, 0, MAX_SEQ)}, {}),
    "settings": (
        {},
        {
            "description": _is_text(MAX_DESCRIPTION_CODE_POINTS, minimum=0),
            "posting": lambda v: v in POSTING_RULES,
            "slowMode": lambda v: is_json_integer(v, 0, MAX_SLOW_MODE_SECONDS),
        },
    ),
}
ENTRY_TYPES = tuple(_BODY_SCHEMAS)
# type -> a rule across keys, run once every key has passed its own check.
_BODY_RULES: dict[str, Check] = {
    # `duration` is there exactly when the call ended.
    "call": lambda body: ("duration" in body) == (body["event"] == "ended"),
    # A settings entry changes something.
    "settings": lambda body: any(key in body for key in ("description", "posting", "slowMode")),
}


def is_entry_body(body: Any) -> bool:
    """The body schema of docs/protocol.md §7: exact key sets per type."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return False
    if body["type"] not in _BODY_SCHEMAS:
        return False
    required, optional = _BODY_SCHEMAS[body["type"]]
    checks = {**_COMMON, **required}
    if not all(key in body and check(body[key]) for key, check in checks.items()):
        return False
    extra = set(body) - set(checks) - {"type"}
    if not all(key in optional and optional[key](body[key]) for key in extra):
        return False
    rule = _BODY_RULES.get(body["type"])
    return rule is None or rule(body)


def create_entry(
    *,
    identity: SigningKey,
    seq: int,
    prev: bytes | None = None,
    body: dict,
    message_key: bytes,
    discovery_key: bytes,
) -> SignedEntry:
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError("seq out of range")
    _require_keys(message_key=message_key, discovery_key=discovery_key)
    prev = ZERO_ID if prev is None else prev
    if len(prev) != 32 or (seq == 0) != (prev == ZERO_ID):
        raise EntryError("broken_chain", "sequence 0 and only it has a zero prev")
    try:
        plaintext = dump_json_utf8(body)
        valid = is_entry_body(parse_json_utf8(plaintext))
    except EncodingError:
        valid = False
    if not valid:
        raise EntryError("malformed")
    if len(plaintext) > MAX_BODY_BYTES:
        raise EntryError("too_large")
    nonce = nacl.utils.random(NONCE_BYTES)
    header = b"".join([
        bytes([ENTRY_VERSION]), identity.verify_key.encode(), seq.to_bytes(8, "big"), prev, nonce
    ])  # fmt: skip
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, _AD_CONTEXT + header, nonce, message_key
    )
    unsigned = header + len(ciphertext).to_bytes(4, "big") + ciphertext
    signature = identity.sign(_SIGNATURE_CONTEXT + discovery_key + unsigned).signature
    data = unsigned + signature
    return SignedEntry(data=data, id=entry_id(data))


def _check_layout(data: bytes) -> None:
    if not isinstance(data, bytes) or not MIN_ENTRY_BYTES <= len(data) <= MAX_ENTRY_BYTES:
        raise EntryError("malformed", "entry size")
    if data[0] != ENTRY_VERSION:
        raise EntryError("malformed", "version")
    if MIN_ENTRY_BYTES + int.from_bytes(data[CIPHER_LENGTH:CIPHERTEXT], "big") != len(data):
        raise EntryError("malformed", "ciphertext length")
    if int.from_bytes(data[SEQ:PREV], "big") > MAX_SEQ:
        raise EntryError("malformed", "sequence")


def verify_entry_signature(data: bytes, discovery_key: bytes) -> VerifiedEntry:
    """Checks 1 and 2: layout and signature, without the message key."""
    _require_keys(discovery_key=discovery_key)
    _check_layout(data)
    author = data[AUTHOR:SEQ]
    signed, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    try:
        VerifyKey(author).verify(_SIGNATURE_CONTEXT + discovery_key + signed, signature)
    except nacl.exceptions.CryptoError as error:
        raise EntryError("bad_signature") from error
    return VerifiedEntry(
        author=author,
        seq=int.from_bytes(data[SEQ:PREV], "big"),
        prev=data[PREV:NONCE],
        id=entry_id(data),
    )


def decrypt_ciphertext(data: bytes, key: bytes) -> bytes:
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            data[CIPHERTEXT:-SIGNATURE_BYTES],
            _AD_CONTEXT + data[:HEADER_BYTES],
            data[NONCE:CIPHER_LENGTH],
            key,
        )
    except nacl.exceptions.CryptoError as error:
        raise EntryError("undecryptable") from error


def open_entry(
    data: bytes, *, message_key: bytes, discovery_key: bytes, control_key: bytes | None = None
) -> OpenedEntry:
    """With a `control_key`, an entry the message key does not open may be a control
    entry (§7 "Moderation"); whichever key opens it must be the one for its type."""
    _require_keys(message_key=message_key)
    verified = verify_entry_signature(data, discovery_key)
    try:
        plaintext, control = decrypt_ciphertext(data, message_key), False
    except EntryError:
        if control_key is None:
            raise
        plaintext, control = decrypt_ciphertext(data, control_key), True
    try:
        body = parse_json_utf8(plaintext)
    except EncodingError as error:
        raise EntryError("malformed", "body is not UTF-8 JSON") from error
    if len(plaintext) > MAX_BODY_BYTES or not is_entry_body(body):
        raise EntryError("malformed", "body schema")
    if (body["type"] in CONTROL_TYPES) != control:
        raise EntryError("malformed", "sealed with the wrong key for its type")
    return OpenedEntry(**vars(verified), body=body)
