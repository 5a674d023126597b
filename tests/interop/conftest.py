"""Two implementations of one protocol side by side: the browser modules under node
(js_peer.mjs) and parley_peer with PyNaCl. Results of both come in the same shape (the
fields of the JS result, binary values as base64url, a failure as {"error": code}), so a
test can compare them directly."""

import dataclasses
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.hashlib
import nacl.utils
import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import open_entry, verify_entry_signature
from parley_peer.envelope import open_envelope
from parley_peer.errors import ProtocolError
from parley_peer.keys import RoomKeys, derive_room_keys, new_room_secret
from parley_peer.replay import ReplayGuard

ROOT = Path(__file__).resolve().parents[2]
JS_PEER = Path(__file__).with_name("js_peer.mjs")
NOW = 1_700_000_000_000


@pytest.fixture(scope="session", autouse=True)
def node_and_vendor_bundle() -> None:
    if shutil.which("node") is None:
        pytest.fail("interop tests need node on PATH")
    if not (ROOT / "static" / "vendor" / "libsodium.js").exists():
        pytest.fail("static/vendor/libsodium.js is missing: run `node scripts/build-vendor.mjs`")


def run_js(*requests: dict) -> list[dict]:
    """Runs a batch of requests in one node process (one ReplayGuard for the batch)."""
    done = subprocess.run(
        ["node", str(JS_PEER)],
        input=json.dumps(list(requests)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def as_js_result(result: object) -> dict:
    fields = dataclasses.asdict(result)  # type: ignore[call-overload]
    return {camel(k): b64(v) if isinstance(v, bytes) else v for k, v in fields.items()}


def python_call(action, *args, **kwargs) -> dict:
    try:
        return as_js_result(action(*args, **kwargs))
    except ProtocolError as error:
        return {"error": error.code}


@dataclass
class Party:
    seed: bytes
    identity: SigningKey
    connection: PrivateKey

    @classmethod
    def new(cls) -> "Party":
        seed = nacl.utils.random(32)
        return cls(seed, SigningKey(seed), PrivateKey.generate())

    @property
    def connection_key(self) -> bytes:
        return self.connection.public_key.encode()


@dataclass
class Scene:
    """Alice signals Bob in `room`; Carol is a third party; `other_room` is shared by none."""

    room: RoomKeys
    other_room: RoomKeys
    alice: Party
    bob: Party
    carol: Party

    def envelope_options(self, **overrides) -> dict:
        return {
            "identity": self.alice.identity,
            "sender_connection_key": self.alice.connection_key,
            "recipient_connection_key": self.bob.connection_key,
            "topic": self.room.discovery_key,
            "membership_key": self.room.membership_key,
            "payload": {"candidate": None},
            "now_ms": NOW,
        } | overrides

    def js_seal(self, payload: object, now: int = NOW) -> dict:
        return {
            "op": "seal_envelope",
            "identitySeed": b64(self.alice.seed),
            "senderConnectionKey": b64(self.alice.connection_key),
            "recipientConnectionKey": b64(self.bob.connection_key),
            "topic": b64(self.room.discovery_key),
            "membershipKey": b64(self.room.membership_key),
            "payload": payload,
            "now": now,
        }

    def open_options(self, now: int = NOW, **overrides) -> dict:
        return {
            "connection_key": self.bob.connection,
            "topic": self.room.discovery_key,
            "expected_sender_connection_key": self.alice.connection_key,
            "membership_key": self.room.membership_key,
            "now_ms": now,
        } | overrides

    def js_open(self, blob: str, **overrides) -> dict:
        options = self.open_options(**overrides)
        return {
            "op": "open_envelope",
            "blob": blob,
            "connectionPrivateKey": b64(options["connection_key"].encode()),
            "topic": b64(options["topic"]),
            "expectedSenderConnectionKey": b64(options["expected_sender_connection_key"]),
            "membershipKey": b64(options["membership_key"]),
            "now": options["now_ms"],
        }

    def python_open(self, blob: str, guard: ReplayGuard | None = None, **overrides) -> dict:
        options = self.open_options(**overrides) | {
            "replay_guard": ReplayGuard() if guard is None else guard
        }
        return python_call(open_envelope, blob, **options)

    def js_open_entry(self, data: bytes, room: RoomKeys | None = None) -> dict:
        room = room or self.room
        return {
            "op": "open_entry",
            "bytes": b64(data),
            "messageKey": b64(room.message_key),
            "discoveryKey": b64(room.discovery_key),
        }

    def python_open_entry(self, data: bytes, room: RoomKeys | None = None) -> dict:
        room = room or self.room
        return python_call(
            open_entry, data, message_key=room.message_key, discovery_key=room.discovery_key
        )

    def python_verify_entry(self, data: bytes) -> dict:
        return python_call(verify_entry_signature, data, self.room.discovery_key)


@pytest.fixture
def scene() -> Scene:
    return Scene(
        room=derive_room_keys(new_room_secret()),
        other_room=derive_room_keys(new_room_secret()),
        alice=Party.new(),
        bob=Party.new(),
        carol=Party.new(),
    )


def hand_built_plaintext(
    scene: Scene, payload_bytes: bytes, bucket: int = 1024, signer: SigningKey | None = None
) -> bytes:
    """An envelope plaintext straight from the §4 layout, for payloads the sealer refuses.
    It always claims to come from Alice; `signer` may be someone else."""
    body = (
        b"\x01"
        + scene.alice.identity.verify_key.encode()
        + scene.alice.connection_key
        + scene.bob.connection_key
        + scene.room.discovery_key
        + NOW.to_bytes(8, "big")
        + nacl.utils.random(16)
        + len(payload_bytes).to_bytes(4, "big")
        + payload_bytes
    )
    mac = nacl.hashlib.blake2b(
        b"parley-envelope-mac-v1" + body, digest_size=32, key=scene.room.membership_key
    ).digest()
    signer = scene.alice.identity if signer is None else signer
    signature = signer.sign(b"parley-envelope-sig-v1" + body + mac).signature
    return (body + mac + signature).ljust(bucket, b"\0")


def hand_built_entry(scene: Scene, body_bytes: bytes, seq: int = 0) -> bytes:
    """A room entry straight from the §7 layout, for bodies the writer refuses."""
    nonce = nacl.utils.random(24)
    header = b"\x01" + scene.alice.identity.verify_key.encode() + seq.to_bytes(8, "big")
    header += bytes(32) + nonce
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        body_bytes, b"parley-entry-v1" + header, nonce, scene.room.message_key
    )
    unsigned = header + len(ciphertext).to_bytes(4, "big") + ciphertext
    signed = b"parley-entry-sig-v1" + scene.room.discovery_key + unsigned
    return unsigned + scene.alice.identity.sign(signed).signature
