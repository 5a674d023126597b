"""The server's VAPID key (RFC 8292): what push services know the server by.

The key is a P-256 private key. It lives in `<PARLEY_DATA_DIR>/vapid_private.pem`
(PKCS #8 PEM, mode 0600), made by `python manage.py vapid_keys`, or in the environment:
PARLEY_VAPID_PRIVATE_KEY, the base64url 32-byte private scalar (what
`vapid_keys --show-private` prints, and what the npm web-push tool calls the private key)
or a PEM, overrides the file. Browsers subscribe with the public key, so every
subscription is bound to it: replacing the key orphans every stored subscription.

`current_key()` is read when needed and cached until the file or the environment value
changes, so `vapid_keys --force` takes effect without a restart.
"""

import functools
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid

from signal_server.protocol import decode_b64url, encode_b64url

KEY_FILE_NAME = "vapid_private.pem"
PRIVATE_SCALAR_BYTES = 32


class VapidKeyError(Exception):
    """A VAPID key that exists but cannot be used; the message says where it came from."""


def key_file() -> Path:
    return Path(settings.PARLEY_DATA_DIR) / KEY_FILE_NAME


def key_from_environment() -> bool:
    return bool(settings.PARLEY_VAPID_PRIVATE_KEY.strip())


def current_key() -> ec.EllipticCurvePrivateKey | None:
    """The key in use: the environment's, else the file's; None if there is neither."""
    text = settings.PARLEY_VAPID_PRIVATE_KEY.strip()
    if text:
        return _parse_cached(text, "PARLEY_VAPID_PRIVATE_KEY")
    path = key_file()
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    # A replaced file is a new inode, so this notices --force even where mtimes are coarse.
    return _read_cached(str(path), (status.st_ino, status.st_mtime_ns, status.st_size))


def current_vapid() -> Vapid | None:
    """The key in use as py_vapid's signer, for pywebpush."""
    key = current_key()
    return None if key is None else Vapid(private_key=key)


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The browser's `applicationServerKey`: base64url of the 65-byte uncompressed point."""
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return encode_b64url(raw)


def private_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The private scalar as PARLEY_VAPID_PRIVATE_KEY takes it. A secret: print with care."""
    return encode_b64url(key.private_numbers().private_value.to_bytes(PRIVATE_SCALAR_BYTES, "big"))


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def write_key_file(key: ec.EllipticCurvePrivateKey, replace: bool) -> Path:
    """Store `key` in the key file, readable by its owner only.

    The PEM is written to a fresh temporary file (created 0600, so the key is never
    readable by others, not even briefly) and then put in place in one step: a crash
    leaves the old file or the new one, never half a key. Without `replace` an existing
    file is kept and FileExistsError raised.
    """
    path = key_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the file exists, unlike a rename
    finally:
        temporary.unlink(missing_ok=True)
    return path


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, version: tuple[int, int, int]) -> ec.EllipticCurvePrivateKey:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise VapidKeyError(f"cannot read the VAPID key file {path}: {error}") from None
    return _parse(text, path)


@functools.lru_cache(maxsize=4)
def _parse_cached(text: str, source: str) -> ec.EllipticCurvePrivateKey:
    return _parse(text, source)


def _parse(text: str, source: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise VapidKeyError(f"{source} is not an unencrypted PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise VapidKeyError(f"{source} is not a P-256 key")
        return key
    raw = decode_b64url(text)
    if raw is None or len(raw) != PRIVATE_SCALAR_BYTES:
        raise VapidKeyError(f"{source} is neither a PEM nor base64url of a 32-byte key")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise VapidKeyError(f"{source} is not a valid P-256 private key") from None
