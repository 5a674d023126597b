"""Room entries (docs/protocol.md §7), the twin of static/app/room/entry.js; their bodies
are parley_peer/entry_body.py's.

``open_entry`` runs receiver checks 1, 2, 5 and 6; the checks that need the author's log
(fork, broken_chain, bad_clock) belong to the caller, which can run
``verify_entry_signature`` first to keep the documented order. A blind mirror only ever calls
``verify_entry_signature``: it needs the discovery key, not the message key.

Version 2 (§7 "Disappearing messages", ``create_entry(..., expires=ms)``) carries an
expiry and signs a hash of its ciphertext instead of the ciphertext, so that its *stub*
(``entry_stub``: the entry without the ciphertext) still verifies and keeps its id once
the entry has expired. A stub has no body: ``open_entry`` finds it ``undecryptable``, and
a receiver takes one only once it is due (check 8, ``check_stub_due``).

    entry = create_entry(identity=, seq=, prev=, body=, message_key=, discovery_key=,
                         expires=None)          # expires: a version 2 entry
    verified = verify_entry_signature(data, discovery_key)   # .expires, .stub, .version
    check_stub_due(verified, now_ms)            # not_expired: a stub served too soon
    entry_stub(data); entry_expiry(data); entry_id(data)
"""

from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import nacl.utils
from nacl.signing import SigningKey, VerifyKey

from parley_peer import entry_body
from parley_peer.encoding import dump_json_utf8, parse_json_utf8
from parley_peer.entry_body import (
    CONTROL_TYPES,
    MAX_BODY_BYTES,
    MAX_SEQ,
    MAX_TIMESTAMP_MS,
    expiry_fits,
    is_entry_body,
)
from parley_peer.errors import EncodingError, ProtocolError

# The lists docs/protocol.md names as this module's (tests/interop/test_wire_lists.py).
ENTRY_TYPES = entry_body.ENTRY_TYPES
CALL_EVENTS = entry_body.CALL_EVENTS
MAILBOX_NOTIFY_LEVELS = entry_body.MAILBOX_NOTIFY_LEVELS

ENTRY_VERSION = 1
EXPIRING_ENTRY_VERSION = 2
ENTRY_REJECT_CODES = (
    "malformed", "bad_signature", "fork", "broken_chain", "undecryptable", "bad_clock",
    "not_expired",
)  # fmt: skip
KEY_BYTES = 32
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
SIGNATURE_BYTES = 64
HASH_BYTES = 32

# Field offsets of version 1.
AUTHOR, SEQ, PREV, NONCE, CIPHER_LENGTH, CIPHERTEXT = 1, 33, 41, 73, 97, 101
HEADER_BYTES = CIPHER_LENGTH
# Version 2: the same up to the nonce, then these.
EXPIRES, CIPHER_LENGTH_V2, CIPHER_HASH, CIPHERTEXT_V2 = 97, 105, 109, 141
MIN_ENTRY_BYTES = CIPHERTEXT + SIGNATURE_BYTES
MAX_CIPHER_BYTES = MAX_BODY_BYTES + TAG_BYTES
MAX_ENTRY_V1_BYTES = MIN_ENTRY_BYTES + MAX_CIPHER_BYTES  # 16,565
STUB_BYTES = CIPHERTEXT_V2 + SIGNATURE_BYTES  # 205: what stays of an expired entry
MAX_ENTRY_BYTES = STUB_BYTES + MAX_CIPHER_BYTES  # 16,605, a whole version 2 entry
# A stub is taken this much before its expiry, for clocks that differ (§7 check 8).
STUB_EARLY_MS = 30_000
ZERO_ID = bytes(32)

# version -> (AD context, signature context)
_CONTEXTS = {
    ENTRY_VERSION: (b"parley-entry-v1", b"parley-entry-sig-v1"),
    EXPIRING_ENTRY_VERSION: (b"parley-entry-v2", b"parley-entry-sig-v2"),
}


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
    expires: int | None  # ms since the epoch; None for version 1, which never expires
    stub: bool  # a version 2 entry without its ciphertext

    @property
    def version(self) -> int:
        return ENTRY_VERSION if self.expires is None else EXPIRING_ENTRY_VERSION

    @property
    def is_stub(self) -> bool:
        return self.stub


@dataclass(frozen=True)
class OpenedEntry(VerifiedEntry):
    body: dict


def _require_keys(**keys: bytes) -> None:
    for name, key in keys.items():
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise TypeError(f"{name} must be 32 bytes")


def _hash(data: bytes) -> bytes:
    return nacl.hashlib.blake2b(data, digest_size=HASH_BYTES).digest()


def _is_v2(data: bytes) -> bool:
    return data[:1] == bytes([EXPIRING_ENTRY_VERSION]) and len(data) >= STUB_BYTES


def is_stub(data: bytes) -> bool:
    return _is_v2(data) and len(data) == STUB_BYTES


def entry_stub(data: bytes) -> bytes:
    """What stays of a version 2 entry once it has expired: everything but the ciphertext
    (a stub's stub is itself)."""
    if not _is_v2(data):
        raise ValueError("only a version 2 entry has a stub")
    return data[:CIPHERTEXT_V2] + data[-SIGNATURE_BYTES:]


def entry_id(data: bytes) -> bytes:
    """BLAKE2b-256 of the entry; a version 2 entry's is that of its stub, so it stays when
    the ciphertext goes."""
    return _hash(entry_stub(data) if _is_v2(data) else data)


def entry_expiry(data: bytes) -> int | None:
    """The expiry of a version 2 entry (ms), or None: a version 1 entry never expires.
    Read from the bytes as they are: verify them first."""
    return int.from_bytes(data[EXPIRES:CIPHER_LENGTH_V2], "big") if _is_v2(data) else None


def _signed_part(data: bytes, discovery_key: bytes) -> bytes:
    """What the signature covers: the bytes before it, but for a version 2 entry's
    ciphertext (its hash stands for it)."""
    version = data[0]
    signed = data[:CIPHERTEXT_V2] if version == EXPIRING_ENTRY_VERSION else data[:-SIGNATURE_BYTES]
    return _CONTEXTS[version][1] + discovery_key + signed


def _cipher_layout(data: bytes) -> tuple[int, bytes]:
    """Where a version's ciphertext starts, and the associated data it is sealed with."""
    if data[0] == EXPIRING_ENTRY_VERSION:
        return CIPHERTEXT_V2, _CONTEXTS[EXPIRING_ENTRY_VERSION][0] + data[:CIPHER_HASH]
    return CIPHERTEXT, _CONTEXTS[ENTRY_VERSION][0] + data[:HEADER_BYTES]


def create_entry(
    *,
    identity: SigningKey,
    seq: int,
    prev: bytes | None = None,
    body: dict,
    message_key: bytes,
    discovery_key: bytes,
    expires: int | None = None,
    nonce: bytes | None = None,
) -> SignedEntry:
    """With `expires` (ms), a version 2 entry (§7 "Disappearing messages"). `nonce` is
    random unless given (for test vectors only: a nonce must never repeat)."""
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError("seq out of range")
    _require_keys(message_key=message_key, discovery_key=discovery_key)
    prev = ZERO_ID if prev is None else prev
    if len(prev) != 32 or (seq == 0) != (prev == ZERO_ID):
        raise EntryError("broken_chain", "sequence 0 and only it has a zero prev")
    try:
        plaintext = dump_json_utf8(body)
        parsed = parse_json_utf8(plaintext)
        valid = is_entry_body(parsed)
    except EncodingError:
        valid = False
    if not valid:
        raise EntryError("malformed")
    if expires is not None and not (
        type(expires) is int and expires <= MAX_TIMESTAMP_MS and expiry_fits(parsed, expires)
    ):
        raise EntryError("malformed", "expiry")
    if len(plaintext) > MAX_BODY_BYTES:
        raise EntryError("too_large")
    nonce = nacl.utils.random(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise TypeError("nonce must be 24 bytes")
    length = (len(plaintext) + TAG_BYTES).to_bytes(4, "big")
    start = bytes([ENTRY_VERSION if expires is None else EXPIRING_ENTRY_VERSION])
    header = start + identity.verify_key.encode() + seq.to_bytes(8, "big") + prev + nonce
    if expires is not None:
        header += expires.to_bytes(8, "big") + length
    _, ad = _cipher_layout(header)
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, ad, nonce, message_key
    )
    if expires is None:
        signed, rest = header + length + ciphertext, b""
    else:
        signed, rest = header + _hash(ciphertext), ciphertext
    context = _CONTEXTS[signed[0]][1]
    signature = identity.sign(context + discovery_key + signed).signature
    data = signed + rest + signature
    return SignedEntry(data=data, id=entry_id(data))


def _check_layout(data: bytes) -> None:
    if not isinstance(data, bytes) or not MIN_ENTRY_BYTES <= len(data) <= MAX_ENTRY_BYTES:
        raise EntryError("malformed", "entry size")
    if data[0] == ENTRY_VERSION:
        length = int.from_bytes(data[CIPHER_LENGTH:CIPHERTEXT], "big")
        if len(data) > MAX_ENTRY_V1_BYTES or MIN_ENTRY_BYTES + length != len(data):
            raise EntryError("malformed", "ciphertext length")
    elif data[0] == EXPIRING_ENTRY_VERSION:
        _check_expiring_layout(data)
    else:
        raise EntryError("malformed", "version")
    if int.from_bytes(data[SEQ:PREV], "big") > MAX_SEQ:
        raise EntryError("malformed", "sequence")


def _check_expiring_layout(data: bytes) -> None:
    if len(data) < STUB_BYTES:
        raise EntryError("malformed", "entry size")
    length = int.from_bytes(data[CIPHER_LENGTH_V2:CIPHER_HASH], "big")
    if not TAG_BYTES + 1 <= length <= MAX_CIPHER_BYTES:
        raise EntryError("malformed", "ciphertext length")
    if not 1 <= int.from_bytes(data[EXPIRES:CIPHER_LENGTH_V2], "big") <= MAX_TIMESTAMP_MS:
        raise EntryError("malformed", "expiry")
    if len(data) == STUB_BYTES:
        return  # a stub: the hash stands for a ciphertext that is gone
    if STUB_BYTES + length != len(data):
        raise EntryError("malformed", "ciphertext length")
    if _hash(data[CIPHERTEXT_V2:-SIGNATURE_BYTES]) != data[CIPHER_HASH:CIPHERTEXT_V2]:
        raise EntryError("malformed", "ciphertext hash")


def verify_entry_signature(data: bytes, discovery_key: bytes) -> VerifiedEntry:
    """Checks 1 and 2: layout and signature, without the message key."""
    _require_keys(discovery_key=discovery_key)
    _check_layout(data)
    author = data[AUTHOR:SEQ]
    try:
        VerifyKey(author).verify(_signed_part(data, discovery_key), data[-SIGNATURE_BYTES:])
    except nacl.exceptions.CryptoError as error:
        raise EntryError("bad_signature") from error
    return VerifiedEntry(
        author=author,
        seq=int.from_bytes(data[SEQ:PREV], "big"),
        prev=data[PREV:NONCE],
        id=entry_id(data),
        expires=entry_expiry(data),
        stub=is_stub(data),
    )


def is_due(expires: int | None, now_ms: int) -> bool:
    """Whether an entry that expires then has expired by `now_ms` (never for None)."""
    return expires is not None and expires <= now_ms


def check_stub_due(entry: VerifiedEntry, now_ms: int) -> None:
    """Check 8: a stub is taken once due, its `expires` at most STUB_EARLY_MS after the
    receiver's clock; an earlier one is `not_expired` (whoever serves it dropped a
    message too soon)."""
    if entry.stub and not is_due(entry.expires, now_ms + STUB_EARLY_MS):
        raise EntryError("not_expired")


def decrypt_ciphertext(data: bytes, key: bytes) -> bytes:
    """The plaintext of an entry whose layout was checked; a stub is `undecryptable`."""
    if is_stub(data):
        raise EntryError("undecryptable", "a stub has no ciphertext")
    start, ad = _cipher_layout(data)
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            data[start:-SIGNATURE_BYTES], ad, data[NONCE : NONCE + NONCE_BYTES], key
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
        if control_key is None or verified.stub:
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
    if verified.expires is not None and not expiry_fits(body, verified.expires):
        raise EntryError("malformed", "a version 2 body of another type, or expiring too late")
    return OpenedEntry(**vars(verified), body=body)
