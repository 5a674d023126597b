"""The browser modules and parley_peer agree byte for byte: key derivation, identity
encodings, envelopes and entries made on one side open on the other with every field."""

import hashlib
import json
import struct
from pathlib import Path

import nacl.bindings
import nacl.utils
import pytest

from parley_peer.encoding import b64url_decode as unb64
from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import create_entry, entry_id, is_entry_body
from parley_peer.envelope import SEALED_SIZES, seal_envelope
from parley_peer.files import encrypt_file
from parley_peer.keys import (
    derive_room_keys,
    founded_room_keys,
    founded_room_secret,
    identity_id,
    safety_fingerprint,
)
from parley_peer.replay import ReplayGuard

from .conftest import NOW, Party, as_js_result, run_js

VECTORS = json.loads(Path(__file__).with_name("vectors.json").read_text())
KEY_NAMES = ["discoveryKey", "messageKey", "membershipKey", "mirrorKey", "controlKey"]
CONTEXTS = [b"prldisco", b"prlmsgky", b"prlmembr", b"prlmirro", b"prlcntrl"]


def test_the_key_vector_follows_from_the_documented_formula() -> None:
    """Recomputed with Python's own BLAKE2b, independent of libsodium."""
    vector = VECTORS["roomKeys"]
    secret = bytes.fromhex(vector["secret"])
    salt = (1).to_bytes(8, "little") + bytes(8)
    for name, context in zip(KEY_NAMES, CONTEXTS, strict=True):
        key = hashlib.blake2b(b"", digest_size=32, key=secret, salt=salt, person=context + bytes(8))
        assert key.hexdigest() == vector[name]
    python_keys = as_js_result(derive_room_keys(secret))
    assert {name: unb64(python_keys[name]).hex() for name in KEY_NAMES} == {
        name: vector[name] for name in KEY_NAMES
    }


def test_the_founded_room_vector_follows_from_the_documented_formula() -> None:
    vector = VECTORS["foundedRoom"]
    invite, founder = bytes.fromhex(vector["inviteSecret"]), bytes.fromhex(vector["founder"])
    expected = hashlib.blake2b(b"parley-founded-room-v1" + founder, digest_size=32, key=invite)
    assert expected.hexdigest() == vector["secret"]
    assert founded_room_secret(invite, founder).hex() == vector["secret"]
    salt = (1).to_bytes(8, "little") + bytes(8)
    commitment = hashlib.blake2b(
        b"", digest_size=32, key=expected.digest(), salt=salt, person=b"prlcommt" + bytes(8)
    ).digest()
    assert commitment.hex() == vector["commitment"]
    topic = hashlib.blake2b(b"parley-founded-topic-v1" + founder + commitment, digest_size=32)
    assert topic.hexdigest() == vector["discoveryKey"]
    keys, python_commitment = founded_room_keys(invite, founder)
    assert (keys.discovery_key, python_commitment) == (topic.digest(), commitment)


def test_key_derivation_agrees_for_the_vector_and_random_secrets() -> None:
    secrets = [bytes.fromhex(VECTORS["roomKeys"]["secret"])]
    secrets += [nacl.utils.random(32) for _ in range(8)]
    js_keys = run_js(*({"op": "derive_keys", "secret": b64(secret)} for secret in secrets))
    assert js_keys == [as_js_result(derive_room_keys(secret)) for secret in secrets]


def test_identity_ids_and_fingerprints_agree() -> None:
    vector = VECTORS["fingerprint"]
    public_key = bytes.fromhex(vector["publicKey"])
    digest = hashlib.blake2b(b"parley-fingerprint-v1" + public_key, digest_size=32).digest()
    groups = [int.from_bytes(digest[5 * i : 5 * i + 5], "big") % 100000 for i in range(6)]
    assert " ".join(f"{group:05d}" for group in groups) == vector["safetyFingerprint"]
    keys = [public_key] + [Party.new().identity.verify_key.encode() for _ in range(8)]
    described = run_js(*({"op": "describe_identity", "publicKey": b64(key)} for key in keys))
    assert described == [
        {"identityId": identity_id(key), "safetyFingerprint": safety_fingerprint(key)}
        for key in keys
    ]
    assert described[0] == {k: vector[k] for k in ("identityId", "safetyFingerprint")}


def offer_of(size: int) -> dict:
    return {"description": {"type": "offer", "sdp": "s" * (size - 40)}}


PAYLOADS = [
    {"candidate": None},
    {"bye": "pruned"},
    {"candidate": {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host", "sdpMLineIndex": 0}},
    {"description": {"type": "answer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nä🎉"}},
    offer_of(2000),
    offer_of(16000),
]


def test_js_envelopes_open_in_python_with_every_field(scene) -> None:
    blobs = run_js(*(scene.js_seal(payload) for payload in PAYLOADS))
    sizes = {len(unb64(result["blob"])) for result in blobs}
    assert sizes == set(SEALED_SIZES)
    guard = ReplayGuard()
    for payload, result in zip(PAYLOADS, blobs, strict=True):
        opened = scene.python_open(result["blob"], guard=guard, now=NOW + 500)
        assert len(unb64(opened.pop("nonce"), 16)) == 16
        assert opened == {
            "senderIdentity": b64(scene.alice.identity.verify_key.encode()),
            "senderConnectionKey": b64(scene.alice.connection_key),
            "recipientConnectionKey": b64(scene.bob.connection_key),
            "topic": b64(scene.room.discovery_key),
            "timestamp": NOW,
            "payload": payload,
        }


def test_python_envelopes_open_in_js_with_every_field(scene) -> None:
    blobs = [seal_envelope(**scene.envelope_options(payload=payload)) for payload in PAYLOADS]
    opened = run_js(*(scene.js_open(blob) for blob in blobs))
    for payload, blob, result in zip(PAYLOADS, blobs, opened, strict=True):
        assert result == scene.python_open(blob)
        assert result["payload"] == payload
        assert result["senderIdentity"] == b64(scene.alice.identity.verify_key.encode())
        assert result["senderConnectionKey"] == b64(scene.alice.connection_key)
        assert result["recipientConnectionKey"] == b64(scene.bob.connection_key)
        assert result["topic"] == b64(scene.room.discovery_key)
        assert result["timestamp"] == NOW
        assert len(unb64(result["nonce"], 16)) == 16


def test_both_sides_refuse_a_replay_in_one_session(scene) -> None:
    blob = seal_envelope(**scene.envelope_options())
    first, second = run_js(scene.js_open(blob), scene.js_open(blob))
    assert "error" not in first and second == {"error": "replay"}
    guard = ReplayGuard()
    assert "error" not in scene.python_open(blob, guard=guard)
    assert scene.python_open(blob, guard=guard) == {"error": "replay"}


MESSAGES = [
    {"type": "message", "ts": NOW, "clock": 1, "text": "hello"},
    {"type": "message", "ts": 0, "clock": 2**53 - 1, "text": "🎉" * 4000},
    {"type": "message", "ts": NOW, "clock": 7, "text": 'quote " backslash \\ nul \u0000 é'},
    {"type": "message", "ts": NOW, "clock": 3, "text": "re", "reply": b64(bytes(range(32)))},
    {"type": "edit", "ts": NOW, "clock": 4, "target": b64(bytes(32)), "text": "fixed"},
    {"type": "delete", "ts": NOW, "clock": 5, "target": b64(bytes(32))},
    {
        "type": "reaction",
        "ts": NOW,
        "clock": 6,
        "target": b64(bytes(32)),
        "emoji": "👍🏽",
        "on": True,
    },
    {"type": "name", "ts": NOW, "clock": 8, "name": "Ada 🎉"},
    {"type": "join", "ts": NOW, "clock": 9, "name": "Ada"},
    {
        "type": "file",
        "ts": NOW,
        "clock": 10,
        "name": "Photo 🎉.png",
        "size": 2**40,
        "mime": "image/png",
        "chunk": 131072,
        "root": b64(bytes(range(32))),
        "key": b64(bytes(32)),
    },
]


@pytest.mark.parametrize(
    "body",
    MESSAGES,
    ids=["short", "4000-emoji", "escapes", "reply", "edit", "delete", "reaction", "name", "join"]
    + ["file"],
)
def test_entries_made_on_one_side_open_on_the_other(scene, body) -> None:
    python_first = create_entry(
        identity=scene.alice.identity,
        seq=0,
        body=body,
        message_key=scene.room.message_key,
        discovery_key=scene.room.discovery_key,
    )
    js_second, js_opens_python = run_js(
        {
            "op": "create_entry",
            "identitySeed": b64(scene.alice.seed),
            "seq": 1,
            "prev": b64(python_first.id),
            "body": body,
            "messageKey": b64(scene.room.message_key),
            "discoveryKey": b64(scene.room.discovery_key),
        },
        scene.js_open_entry(python_first.data),
    )
    second = unb64(js_second["bytes"])
    assert unb64(js_second["id"]) == entry_id(second)
    assert js_opens_python == scene.python_open_entry(python_first.data)
    assert js_opens_python == {
        "author": b64(scene.alice.identity.verify_key.encode()),
        "seq": 0,
        "prev": b64(bytes(32)),
        "id": b64(python_first.id),
        "expires": None,
        "stub": False,
        "body": body,
    }
    opened = scene.python_open_entry(second)
    assert opened == {
        "author": b64(scene.alice.identity.verify_key.encode()),
        "seq": 1,
        "prev": b64(python_first.id),
        "id": js_second["id"],
        "expires": None,
        "stub": False,
        "body": body,
    }
    verified = {k: v for k, v in opened.items() if k != "body"}
    assert scene.python_verify_entry(second) == verified
    (js_verified,) = run_js(
        {"op": "verify_entry", "bytes": b64(second), "discoveryKey": b64(scene.room.discovery_key)}
    )
    assert js_verified == verified


def test_both_sides_take_the_same_file_offers(scene) -> None:
    """A `file` entry names chunk format 2 or none (format 1); any other `format` is
    malformed on both sides (the offers of vectors.json)."""
    offers = VECTORS["fileOffers"]
    cases = [(body, True) for body in offers["valid"]]
    cases += [(body, False) for body in offers["invalid"]]
    requests = []
    for body, good in cases:
        assert is_entry_body(body) is good, body
        requests.append(
            {
                "op": "create_entry",
                "identitySeed": b64(scene.alice.seed),
                "seq": 0,
                "prev": b64(bytes(32)),
                "body": body,
                "messageKey": b64(scene.room.message_key),
                "discoveryKey": b64(scene.room.discovery_key),
            }
        )
    made = run_js(*requests)
    assert [("error" not in result) for result in made] == [good for _, good in cases]


@pytest.mark.parametrize("version", [1, 2])
def test_the_file_chunk_vector_follows_from_the_documented_formula(version) -> None:
    """§11 by hand: the AEAD of the format with the documented nonce and AD (PyNaCl's
    primitives), leaves and nodes with Python's hashlib (independent of libsodium); and
    parley_peer.files makes the same."""
    vector = VECTORS["fileChunks"]
    expected = vector[f"format{version}"]
    key, size = bytes.fromhex(vector["key"]), vector["size"]
    data = bytes((7 * i + 3) & 0xFF for i in range(size))
    aead, context, nonce_bytes = {
        1: (nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt, b"parley-chunk-v1", 24),
        2: (nacl.bindings.crypto_aead_aes256gcm_encrypt, b"parley-chunk-v2", 12),
    }[version]

    def digest(data: bytes) -> bytes:
        if version == 1:
            return hashlib.blake2b(data, digest_size=32).digest()
        return hashlib.sha256(data).digest()

    chunks = [data[:131072], data[131072:]]
    ciphertexts = [
        aead(
            chunk,
            context + struct.pack("<QQ", i, size),
            struct.pack("<Q", i) + bytes(nonce_bytes - 8),
            key,
        )
        for i, chunk in enumerate(chunks)
    ]
    assert [hashlib.sha256(c).hexdigest() for c in ciphertexts] == expected["ciphertextSha256"]
    assert ciphertexts[1].hex() == expected["lastCiphertext"]
    leaves = [digest(b"\x00" + struct.pack("<Q", i) + c) for i, c in enumerate(ciphertexts)]
    assert [leaf.hex() for leaf in leaves] == expected["leaves"]
    assert digest(b"\x01" + leaves[0] + leaves[1]).hex() == expected["root"]
    assert encrypt_file(data, key, version).root.hex() == expected["root"]
