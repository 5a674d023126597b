"""Files (docs/protocol.md §11): whole encrypted files, the Merkle tree and the binary
messages of the ``parley-file`` data channel. The mirror of static/app/files/ (merkle.js,
file-frames.js), byte for byte, so a Python peer can offer and serve chunks to browsers
(and serve damaged ones on purpose in tests). The chunks' encryption, in either chunk
format, is parley_peer.chunk_crypto; ``version`` arguments name the format (1: an offer
without ``format``).
"""

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

import nacl.bindings

from parley_peer.chunk_crypto import (
    CHUNK_SIZE,
    FILE_FORMATS,
    FILE_KEY_BYTES,
    HASH_BYTES,
    MAX_CHUNKS,
    MAX_FILE_SIZE,
    NEW_FILE_FORMAT,
    TAG_BYTES,
    FileChunkError,
    chunk_count,
    chunk_range,
    decrypt_chunk,
    encrypt_chunk,
    leaf_hash,
    new_file_key,
    parent_hash,
)
from parley_peer.errors import ProtocolError

# What other modules import from here (names of parley_peer.chunk_crypto included).
__all__ = [
    "CHUNK_SIZE",
    "FILE_CHANNEL",
    "FILE_FORMATS",
    "FILE_FRAME_TYPES",
    "FILE_KEY_BYTES",
    "HASH_BYTES",
    "MAX_CHUNKS",
    "MAX_CHUNK_CIPHERTEXT",
    "MAX_FILE_FRAME_BYTES",
    "MAX_FILE_SIZE",
    "MAX_HAVE_BITS_BYTES",
    "MAX_PROOF_NODES",
    "MAX_WANT_COUNT",
    "MIN_CHUNK_CIPHERTEXT",
    "NEW_FILE_FORMAT",
    "TAG_BYTES",
    "EncryptedFile",
    "FileChunkError",
    "FileFrame",
    "FileFrameError",
    "MerkleTree",
    "bitfield",
    "check_frame_chunks",
    "chunk_count",
    "chunk_range",
    "decrypt_chunk",
    "encode_file_frame",
    "encrypt_chunk",
    "encrypt_file",
    "have_ranges",
    "leaf_hash",
    "new_file_key",
    "padded_leaf_count",
    "parse_file_frame",
    "proof_length",
    "root_from_proof",
    "verify_chunk",
]

FILE_CHANNEL = "parley-file"
MAX_FILE_FRAME_BYTES = 262_144
MAX_HAVE_BITS_BYTES = 16_384
MAX_WANT_COUNT = 64
MAX_PROOF_NODES = 24
MIN_CHUNK_CIPHERTEXT = TAG_BYTES
MAX_CHUNK_CIPHERTEXT = CHUNK_SIZE + TAG_BYTES
FILE_FRAME_TYPES = ("have?", "have", "want", "chunk", "lack", "cancel")

_TYPE_CODES = {name: code for code, name in enumerate(FILE_FRAME_TYPES, start=1)}
_BODY_AT = 1 + HASH_BYTES  # what follows the type byte and the root
_PROOF_AT = _BODY_AT + 4 + 1


class FileFrameError(ProtocolError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("malformed", detail)


@dataclass(frozen=True)
class EncryptedFile:
    """What a sender offers: the entry's ``root``, ``key`` and ``format`` (``version``),
    and every chunk ready to serve."""

    key: bytes
    size: int
    ciphertexts: list[bytes]
    tree: "MerkleTree"
    version: int = 1

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


def encrypt_file(data: bytes, key: bytes | None = None, version: int = 1) -> EncryptedFile:
    key = new_file_key() if key is None else key
    size = len(data)
    ciphertexts = [
        encrypt_chunk(key, i, size, data[slice(*chunk_range(size, i))], version)
        for i in range(chunk_count(size))
    ]
    leaves = [leaf_hash(i, c, version) for i, c in enumerate(ciphertexts)]
    tree = MerkleTree.from_leaves(leaves, version)
    return EncryptedFile(key, size, ciphertexts, tree, version)


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

    def __init__(self, count: int, nodes: list[bytes], version: int = 1) -> None:
        self.count = count
        self.version = version
        self.padded = padded_leaf_count(count)
        self._nodes = nodes

    @classmethod
    def from_leaves(cls, leaves: list[bytes], version: int = 1) -> "MerkleTree":
        padded = padded_leaf_count(len(leaves))
        if any(len(leaf) != HASH_BYTES for leaf in leaves):
            raise ValueError("a leaf must be 32 bytes")
        nodes = [b""] * padded + list(leaves) + [bytes(HASH_BYTES)] * (padded - len(leaves))
        for v in range(padded - 1, 0, -1):
            nodes[v] = parent_hash(nodes[2 * v], nodes[2 * v + 1], version)
        return cls(len(leaves), nodes, version)

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


def root_from_proof(index: int, leaf: bytes, proof: list[bytes], n: int, version: int = 1) -> bytes:
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
        node = (
            parent_hash(node, sibling, version)
            if v % 2 == 0
            else parent_hash(sibling, node, version)
        )
        v >>= 1
    return node


def verify_chunk(
    root: bytes, index: int, ciphertext: bytes, proof: list[bytes], count: int, version: int = 1
) -> bool:
    try:
        leaf = leaf_hash(index, ciphertext, version)
        computed = root_from_proof(index, leaf, proof, count, version)
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
