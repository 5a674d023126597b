"""Identity backup (docs/protocol.md §9), the twin of static/app/identity/backup.js.

The identity, its rooms and contacts, encrypted with a passphrase (Argon2id, then
XChaCha20-Poly1305 with the header as associated data) into one versioned binary file.
``contents`` is the JSON object of §9, checked strictly on both sides.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.pwhash.argon2id
import nacl.utils

from parley_peer.encoding import b64url_decode, dump_json_utf8, is_json_integer, parse_json_utf8
from parley_peer.errors import EncodingError, ProtocolError

MiB = 1024 * 1024
BACKUP_MAGIC = b"PARLEYBK"
BACKUP_VERSION = 1
KDF_ARGON2ID13 = 1
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * MiB
OPSLIMIT_RANGE = (2, 10)
MEMLIMIT_RANGE = (32 * MiB, 256 * MiB)
MAX_BACKUP_BYTES = 4 * MiB
MIN_PASSPHRASE_CODE_POINTS = 8
MAX_ROOMS = 1000
MAX_CONTACTS = 10000
MAX_NAME_CODE_POINTS = 64
MAX_TIMESTAMP_MS = 8_640_000_000_000_000  # the largest time a JavaScript Date holds
MAX_SAFE_INTEGER = 2**53 - 1
BACKUP_ERROR_CODES = (
    "not_a_backup", "unsupported_version", "corrupt", "wrong_passphrase",
    "malformed_contents", "too_large", "weak_passphrase",
)  # fmt: skip

SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
KEY_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
# Field offsets (§9 table).
VERSION, KDF, OPSLIMIT, MEMLIMIT, SALT = 8, 9, 10, 14, 18
NONCE = SALT + SALT_BYTES
HEADER_BYTES = NONCE + NONCE_BYTES  # 58


class BackupError(ProtocolError):
    pass


@dataclass(frozen=True)
class BackupHeader:
    opslimit: int
    memlimit: int
    salt: bytes
    nonce: bytes
    header: bytes
    ciphertext: bytes


# --- contents schema ----------------------------------------------------------------

Check = Callable[[Any], bool]


def _integer(low: int, high: int) -> Check:
    return lambda value: is_json_integer(value, low, high)


_TIMESTAMP = _integer(0, MAX_TIMESTAMP_MS)


def _name(low: int) -> Check:
    # len() of a str counts code points, as the browser does with [...text].length.
    return lambda value: isinstance(value, str) and low <= len(value) <= MAX_NAME_CODE_POINTS


def _or_null(check: Check) -> Check:
    return lambda value: value is None or check(value)


def _list_of(limit: int, check: Check) -> Check:
    return lambda value: isinstance(value, list) and len(value) <= limit and all(map(check, value))


def _base64url(length: int) -> Check:
    def check(value: Any) -> bool:
        try:
            b64url_decode(value, length)  # canonical spelling only (§1)
        except EncodingError:
            return False
        return True

    return check


def _record(fields: dict[str, Check]) -> Check:
    """Exactly these keys, each passing its check."""
    return lambda value: (
        isinstance(value, dict)
        and value.keys() == fields.keys()
        and all(check(value[key]) for key, check in fields.items())
    )


_ROOM = _record({
    "secret": _base64url(32), "name": _name(1), "createdAt": _TIMESTAMP,
    "ownLength": _integer(0, MAX_SAFE_INTEGER), "ownHead": _or_null(_base64url(32)),
})  # fmt: skip
_CONTACT = _record({"id": _base64url(32), "name": _name(0), "verifiedAt": _or_null(_TIMESTAMP)})
_SHAPE = _record({
    "v": lambda value: is_json_integer(value, 1, 1),
    "createdAt": _TIMESTAMP,
    "identity": _record(
        {"publicKey": _base64url(32), "secretKey": _base64url(64), "name": _name(1)}
    ),
    "rooms": _list_of(MAX_ROOMS, _ROOM),
    "contacts": _list_of(MAX_CONTACTS, _CONTACT),
})  # fmt: skip


def _is_key_pair(identity: dict) -> bool:
    """The secret key is seed ‖ public key: sk_to_pk only reads the copy, so the key pair
    is also derived from the seed (a foreign seed would make signatures that fail)."""
    public_key = b64url_decode(identity["publicKey"], 32)
    secret_key = b64url_decode(identity["secretKey"], 64)
    seed = nacl.bindings.crypto_sign_ed25519_sk_to_seed(secret_key)
    derived, _ = nacl.bindings.crypto_sign_seed_keypair(seed)
    return nacl.bindings.crypto_sign_ed25519_sk_to_pk(secret_key) == public_key == derived


def is_backup_contents(contents: Any) -> bool:
    if not _SHAPE(contents) or not _is_key_pair(contents["identity"]):
        return False
    rooms, contacts = contents["rooms"], contents["contacts"]
    # A log of length 0 has no head, and a longer one has one (§9 restoring).
    if any((room["ownLength"] == 0) != (room["ownHead"] is None) for room in rooms):
        return False
    secrets = {room["secret"] for room in rooms}
    return len(secrets) == len(rooms) and len({c["id"] for c in contacts}) == len(contacts)


# --- the file -----------------------------------------------------------------------


def _normalized_passphrase(passphrase: str) -> str:
    """NFC, as the browser does, so the same passphrase typed elsewhere derives the same
    key. The UTF-16 round trip turns lone surrogates into U+FFFD, as a browser's
    TextEncoder does, while a surrogate pair stays one character."""
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    utf16 = passphrase.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return unicodedata.normalize("NFC", utf16)


def _parameters_ok(opslimit: int, memlimit: int) -> bool:
    return (
        type(opslimit) is int
        and type(memlimit) is int
        and OPSLIMIT_RANGE[0] <= opslimit <= OPSLIMIT_RANGE[1]
        and MEMLIMIT_RANGE[0] <= memlimit <= MEMLIMIT_RANGE[1]
    )


def read_backup(data: bytes) -> BackupHeader:
    """Checks in the order of §9: size, magic, version, layout, KDF and its parameters."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("backup must be bytes")
    data = bytes(data)
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupError("too_large")
    if data[: len(BACKUP_MAGIC)] != BACKUP_MAGIC:
        raise BackupError("not_a_backup")
    if len(data) <= VERSION:
        raise BackupError("corrupt", "no version byte")
    if data[VERSION] != BACKUP_VERSION:
        raise BackupError("unsupported_version")
    if len(data) < HEADER_BYTES + TAG_BYTES:
        raise BackupError("corrupt", "too short")
    if data[KDF] != KDF_ARGON2ID13:
        raise BackupError("corrupt", "unknown KDF")
    opslimit = int.from_bytes(data[OPSLIMIT:MEMLIMIT], "big")
    memlimit = int.from_bytes(data[MEMLIMIT:SALT], "big")
    if not _parameters_ok(opslimit, memlimit):
        raise BackupError("corrupt", "KDF parameters")
    return BackupHeader(
        opslimit=opslimit,
        memlimit=memlimit,
        salt=data[SALT:NONCE],
        nonce=data[NONCE:HEADER_BYTES],
        header=data[:HEADER_BYTES],
        ciphertext=data[HEADER_BYTES:],
    )


def derive_backup_key(header: BackupHeader, passphrase: str) -> bytes:
    password = _normalized_passphrase(passphrase).encode("utf-8")
    return nacl.pwhash.argon2id.kdf(
        KEY_BYTES, password, header.salt, opslimit=header.opslimit, memlimit=header.memlimit
    )


def decrypt_backup(header: BackupHeader, key: bytes) -> dict:
    try:
        plaintext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            header.ciphertext, header.header, header.nonce, key
        )
    except nacl.exceptions.CryptoError as error:
        # The tag covers the header: a wrong passphrase and damage past read_backup's
        # checks look the same here (§9 "which damage gives which code").
        raise BackupError("wrong_passphrase") from error
    try:
        contents = parse_json_utf8(plaintext)
    except EncodingError as error:
        raise BackupError("malformed_contents", "not UTF-8 JSON") from error
    if not is_backup_contents(contents):
        raise BackupError("malformed_contents")
    return contents


def open_backup(data: bytes, passphrase: str) -> dict:
    header = read_backup(data)
    return decrypt_backup(header, derive_backup_key(header, passphrase))


def seal_backup(
    contents: dict,
    passphrase: str,
    *,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> bytes:
    if not _parameters_ok(opslimit, memlimit):
        raise ValueError("KDF parameters out of range")
    # Check what will be written, as it will be read back.
    try:
        plaintext = dump_json_utf8(contents)
        valid = is_backup_contents(parse_json_utf8(plaintext))
    except EncodingError:
        valid = False
    if not valid:
        raise BackupError("malformed_contents")
    if len(_normalized_passphrase(passphrase)) < MIN_PASSPHRASE_CODE_POINTS:
        raise BackupError("weak_passphrase")
    if HEADER_BYTES + len(plaintext) + TAG_BYTES > MAX_BACKUP_BYTES:
        raise BackupError("too_large")
    salt = nacl.utils.random(SALT_BYTES)
    nonce = nacl.utils.random(NONCE_BYTES)
    header = b"".join([
        BACKUP_MAGIC, bytes([BACKUP_VERSION, KDF_ARGON2ID13]),
        opslimit.to_bytes(4, "big"), memlimit.to_bytes(4, "big"), salt, nonce,
    ])  # fmt: skip
    fields = BackupHeader(opslimit, memlimit, salt, nonce, header, b"")
    key = derive_backup_key(fields, passphrase)
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, header, nonce, key
    )
    return header + ciphertext
