"""Version 2 entries (docs/protocol.md §7 "Disappearing messages"): the `entryV2` vector
of vectors.json follows from the documented layout, and the browser modules and
parley_peer verify and open it, its stub and altered copies alike."""

import hashlib
import json
from pathlib import Path

import nacl.bindings
from nacl.signing import SigningKey, VerifyKey

from parley_peer.encoding import b64url_encode as b64
from parley_peer.encoding import dump_json_utf8
from parley_peer.entry import create_entry, entry_stub
from parley_peer.keys import RoomKeys

from .conftest import Scene, run_js
from .test_interop_tampering import OK, flip, outcome

VECTOR = json.loads(Path(__file__).with_name("vectors.json").read_text())["entryV2"]
TS = 1_700_000_000_000


def test_the_version_2_vector_follows_from_the_documented_layout() -> None:
    """Recomputed field by field with hashlib and PyNaCl's primitives, not parley_peer."""
    data, stub = bytes.fromhex(VECTOR["entry"]), bytes.fromhex(VECTOR["stub"])
    identity = SigningKey(bytes.fromhex(VECTOR["identitySeed"]))
    author = identity.verify_key.encode()
    message_key = bytes.fromhex(VECTOR["messageKey"])
    discovery_key = bytes.fromhex(VECTOR["discoveryKey"])
    assert author.hex() == VECTOR["author"]
    length = int.from_bytes(data[105:109], "big")
    assert data[0] == 2 and data[1:33] == author
    assert int.from_bytes(data[33:41], "big") == VECTOR["seq"]
    assert data[41:73].hex() == VECTOR["prev"] and data[73:97].hex() == VECTOR["nonce"]
    assert int.from_bytes(data[97:105], "big") == VECTOR["expires"]
    assert len(data) == 141 + length + 64
    ciphertext = data[141 : 141 + length]
    assert hashlib.blake2b(ciphertext, digest_size=32).hexdigest() == VECTOR["ciphertextHash"]
    assert data[109:141].hex() == VECTOR["ciphertextHash"]
    plaintext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        ciphertext, b"parley-entry-v2" + data[:109], data[73:97], message_key
    )
    assert json.loads(plaintext) == VECTOR["body"]
    assert plaintext == dump_json_utf8(VECTOR["body"])
    VerifyKey(author).verify(
        b"parley-entry-sig-v2" + discovery_key + data[:141], data[-64:]
    )  # raises if it does not verify
    assert stub == data[:141] + data[-64:] and len(stub) == 205
    assert hashlib.blake2b(stub, digest_size=32).hexdigest() == VECTOR["id"]
    # parley_peer makes the same bytes from the same inputs.
    made = create_entry(
        identity=identity,
        seq=VECTOR["seq"],
        prev=bytes.fromhex(VECTOR["prev"]),
        body=VECTOR["body"],
        message_key=message_key,
        discovery_key=discovery_key,
        expires=VECTOR["expires"],
        nonce=bytes.fromhex(VECTOR["nonce"]),
    )
    assert made.data == data and made.id.hex() == VECTOR["id"] and entry_stub(data) == stub


def vector_room() -> RoomKeys:
    key = bytes.fromhex
    return RoomKeys(
        discovery_key=key(VECTOR["discoveryKey"]),
        message_key=key(VECTOR["messageKey"]),
        membership_key=bytes(32),
        mirror_key=bytes(32),
        control_key=bytes(32),
    )


def test_both_sides_verify_the_vector_and_open_it_but_not_its_stub(scene: Scene) -> None:
    room = vector_room()
    data, stub = bytes.fromhex(VECTOR["entry"]), bytes.fromhex(VECTOR["stub"])
    verify = [
        {"op": "verify_entry", "bytes": b64(bytes_), "discoveryKey": b64(room.discovery_key)}
        for bytes_ in (data, stub)
    ]
    js = run_js(*verify, scene.js_open_entry(data, room), scene.js_open_entry(stub, room))
    common = {
        "author": b64(bytes.fromhex(VECTOR["author"])),
        "seq": VECTOR["seq"],
        "prev": b64(bytes.fromhex(VECTOR["prev"])),
        "id": b64(bytes.fromhex(VECTOR["id"])),
        "expires": VECTOR["expires"],
    }
    expected = [
        {**common, "stub": False},
        {**common, "stub": True},
        {**common, "stub": False, "body": VECTOR["body"]},
        {"error": "undecryptable"},
    ]
    assert js == expected
    scene.room = room
    python = [scene.python_verify_entry(data), scene.python_verify_entry(stub)]
    python += [scene.python_open_entry(data, room), scene.python_open_entry(stub, room)]
    assert python == expected


def hand_built(scene: Scene, body: bytes, expires: int, length_delta: int = 0) -> bytes:
    """A version 2 entry from the §7 table, for what create_entry refuses to make."""
    nonce = bytes(24)
    header = b"".join([
        b"\x02", scene.alice.identity.verify_key.encode(), bytes(8), bytes(32), nonce,
        expires.to_bytes(8, "big"), (len(body) + 16 + length_delta).to_bytes(4, "big"),
    ])  # fmt: skip
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        body, b"parley-entry-v2" + header, nonce, scene.room.message_key
    )
    signed = header + hashlib.blake2b(ciphertext, digest_size=32).digest()
    signature = scene.alice.identity.sign(
        b"parley-entry-sig-v2" + scene.room.discovery_key + signed
    ).signature
    return signed + ciphertext + signature


def test_js_and_python_agree_on_altered_version_2_entries(scene: Scene) -> None:
    def made(body: dict, expires: int = TS + 300_000) -> bytes:
        return create_entry(
            identity=scene.alice.identity,
            seq=0,
            body=body,
            message_key=scene.room.message_key,
            discovery_key=scene.room.discovery_key,
            expires=expires,
        ).data

    message = {"type": "message", "ts": TS, "clock": 1, "text": "soon gone"}
    data = made(message)
    name = dump_json_utf8({"type": "name", "ts": TS, "clock": 1, "name": "Ada"})
    text = dump_json_utf8(message)
    cases = {
        "untouched": (data, OK),
        "stub": (entry_stub(data), "undecryptable"),
        "four weeks": (made(message, TS + 2_419_200_000), OK),
        "hash flipped": (flip(data, 120), "malformed"),
        "ciphertext flipped": (flip(data, 141), "malformed"),
        "expiry flipped": (flip(data, 104), "bad_signature"),
        "stub hash flipped": (flip(entry_stub(data), 120), "bad_signature"),
        "signature flipped": (flip(data, len(data) - 1), "bad_signature"),
        "a byte short": (data[:-1], "malformed"),
        "stub a byte short": (entry_stub(data)[:-1], "malformed"),
        "version 3": (flip(data, 0, 1), "malformed"),
        "name body": (hand_built(scene, name, TS + 300_000), "malformed"),
        "past four weeks": (hand_built(scene, text, TS + 2_419_200_001), "malformed"),
        "expires 0": (hand_built(scene, text, 0), "malformed"),
        "expires past a Date": (hand_built(scene, text, 8_640_000_000_000_001), "malformed"),
        "length off by one": (hand_built(scene, text, TS + 300_000, 1), "malformed"),
    }
    js = run_js(*(scene.js_open_entry(data) for data, _ in cases.values()))
    expected = {name: code for name, (_, code) in cases.items()}
    assert {name: outcome(result) for name, result in zip(cases, js, strict=True)} == expected
    python = {name: outcome(scene.python_open_entry(data)) for name, (data, _) in cases.items()}
    assert python == expected
