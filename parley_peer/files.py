"""Files (docs/protocol.md §11): chunk encryption, the Merkle tree and the binary messages
of the ``parley-file`` data channel. The mirror of static/app/files/ (chunk-crypto.js,
merkle.js, file-frames.js), byte for byte, so a Python peer can offer and serve chunks
to browsers (and serve damaged ones on purpose in tests).

Encryption is deterministic (the nonce is the chunk index, the key is used for one file
only), so every holder of a file makes the same ciphertexts, leaves and root.
"""

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import nacl.utils

from parley_peer.errors import ProtocolError

CHUNK_SIZE = 131_072
MAX_CHUNKS = 2**24
MAX_FILE_SIZE = CHUNK_SIZE * MAX_CHUNKS
FILE_KEY_BYTES = 32
HASH_BYTES = 32
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES

FILE_CHANNEL = "parley-file"
MAX_FILE_FRAME_BYTES = 262_144
MAX_HAVE_BITS_BYTES = 16_384
MAX_WANT_COUNT = 64
MAX_PROOF_NODES = 24
MIN_CHUNK_CIPHERTEXT = TAG_BYTES
MAX_CHUNK_CIPHERTEXT = CHUNK_SIZE + TAG_BYTES
FILE_FRAME_TYPES = ("have?", "have", "want", "chunk", "lack", "cancel")

_AD_CONTEXT = b"parley-chunk-v1"
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_TYPE_CODES = {name: code for code, name in enumerate(FILE_FRAME_TYPES, start=1)}
_BODY_AT = 1 + HASH_BYTES  # what follows the type byte and the root
_PROOF_AT = _BODY_AT + 4 + 1


class FileChunkError(ProtocolError):
    """``bad_chunk`` (proof or decryption failed), ``malformed`` or ``too_large``."""


class FileFrameError(ProtocolError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("malformed", detail)


# --- chunks -------------------------------------------------------------------------


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


def _nonce(index: int) -> bytes:
    return struct.pack("<Q", index) + bytes(16)


def _additional_data(index: int, size: int) -> bytes:
    """Binds a ciphertext to its place and to the file's length."""
    return _AD_CONTEXT + struct.pack("<QQ", index, size)


def _require_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != FILE_KEY_BYTES:
        raise TypeError(f"key must be {FILE_KEY_BYTES} bytes")


def new_file_key() -> bytes:
    return nacl.utils.random(FILE_KEY_BYTES)


def encrypt_chunk(key: bytes, index: int, size: int, plaintext: bytes) -> bytes:
    """``plaintext`` must be exactly chunk ``index`` of a file of ``size`` bytes."""
    _require_key(key)
    if len(plaintext) != _chunk_length(size, index):
        raise ValueError(f"chunk {index} of a {size}-byte file has another length")
    return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(plaintext), _additional_data(index, size), _nonce(index), key
    )


def decrypt_chunk(key: bytes, index: int, size: int, ciphertext: bytes) -> bytes:
    _require_key(key)
    if len(ciphertext) != _chunk_length(size, index) + TAG_BYTES:
        raise FileChunkError("bad_chunk", "ciphertext length")
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(ciphertext), _additional_data(index, size), _nonce(index), key
        )
    except nacl.exceptions.CryptoError as error:
        raise FileChunkError("bad_chunk", "does not decrypt") from error


def leaf_hash(index: int, ciphertext: bytes) -> bytes:
    """BLAKE2b-256(0x00 ‖ u64le(index) ‖ ciphertext)."""
    state = nacl.hashlib.blake2b(_LEAF_PREFIX + struct.pack("<Q", index), digest_size=HASH_BYTES)
    state.update(bytes(ciphertext))
    return state.digest()


def _parent_hash(left: bytes, right: bytes) -> bytes:
    return nacl.hashlib.blake2b(_NODE_PREFIX + left + right, digest_size=HASH_BYTES).digest()


@dataclass(frozen=True)
class EncryptedFile:
    """What a sender offers: the entry's ``root`` and ``key``, and every chunk ready to serve."""

    key: bytes
    size: int
    ciphertexts: list[bytes]
    tree: "MerkleTree"

    @property
    def root(self) -> bytes:
        return self.tree.root

    def have_frames(self) -> list[bytes]:
        """The answer to `have?`: every chunk held."""
        held = bitfield(self.tree.count, range(self.tree.count))
        return [
            encode_file_frame(FileFrame("have", self.root, first=first, bits=bits))
            for first, bits in have_ranges(held)
        ]

    def chunk_frame(self, index: int, ciphertext: bytes | None = None) -> bytes:
        """Chunk ``index`` with its proof; pass ``ciphertext`` to serve a damaged copy."""
        return encode_file_frame(
            FileFrame(
                "chunk",
                self.root,
                index=index,
                proof=self.tree.proof(index),
                ciphertext=self.ciphertexts[index] if ciphertext is None else ciphertext,
            )
        )


def encrypt_file(data: bytes, key: bytes | None = None) -> EncryptedFile:
    key = new_file_key() if key is None else key
    size = len(data)
    ciphertexts = [
        encrypt_chunk(key, i, size, data[slice(*chunk_range(size, i))])
        for i in range(chunk_count(size))
    ]
    tree = MerkleTree.from_leaves([leaf_hash(i, c) for i, c in enumerate(ciphertexts)])
    return EncryptedFile(key, size, ciphertexts, tree)


# --- Merkle tree --------------------------------------------------------------------


def padded_leaf_count(n: int) -> int:
    """P: the next power of two >= n."""
    if not 1 <= n <= MAX_CHUNKS:
        raise ValueError(f"chunk count must be 1..{MAX_CHUNKS}")
    return 1 << (n - 1).bit_length()


def proof_length(n: int) -> int:
    return padded_leaf_count(n).bit_length() - 1


class MerkleTree:
    """Heap-ordered nodes: the root is 1, the children of v are 2v and 2v + 1, leaf i is
    P + i. Padding leaves are 32 zero bytes; the parents above them are hashed as usual."""

    def __init__(self, count: int, nodes: list[bytes]) -> None:
        self.count = count
        self.padded = padded_leaf_count(count)
        self._nodes = nodes

    @classmethod
    def from_leaves(cls, leaves: list[bytes]) -> "MerkleTree":
        padded = padded_leaf_count(len(leaves))
        if any(len(leaf) != HASH_BYTES for leaf in leaves):
            raise ValueError("a leaf must be 32 bytes")
        nodes = [b""] * padded + list(leaves) + [bytes(HASH_BYTES)] * (padded - len(leaves))
        for v in range(padded - 1, 0, -1):
            nodes[v] = _parent_hash(nodes[2 * v], nodes[2 * v + 1])
        return cls(len(leaves), nodes)

    @property
    def root(self) -> bytes:
        return self._nodes[1]

    def leaf(self, index: int) -> bytes:
        self._check_index(index)
        return self._nodes[self.padded + index]

    def proof(self, index: int) -> list[bytes]:
        """The sibling hashes from the leaf up (the leaf's sibling first)."""
        self._check_index(index)
        proof = []
        v = self.padded + index
        while v > 1:
            proof.append(self._nodes[v ^ 1])
            v >>= 1
        return proof

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.count:
            raise IndexError(f"chunk index must be 0..{self.count - 1}")


def root_from_proof(index: int, leaf: bytes, proof: list[bytes], n: int) -> bytes:
    """The root that ``leaf`` at ``index`` and its proof lead to. A proof of the wrong
    length is ``bad_chunk``, an index >= n ``malformed`` (§11)."""
    padded = padded_leaf_count(n)
    if not 0 <= index < n:
        raise FileChunkError("malformed", f"chunk index must be 0..{n - 1}")
    if len(proof) != padded.bit_length() - 1:
        raise FileChunkError("bad_chunk", "proof length")
    if len(leaf) != HASH_BYTES or any(len(node) != HASH_BYTES for node in proof):
        raise FileChunkError("bad_chunk", "node size")
    v = padded + index
    node = bytes(leaf)
    for sibling in map(bytes, proof):
        node = _parent_hash(node, sibling) if v % 2 == 0 else _parent_hash(sibling, node)
        v >>= 1
    return node


def verify_chunk(
    root: bytes, index: int, ciphertext: bytes, proof: list[bytes], count: int
) -> bool:
    try:
        computed = root_from_proof(index, leaf_hash(index, ciphertext), proof, count)
    except FileChunkError:
        return False
    return nacl.bindings.sodium_memcmp(computed, root) if len(root) == HASH_BYTES else False


# --- have bitfields -----------------------------------------------------------------


def bitfield(n: int, held: Iterable[int]) -> bytes:
    """Bit k of byte j (LSB first) is chunk 8j + k, as in `have`."""
    out = bytearray(math.ceil(n / 8))
    for index in held:
        if not 0 <= index < n:
            raise IndexError(f"chunk {index} is not 0..{n - 1}")
        out[index >> 3] |= 1 << (index & 7)
    return bytes(out)


def have_ranges(bits: bytes, max_bytes: int = MAX_HAVE_BITS_BYTES) -> list[tuple[int, bytes]]:
    """A whole bitfield cut into (first, bits) pieces for `have` messages."""
    return [(j * 8, bits[j : j + max_bytes]) for j in range(0, len(bits), max_bytes)]


# --- frames -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFrame:
    """One ``parley-file`` message. Fields a type does not have stay at their default."""

    type: str
    root: bytes
    first: int | None = None
    bits: bytes | None = None
    count: int | None = None
    index: int | None = None
    proof: list[bytes] = field(default_factory=list)
    ciphertext: bytes | None = None


def _require(condition: bool, detail: str) -> None:
    if not condition:
        raise FileFrameError(detail)


def _is_uint32(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFFFF


def _body(frame: FileFrame) -> bytes:
    if frame.type in ("have?", "cancel"):
        return b""
    if frame.type == "have":
        _require(_is_uint32(frame.first), "first")
        _require(frame.bits is not None and 1 <= len(frame.bits) <= MAX_HAVE_BITS_BYTES, "bits")
        return struct.pack("<I", frame.first) + bytes(frame.bits)
    if frame.type == "want":
        _require(_is_uint32(frame.first), "first")
        _require(isinstance(frame.count, int) and 1 <= frame.count <= MAX_WANT_COUNT, "count")
        return struct.pack("<IH", frame.first, frame.count)
    if frame.type == "chunk":
        _require(_is_uint32(frame.index), "index")
        _require(len(frame.proof) <= MAX_PROOF_NODES, "proof length")
        _require(all(len(node) == HASH_BYTES for node in frame.proof), "proof node")
        ciphertext = frame.ciphertext
        _require(
            ciphertext is not None
            and MIN_CHUNK_CIPHERTEXT <= len(ciphertext) <= MAX_CHUNK_CIPHERTEXT,
            "ciphertext length",
        )
        return b"".join(
            [struct.pack("<IB", frame.index, len(frame.proof)), *frame.proof, ciphertext]
        )
    if frame.type == "lack":
        _require(_is_uint32(frame.index), "index")
        return struct.pack("<I", frame.index)
    raise FileFrameError("unknown type")


def encode_file_frame(frame: FileFrame) -> bytes:
    body = _body(frame)
    _require(isinstance(frame.root, bytes) and len(frame.root) == HASH_BYTES, "root")
    return bytes([_TYPE_CODES[frame.type]]) + frame.root + body


def parse_file_frame(data: bytes) -> FileFrame:
    """Strict: a length that does not match the type exactly is malformed."""
    _require(isinstance(data, bytes | bytearray | memoryview), "not bytes")
    view = memoryview(data)
    _require(len(view) <= MAX_FILE_FRAME_BYTES, "too large")
    _require(len(view) >= _BODY_AT, "too short")
    _require(1 <= view[0] <= len(FILE_FRAME_TYPES), "unknown type")
    kind = FILE_FRAME_TYPES[view[0] - 1]
    root = bytes(view[1:_BODY_AT])
    rest = view[_BODY_AT:]
    if kind in ("have?", "cancel"):
        _require(len(rest) == 0, f"{kind} length")
        return FileFrame(kind, root)
    if kind == "have":
        _require(1 <= len(rest) - 4 <= MAX_HAVE_BITS_BYTES, "have length")
        (first,) = struct.unpack_from("<I", rest)
        return FileFrame(kind, root, first=first, bits=bytes(rest[4:]))
    if kind == "want":
        _require(len(rest) == 6, "want length")
        first, count = struct.unpack_from("<IH", rest)
        _require(1 <= count <= MAX_WANT_COUNT, "want count")
        return FileFrame(kind, root, first=first, count=count)
    if kind == "lack":
        _require(len(rest) == 4, "lack length")
        return FileFrame(kind, root, index=struct.unpack_from("<I", rest)[0])
    # chunk
    _require(len(rest) >= 5, "chunk length")
    index, proof_count = struct.unpack_from("<IB", rest)
    _require(proof_count <= MAX_PROOF_NODES, "proof length")
    ciphertext_at = 5 + proof_count * HASH_BYTES
    _require(
        MIN_CHUNK_CIPHERTEXT <= len(rest) - ciphertext_at <= MAX_CHUNK_CIPHERTEXT,
        "ciphertext length",
    )
    proof = [bytes(rest[5 + k * HASH_BYTES : 5 + (k + 1) * HASH_BYTES]) for k in range(proof_count)]
    return FileFrame(kind, root, index=index, proof=proof, ciphertext=bytes(rest[ciphertext_at:]))


def check_frame_chunks(frame: FileFrame, n: int) -> FileFrame:
    """§11: an index >= n is malformed; a `have` sets no bit for a chunk >= n (its last
    byte may run past n with clear bits)."""
    if frame.type == "have":
        first, bits = frame.first or 0, frame.bits or b""
        _require(first < n, "first chunk past the file")
        _require(first + _last_set_bit(bits) < n, "have bit past the file")
    elif frame.type == "want":
        _require((frame.first or 0) + (frame.count or 0) <= n, "wanted chunk past the file")
    elif frame.type in ("chunk", "lack"):
        _require((frame.index or 0) < n, "index past the file")
    return frame


def _last_set_bit(bits: bytes) -> int:
    for j in range(len(bits) - 1, -1, -1):
        if bits[j]:
            return 8 * j + bits[j].bit_length() - 1
    return -1
