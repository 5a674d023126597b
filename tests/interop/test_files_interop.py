"""Files agree between the browser modules (static/app/files/) and parley_peer.files
(docs/protocol.md §11), in both chunk formats: for the same key and bytes both make the
same ciphertexts, leaves, roots and proofs; each opens and verifies what the other made
and refuses the same damage; both write the same frame bytes and parse each other's."""

import nacl.utils
import pytest

from parley_peer.encoding import b64url_decode as unb64
from parley_peer.encoding import b64url_encode as b64
from parley_peer.files import (
    CHUNK_SIZE,
    FILE_FORMATS,
    MAX_CHUNK_CIPHERTEXT,
    FileChunkError,
    FileFrame,
    FileFrameError,
    MerkleTree,
    decrypt_chunk,
    encode_file_frame,
    encrypt_file,
    parse_file_frame,
    verify_chunk,
)

from .conftest import run_js

SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 4 * CHUNK_SIZE + 17]
ROOT = nacl.utils.random(32)


def flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.fixture(scope="module", params=FILE_FORMATS)
def version(request):
    return request.param


@pytest.fixture(scope="module")
def files(version):
    """Each size encrypted by both sides with one key, in the chunk format `version`."""
    made = [(size, nacl.utils.random(32), nacl.utils.random(size)) for size in SIZES]
    from_js = run_js(
        *(
            {"op": "encrypt_file", "key": b64(k), "data": b64(d), "format": version}
            for _, k, d in made
        )
    )
    return [
        (key, data, encrypt_file(data, key, version), js)
        for (_, key, data), js in zip(made, from_js, strict=True)
    ]


def test_ciphertexts_leaves_roots_and_proofs_are_identical(files):
    for _, _, python, js in files:
        assert js["ciphertexts"] == [b64(c) for c in python.ciphertexts]
        assert js["leaves"] == [b64(python.tree.leaf(i)) for i in range(python.tree.count)]
        assert js["root"] == b64(python.root)
        proofs = [[b64(node) for node in python.tree.proof(i)] for i in range(python.tree.count)]
        assert js["proofs"] == proofs


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 1000])
def test_trees_of_any_size_agree(n, version):
    leaves = [nacl.utils.random(32) for _ in range(n)]
    tree = MerkleTree.from_leaves(leaves, version)
    [js] = run_js(
        {"op": "merkle_tree", "leaves": [b64(leaf) for leaf in leaves], "format": version}
    )
    assert js["root"] == b64(tree.root)
    assert js["proofs"] == [[b64(node) for node in tree.proof(i)] for i in range(n)]


def test_each_side_decrypts_the_other_and_refuses_the_same_damage(files, version):
    requests, expected = [], []
    for key, data, python, js in files:
        size = python.size
        for i, ciphertext in enumerate(js["ciphertexts"]):
            chunk = unb64(ciphertext)
            plain = decrypt_chunk(key, i, size, chunk, version)
            assert plain == data[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE]
            cases = [
                (key, i, size, chunk, {"plaintext": b64(plain)}),
                (key, i, size, flip(chunk, len(chunk) - 1), {"error": "bad_chunk"}),
                (key, i, size + 1, chunk, {"error": "bad_chunk"}),
                (nacl.utils.random(32), i, size, chunk, {"error": "bad_chunk"}),
            ]
            for case_key, index, case_size, case_chunk, result in cases:
                requests.append(
                    {
                        "op": "decrypt_chunk",
                        "key": b64(case_key),
                        "index": index,
                        "size": case_size,
                        "ciphertext": b64(case_chunk),
                        "format": version,
                    }
                )
                expected.append(result)
                if "error" in result:
                    with pytest.raises(FileChunkError) as error:
                        decrypt_chunk(case_key, index, case_size, case_chunk, version)
                    assert error.value.code == result["error"]
    assert run_js(*requests) == expected


def test_python_proofs_verify_in_js_and_damage_fails_in_both(files, version):
    requests, expected = [], []
    for _, _, python, _ in files:
        n = python.tree.count
        for i, chunk in enumerate(python.ciphertexts):
            proof = python.tree.proof(i)
            cases = [(i, chunk, proof, True), (i, flip(chunk), proof, False)]
            if proof:
                cases += [(i, chunk, [flip(proof[-1], 31), *proof[1:]], False)]
                cases += [(i, chunk, proof[:-1], False), ((i + 1) % n, chunk, proof, False)]
            cases += [(i, chunk, [*proof, bytes(32)], False), (n, chunk, proof, False)]
            for index, case_chunk, case_proof, valid in cases:
                assert verify_chunk(python.root, index, case_chunk, case_proof, n, version) is valid
                requests.append(
                    {
                        "op": "verify_chunk",
                        "root": b64(python.root),
                        "index": index,
                        "ciphertext": b64(case_chunk),
                        "proof": [b64(node) for node in case_proof],
                        "count": n,
                        "format": version,
                    }
                )
                expected.append({"valid": valid})
    assert run_js(*requests) == expected


FRAMES = [
    FileFrame("have?", ROOT),
    FileFrame("have", ROOT, first=16, bits=b"\x0b\x00\xff"),
    FileFrame("have", ROOT, first=2**32 - 1, bits=nacl.utils.random(16384)),
    FileFrame("want", ROOT, first=7, count=64),
    FileFrame("want", ROOT, first=0x01020304, count=1),
    FileFrame("chunk", ROOT, index=5, proof=[nacl.utils.random(32)] * 3, ciphertext=bytes(16)),
    FileFrame(
        "chunk",
        ROOT,
        index=2**24 - 1,
        proof=[nacl.utils.random(32) for _ in range(24)],
        ciphertext=nacl.utils.random(MAX_CHUNK_CIPHERTEXT),
    ),
    FileFrame("lack", ROOT, index=3),
    FileFrame("cancel", ROOT),
]


def as_json(frame: FileFrame) -> dict:
    fields = {
        "type": frame.type,
        "root": frame.root,
        "first": frame.first,
        "bits": frame.bits,
        "count": frame.count,
        "index": frame.index,
        "ciphertext": frame.ciphertext,
    }
    out = {k: b64(v) if isinstance(v, bytes) else v for k, v in fields.items() if v is not None}
    if frame.type == "chunk":
        out["proof"] = [b64(node) for node in frame.proof]
    return out


def test_frames_have_the_same_bytes_both_ways():
    python_bytes = [encode_file_frame(frame) for frame in FRAMES]
    js_encoded = run_js(*({"op": "encode_file_frame", "frame": as_json(f)} for f in FRAMES))
    assert js_encoded == [{"bytes": b64(data)} for data in python_bytes]
    js_parsed = run_js(*({"op": "parse_file_frame", "bytes": b64(data)} for data in python_bytes))
    assert js_parsed == [as_json(frame) for frame in FRAMES]
    for result in js_encoded:
        assert parse_file_frame(unb64(result["bytes"])) in FRAMES


MALFORMED = [
    b"\x01",
    b"\x00" + ROOT,
    b"\x07" + ROOT,
    b"\x01" + ROOT + b"\x00",
    b"\x02" + ROOT + bytes(4),
    b"\x03" + ROOT + b"\x00\x00\x00\x00\x00\x00",
    b"\x03" + ROOT + b"\x00\x00\x00\x00\x41\x00",
    b"\x04" + ROOT + bytes(5 + 15),
    b"\x04" + ROOT + bytes(4) + b"\x19" + bytes(25 * 32 + 16),
    b"\x04" + ROOT + bytes(5 + MAX_CHUNK_CIPHERTEXT + 1),
    b"\x05" + ROOT + bytes(5),
    b"\x06" + ROOT + b"\x00",
]


def test_both_sides_reject_the_same_malformed_frames():
    results = run_js(*({"op": "parse_file_frame", "bytes": b64(data)} for data in MALFORMED))
    assert results == [{"error": "malformed"}] * len(MALFORMED)
    for data in MALFORMED:
        with pytest.raises(FileFrameError):
            parse_file_frame(data)
