"""File chunks and their encryption (docs/protocol.md §11), in both chunk formats. The
mirror of static/app/files/chunk-crypto.js, chunk-crypto-v2.js and chunk-formats.js,
byte for byte.

A file is cut into chunks of CHUNK_SIZE bytes, each sealed under a key made for this
file only, with the chunk index as the nonce: the encryption is deterministic, so every
holder of a file makes the same ciphertexts, leaves and root.

- format 1 (an offer without ``format``): XChaCha20-Poly1305, BLAKE2b-256;
- format 2: AES-256-GCM, SHA-256 (what browsers run natively, in WebCrypto).

Every function takes the format as ``version``; 1 is what an offer without one means.
"""

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import nacl.utils

from parley_peer.entry_body import is_file_format
from parley_peer.errors import ProtocolError

CHUNK_SIZE = 131_072
MAX_CHUNKS = 2**24
MAX_FILE_SIZE = CHUNK_SIZE * MAX_CHUNKS
FILE_KEY_BYTES = 32
HASH_BYTES = 32
TAG_BYTES = 16  # both formats' tags
FILE_FORMATS = (1, 2)
NEW_FILE_FORMAT = 1  # what new offers use: format 2 once older clients are gone (protocol §11)

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class FileChunkError(ProtocolError):
    """``bad_chunk`` (proof or decryption failed), ``malformed``, ``too_large``,
    ``newer_format`` (a later version's chunk format) or ``unsupported_format`` (format 2
    on a CPU without AES instructions)."""


def _require_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise TypeError("size must be an integer >= 0")
    if size > MAX_FILE_SIZE:
        raise FileChunkError("too_large", f"more than {MAX_CHUNKS} chunks")


def chunk_count(size: int) -> int:
    """n = max(1, ceil(size / S)): an empty file is one empty chunk."""
    _require_size(size)
    return max(1, math.ceil(size / CHUNK_SIZE))


def chunk_range(size: int, index: int) -> tuple[int, int]:
    count = chunk_count(size)
    if not 0 <= index < count:
        raise IndexError(f"chunk index must be 0..{count - 1}")
    start = index * CHUNK_SIZE
    return start, min(size, start + CHUNK_SIZE)


def _chunk_length(size: int, index: int) -> int:
    start, end = chunk_range(size, index)
    return end - start


def _require_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != FILE_KEY_BYTES:
        raise TypeError(f"key must be {FILE_KEY_BYTES} bytes")


def new_file_key() -> bytes:
    return nacl.utils.random(FILE_KEY_BYTES)


# The primitives of one format: (message, ad, nonce, key) -> bytes for the AEAD, as
# PyNaCl's bindings take them.
_Aead = Callable[[bytes, bytes, bytes, bytes], bytes]


@dataclass(frozen=True)
class _Format:
    context: bytes  # the additional data's prefix
    nonce_bytes: int
    seal: _Aead
    open: _Aead
    hash: Callable[[bytes], bytes]  # 32 bytes of digest


def _blake2b(data: bytes) -> bytes:
    return nacl.hashlib.blake2b(data, digest_size=HASH_BYTES).digest()


_FORMATS = {
    1: _Format(
        b"parley-chunk-v1",
        24,
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt,
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt,
        _blake2b,
    ),
    2: _Format(
        b"parley-chunk-v2",
        12,
        nacl.bindings.crypto_aead_aes256gcm_encrypt,
        nacl.bindings.crypto_aead_aes256gcm_decrypt,
        nacl.bindings.crypto_hash_sha256,
    ),
}


_NO_AES = "AES-256-GCM is unavailable on this CPU"


def _format(version: int) -> _Format:
    try:
        return _FORMATS[version]
    except (KeyError, TypeError):
        # One an entry may name but this peer does not know is a later version's.
        code = "newer_format" if is_file_format(version) else "malformed"
        raise FileChunkError(code, f"no chunk format {version!r} here") from None


def _nonce(fmt: _Format, index: int) -> bytes:
    """u64le(index), then zero bytes up to the format's nonce size."""
    return struct.pack("<Q", index) + bytes(fmt.nonce_bytes - 8)


def _additional_data(fmt: _Format, index: int, size: int) -> bytes:
    """Binds a ciphertext to its place and to the file's length."""
    return fmt.context + struct.pack("<QQ", index, size)


def encrypt_chunk(key: bytes, index: int, size: int, plaintext: bytes, version: int = 1) -> bytes:
    """``plaintext`` must be exactly chunk ``index`` of a file of ``size`` bytes."""
    fmt = _format(version)
    _require_key(key)
    if len(plaintext) != _chunk_length(size, index):
        raise ValueError(f"chunk {index} of a {size}-byte file has another length")
    ad = _additional_data(fmt, index, size)
    try:
        return fmt.seal(bytes(plaintext), ad, _nonce(fmt, index), key)
    except nacl.exceptions.UnavailableError as error:
        raise FileChunkError(
            "unsupported_format", "AES-256-GCM is unavailable on this CPU"
        ) from error


def decrypt_chunk(key: bytes, index: int, size: int, ciphertext: bytes, version: int = 1) -> bytes:
    fmt = _format(version)
    _require_key(key)
    if len(ciphertext) != _chunk_length(size, index) + TAG_BYTES:
        raise FileChunkError("bad_chunk", "ciphertext length")
    try:
        ad = _additional_data(fmt, index, size)
        return fmt.open(bytes(ciphertext), ad, _nonce(fmt, index), key)
    except nacl.exceptions.UnavailableError as error:
        # libsodium's AES-256-GCM needs the CPU's AES instructions: without them every
        # chunk of format 2 would otherwise look bad, and honest peers would be blamed.
        raise FileChunkError(
            "unsupported_format", "AES-256-GCM is unavailable on this CPU"
        ) from error
    except nacl.exceptions.CryptoError as error:
        raise FileChunkError("bad_chunk", "does not decrypt") from error


def leaf_hash(index: int, ciphertext: bytes, version: int = 1) -> bytes:
    """H(0x00 ‖ u64le(index) ‖ ciphertext), H the format's hash."""
    return _format(version).hash(_LEAF_PREFIX + struct.pack("<Q", index) + bytes(ciphertext))


def parent_hash(left: bytes, right: bytes, version: int = 1) -> bytes:
    """H(0x01 ‖ left ‖ right)."""
    return _format(version).hash(_NODE_PREFIX + left + right)
