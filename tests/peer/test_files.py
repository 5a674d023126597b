"""parley_peer.files: chunk encryption, Merkle tree and file-channel messages of
docs/protocol.md §11, checked against PyNaCl's primitives directly."""

import struct

import nacl.bindings
import nacl.exceptions
import nacl.hashlib
import pytest

from parley_peer.files import (
    CHUNK_SIZE,
    FILE_FORMATS,
    MAX_CHUNK_CIPHERTEXT,
    MAX_CHUNKS,
    MAX_FILE_FRAME_BYTES,
    MAX_FILE_SIZE,
    NEW_FILE_FORMAT,
    FileChunkError,
    FileFrame,
    FileFrameError,
    MerkleTree,
    bitfield,
    check_frame_chunks,
    chunk_count,
    chunk_range,
    decrypt_chunk,
    encode_file_frame,
    encrypt_chunk,
    encrypt_file,
    have_ranges,
    leaf_hash,
    new_file_key,
    padded_leaf_count,
    parse_file_frame,
    proof_length,
    root_from_proof,
    verify_chunk,
)

COUNTS = [1, 2, 3, 5, 8, 1000]
ROOT = b"\xab" * 32


def blake(data: bytes) -> bytes:
    return nacl.hashlib.blake2b(data, digest_size=32).digest()


def file_of(size: int) -> bytes:
    return bytes((i * 31 + 7) & 0xFF for i in range(size))


def tree_of(n: int) -> tuple[list[bytes], MerkleTree]:
    chunks = [bytes([i & 0xFF]) * (16 + i % 5) for i in range(n)]
    return chunks, MerkleTree.from_leaves([leaf_hash(i, c) for i, c in enumerate(chunks)])


def test_chunk_counts_and_ranges():
    assert [chunk_count(s) for s in (0, 1, CHUNK_SIZE, CHUNK_SIZE + 1)] == [1, 1, 1, 2]
    assert chunk_count(MAX_FILE_SIZE) == MAX_CHUNKS
    with pytest.raises(FileChunkError) as error:
        chunk_count(MAX_FILE_SIZE + 1)
    assert error.value.code == "too_large"
    assert chunk_range(0, 0) == (0, 0)
    assert chunk_range(CHUNK_SIZE + 5, 1) == (CHUNK_SIZE, CHUNK_SIZE + 5)
    with pytest.raises(IndexError):
        chunk_range(CHUNK_SIZE, 1)


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 3])
def test_files_round_trip_chunk_by_chunk(size):
    data = file_of(size)
    encrypted = encrypt_file(data)
    assert len(encrypted.ciphertexts) == chunk_count(size)
    plain = b"".join(
        decrypt_chunk(encrypted.key, i, size, c) for i, c in enumerate(encrypted.ciphertexts)
    )
    assert plain == data
    assert encrypt_file(data, encrypted.key).root == encrypted.root


def test_encryption_is_the_construction_of_section_11():
    key = new_file_key()
    size = CHUNK_SIZE + 10
    plaintext = file_of(size)[CHUNK_SIZE:]
    ciphertext = encrypt_chunk(key, 1, size, plaintext)
    nonce = struct.pack("<Q", 1) + bytes(16)
    ad = b"parley-chunk-v1" + struct.pack("<QQ", 1, size)
    assert ciphertext == nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, ad, nonce, key
    )
    assert leaf_hash(1, ciphertext) == blake(b"\x00" + struct.pack("<Q", 1) + ciphertext)


def test_damaged_chunks_do_not_decrypt():
    key = new_file_key()
    size = 3 * CHUNK_SIZE
    ciphertext = encrypt_chunk(key, 1, size, file_of(size)[CHUNK_SIZE : 2 * CHUNK_SIZE])
    damaged = bytearray(ciphertext)
    damaged[100] ^= 1
    for args in [
        (new_file_key(), 1, size, ciphertext),
        (key, 0, size, ciphertext),
        (key, 1, size + CHUNK_SIZE, ciphertext),
        (key, 1, size, ciphertext[1:]),
        (key, 1, size, bytes(damaged)),
    ]:
        with pytest.raises(FileChunkError) as error:
            decrypt_chunk(*args)
        assert error.value.code == "bad_chunk"
    with pytest.raises(ValueError):
        encrypt_chunk(key, 0, 10, bytes(9))


def test_the_root_of_three_chunks_by_hand():
    chunks, tree = tree_of(3)
    leaves = [leaf_hash(i, c) for i, c in enumerate(chunks)]
    left = blake(b"\x01" + leaves[0] + leaves[1])
    right = blake(b"\x01" + leaves[2] + bytes(32))
    assert tree.root == blake(b"\x01" + left + right)
    assert tree.proof(2) == [bytes(32), left]
    one_chunk, one = tree_of(1)
    assert one.root == leaf_hash(0, one_chunk[0])


@pytest.mark.parametrize("n", COUNTS)
def test_every_proof_verifies_and_damage_is_rejected(n):
    chunks, tree = tree_of(n)
    assert padded_leaf_count(n) == 1 << proof_length(n)
    for i in [0, n // 2, n - 1]:
        proof = tree.proof(i)
        assert verify_chunk(tree.root, i, chunks[i], proof, n)
        flipped = bytearray(chunks[i])
        flipped[0] ^= 1
        assert not verify_chunk(tree.root, i, bytes(flipped), proof, n)
        for k in range(len(proof)):
            damaged = list(proof)
            damaged[k] = bytes([damaged[k][0] ^ 1]) + damaged[k][1:]
            assert not verify_chunk(tree.root, i, chunks[i], damaged, n)
        if n > 1:
            assert not verify_chunk(tree.root, (i + 1) % n, chunks[i], proof, n)
        assert not verify_chunk(tree.root, n, chunks[i], proof, n)
        assert not verify_chunk(tree.root, i, chunks[i], [*proof, bytes(32)], n)
        if proof:
            assert not verify_chunk(tree.root, i, chunks[i], proof[1:], n)
    with pytest.raises(FileChunkError) as error:
        root_from_proof(0, leaf_hash(0, chunks[0]), [*tree.proof(0), bytes(32)], n)
    assert error.value.code == "bad_chunk"


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 3])
def test_format_2_files_round_trip_and_are_aes_gcm_and_sha256(size):
    data = file_of(size)
    encrypted = encrypt_file(data, version=2)
    assert encrypted.version == 2
    plain = b"".join(
        decrypt_chunk(encrypted.key, i, size, c, 2) for i, c in enumerate(encrypted.ciphertexts)
    )
    assert plain == data
    last = chunk_count(size) - 1
    start, end = chunk_range(size, last)
    nonce = struct.pack("<Q", last) + bytes(4)
    ad = b"parley-chunk-v2" + struct.pack("<QQ", last, size)
    ciphertext = nacl.bindings.crypto_aead_aes256gcm_encrypt(
        data[start:end], ad, nonce, encrypted.key
    )
    assert encrypted.ciphertexts[last] == ciphertext
    leaf = nacl.bindings.crypto_hash_sha256(b"\x00" + struct.pack("<Q", last) + ciphertext)
    assert encrypted.tree.leaf(last) == leaf
    for i, c in enumerate(encrypted.ciphertexts):
        assert verify_chunk(encrypted.root, i, c, encrypted.tree.proof(i), chunk_count(size), 2)
        assert not verify_chunk(encrypted.root, i, c, encrypted.tree.proof(i), chunk_count(size))


def test_a_chunk_of_one_format_does_not_open_as_the_other_and_unknown_formats_are_refused():
    # A later version's format (3..255) is `newer_format`; anything else is malformed.
    key = new_file_key()
    data = file_of(CHUNK_SIZE + 7)
    one, two = encrypt_file(data, key, 1), encrypt_file(data, key, 2)
    assert one.root != two.root
    for ciphertext, version in [(one.ciphertexts[1], 2), (two.ciphertexts[1], 1)]:
        with pytest.raises(FileChunkError) as error:
            decrypt_chunk(key, 1, len(data), ciphertext, version)
        assert error.value.code == "bad_chunk"
    for version, code in [
        (0, "malformed"),
        ("2", "malformed"),
        (None, "malformed"),
        (256, "malformed"),
        (3, "newer_format"),
        (255, "newer_format"),
    ]:
        with pytest.raises(FileChunkError) as error:
            encrypt_chunk(key, 0, 1, b"x", version)
        assert error.value.code == code, version
    assert FILE_FORMATS == (1, 2) and NEW_FILE_FORMAT == 1


FRAMES = [
    FileFrame("have?", ROOT),
    FileFrame("have", ROOT, first=0, bits=b"\x0b"),
    FileFrame("have", ROOT, first=2**32 - 1, bits=b"\xff" * 16384),
    FileFrame("want", ROOT, first=7, count=64),
    FileFrame("chunk", ROOT, index=5, proof=[b"\x01" * 32, b"\x02" * 32], ciphertext=b"\x09" * 16),
    FileFrame("chunk", ROOT, index=0, ciphertext=bytes(MAX_CHUNK_CIPHERTEXT)),
    FileFrame("lack", ROOT, index=3),
    FileFrame("cancel", ROOT),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.type)
def test_frames_round_trip(frame):
    assert parse_file_frame(encode_file_frame(frame)) == frame


def test_frame_bytes_follow_the_table():
    assert encode_file_frame(FRAMES[0]) == b"\x01" + ROOT
    assert encode_file_frame(FileFrame("want", ROOT, first=0x01020304, count=64)) == (
        b"\x03" + ROOT + b"\x04\x03\x02\x01\x40\x00"
    )
    assert encode_file_frame(FRAMES[4]) == (
        b"\x04" + ROOT + b"\x05\x00\x00\x00\x02" + b"\x01" * 32 + b"\x02" * 32 + b"\x09" * 16
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01",
        b"\x01" + ROOT[:31],
        b"\x00" + ROOT,
        b"\x07" + ROOT,
        b"\x01" + ROOT + b"\x00",
        b"\x06" + ROOT + b"\x00",
        b"\x02" + ROOT + bytes(4),
        b"\x02" + ROOT + bytes(4 + 16385),
        b"\x03" + ROOT + b"\x00\x00\x00\x00\x01",
        b"\x03" + ROOT + b"\x00\x00\x00\x00\x00\x00",
        b"\x03" + ROOT + b"\x00\x00\x00\x00\x41\x00",
        b"\x05" + ROOT + bytes(3),
        b"\x05" + ROOT + bytes(5),
        b"\x04" + ROOT + bytes(4),
        b"\x04" + ROOT + bytes(5 + 15),
        b"\x04" + ROOT + bytes(4) + b"\x01" + bytes(32 + 15),
        b"\x04" + ROOT + bytes(4) + b"\x19" + bytes(25 * 32 + 16),
        b"\x04" + ROOT + bytes(5 + MAX_CHUNK_CIPHERTEXT + 1),
        b"\x02" + bytes(MAX_FILE_FRAME_BYTES),
    ],
)
def test_malformed_frames_are_rejected(data):
    with pytest.raises(FileFrameError) as error:
        parse_file_frame(data)
    assert error.value.code == "malformed"


def test_the_encoder_refuses_bad_frames():
    for frame in [
        FileFrame("nope", ROOT),
        FileFrame("have?", ROOT[1:]),
        FileFrame("have", ROOT, first=0, bits=b""),
        FileFrame("want", ROOT, first=0, count=65),
        FileFrame("chunk", ROOT, index=0, proof=[b"x" * 31], ciphertext=bytes(16)),
        FileFrame("chunk", ROOT, index=0, proof=[bytes(32)] * 25, ciphertext=bytes(16)),
        FileFrame("chunk", ROOT, index=0, ciphertext=bytes(15)),
        FileFrame("lack", ROOT, index=-1),
    ]:
        with pytest.raises(FileFrameError):
            encode_file_frame(frame)


def test_chunks_past_the_file_are_malformed():
    check_frame_chunks(FileFrame("have", ROOT, first=0, bits=b"\x07\x00"), 3)
    check_frame_chunks(FileFrame("want", ROOT, first=0, count=3), 3)
    for frame in [
        FileFrame("have", ROOT, first=0, bits=b"\x0f"),
        FileFrame("have", ROOT, first=3, bits=b"\x00"),
        FileFrame("want", ROOT, first=1, count=3),
        FileFrame("chunk", ROOT, index=3, ciphertext=bytes(16)),
        FileFrame("lack", ROOT, index=3),
    ]:
        with pytest.raises(FileFrameError):
            check_frame_chunks(frame, 3)


def test_bitfields_and_have_ranges():
    bits = bitfield(20, [0, 9, 19])
    assert bits == b"\x01\x02\x08"
    assert have_ranges(bits, 2) == [(0, b"\x01\x02"), (16, b"\x08")]
    with pytest.raises(IndexError):
        bitfield(20, [20])


def test_a_python_sender_answers_have_and_want():
    encrypted = encrypt_file(file_of(3 * CHUNK_SIZE + 1))
    [have] = [parse_file_frame(frame) for frame in encrypted.have_frames()]
    assert (have.type, have.root, have.first, have.bits) == ("have", encrypted.root, 0, b"\x0f")
    chunk = parse_file_frame(encrypted.chunk_frame(3))
    assert check_frame_chunks(chunk, 4) == chunk
    assert verify_chunk(encrypted.root, 3, chunk.ciphertext, chunk.proof, 4)
    damaged = parse_file_frame(encrypted.chunk_frame(3, ciphertext=bytes(17)))
    assert not verify_chunk(encrypted.root, 3, damaged.ciphertext, damaged.proof, 4)


def test_a_cpu_without_aes_says_so_instead_of_blaming_the_chunk(monkeypatch):
    """PyNaCl raises UnavailableError (a CryptoError) for AES-256-GCM on a CPU without
    AES instructions; this machine has them, so the test stands in for such a CPU."""
    from dataclasses import replace

    from parley_peer import chunk_crypto

    def unavailable(*_args):
        raise nacl.exceptions.UnavailableError("no AES instructions")

    key = bytes(range(32))
    sealed = chunk_crypto.encrypt_chunk(key, 0, 5, b"hello", version=2)
    without_aes = replace(chunk_crypto._FORMATS[2], seal=unavailable, open=unavailable)
    monkeypatch.setitem(chunk_crypto._FORMATS, 2, without_aes)
    for attempt in (
        lambda: chunk_crypto.decrypt_chunk(key, 0, 5, sealed, version=2),
        lambda: chunk_crypto.encrypt_chunk(key, 0, 5, b"hello", version=2),
    ):
        with pytest.raises(chunk_crypto.FileChunkError) as raised:
            attempt()
        assert raised.value.code == "unsupported_format"
    with pytest.raises(chunk_crypto.FileChunkError) as tampered:
        chunk_crypto.decrypt_chunk(key, 0, 5, sealed[:-1] + bytes([sealed[-1] ^ 1]), version=1)
    assert tampered.value.code == "bad_chunk"
