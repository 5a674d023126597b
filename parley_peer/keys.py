"""Room keys and identity encodings (docs/protocol.md §2).

Clients derive these; changing a context string forks the network.
"""

from dataclasses import dataclass, replace
from typing import Protocol

import nacl.hashlib
import nacl.utils

from parley_peer.encoding import b64url_decode, b64url_encode

ROOM_SECRET_BYTES = 32
KEY_BYTES = 32
_SUBKEY_SALT = (1).to_bytes(8, "little") + bytes(8)

ROOM_KEY_CONTEXTS = {
    "discovery_key": b"prldisco",
    "message_key": b"prlmsgky",
    "membership_key": b"prlmembr",
    "mirror_key": b"prlmirro",
    "control_key": b"prlcntrl",
}
_FOUNDED_ROOM_CONTEXT = b"parley-founded-room-v1"
_FOUNDED_TOPIC_CONTEXT = b"parley-founded-topic-v1"
_COMMITMENT_CONTEXT = b"prlcommt"

_FINGERPRINT_PREFIX = b"parley-fingerprint-v1"


@dataclass(frozen=True)
class RoomKeys:
    discovery_key: bytes
    message_key: bytes
    membership_key: bytes
    mirror_key: bytes
    control_key: bytes


class LinkKeys(Protocol):
    """What linking to a room's members takes (§4, §6): RoomKeys, or the capability of a
    blind mirror (§12), which has nothing more."""

    @property
    def discovery_key(self) -> bytes: ...

    @property
    def membership_key(self) -> bytes: ...


def new_room_secret() -> bytes:
    return nacl.utils.random(ROOM_SECRET_BYTES)


def _derive(secret: bytes, context: bytes) -> bytes:
    return nacl.hashlib.blake2b(
        b"", digest_size=KEY_BYTES, key=secret, salt=_SUBKEY_SALT, person=context + bytes(8)
    ).digest()


def founded_room_secret(invite_secret: bytes, founder: bytes) -> bytes:
    """The secret a founded room's keys come from (§2 "Founded rooms"): the invite's,
    bound to the founder's identity key."""
    if len(invite_secret) != ROOM_SECRET_BYTES or len(founder) != KEY_BYTES:
        raise TypeError("a 32-byte invite secret and a 32-byte founder key")
    return nacl.hashlib.blake2b(
        _FOUNDED_ROOM_CONTEXT + founder, digest_size=KEY_BYTES, key=invite_secret
    ).digest()


def founded_topic(founder: bytes, commitment: bytes) -> bytes:
    """A founded room's topic: what a mirror checks the founder it is told against."""
    return nacl.hashlib.blake2b(
        _FOUNDED_TOPIC_CONTEXT + founder + commitment, digest_size=KEY_BYTES
    ).digest()


def founded_room_keys(invite_secret: bytes, founder: bytes) -> tuple[RoomKeys, bytes]:
    """A founded room's keys (§2) and its commitment: every key from the bound secret but
    the topic, a hash of the founder and the commitment."""
    secret = founded_room_secret(invite_secret, founder)
    commitment = _derive(secret, _COMMITMENT_CONTEXT)
    keys = derive_room_keys(secret)
    return replace(keys, discovery_key=founded_topic(founder, commitment)), commitment


def derive_room_keys(secret: bytes) -> RoomKeys:
    if not isinstance(secret, bytes) or len(secret) != ROOM_SECRET_BYTES:
        raise TypeError("room secret must be 32 bytes")
    return RoomKeys(**{name: _derive(secret, ctx) for name, ctx in ROOM_KEY_CONTEXTS.items()})


def identity_id(public_key: bytes) -> str:
    if len(public_key) != KEY_BYTES:
        raise TypeError("identity public key must be 32 bytes")
    return b64url_encode(public_key)


def parse_identity_id(text: str) -> bytes:
    return b64url_decode(text, KEY_BYTES)


def safety_fingerprint(public_key: bytes) -> str:
    """Six groups of five digits: 40-bit big-endian slices of the digest, modulo 100000."""
    if len(public_key) != KEY_BYTES:
        raise TypeError("identity public key must be 32 bytes")
    digest = nacl.hashlib.blake2b(_FINGERPRINT_PREFIX + public_key, digest_size=32).digest()
    groups = (int.from_bytes(digest[5 * i : 5 * i + 5], "big") % 100000 for i in range(6))
    return " ".join(f"{group:05d}" for group in groups)
