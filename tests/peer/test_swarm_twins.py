"""Two ready links to one identity (docs/protocol.md §6): the newest wins, in the Python
swarm as in the browser's (room-swarm.js #retireTwins), so the two ends of a pair never
each keep a different link and lose both."""

import asyncio

from nacl.signing import SigningKey

from parley_peer.encoding import b64url_encode
from parley_peer.keys import derive_room_keys
from parley_peer.link_proof import sign_link_proof
from parley_peer.replay import ReplayGuard
from parley_peer.swarm import Peer, RoomSwarm

LOCAL_FP, REMOTE_FP = "aa" * 32, "bb" * 32


class StandInLink:
    """What the swarm's hello handling asks of a PeerLink."""

    def __init__(self) -> None:
        self.local_fingerprint, self.remote_fingerprint = LOCAL_FP, REMOTE_FP
        self.closed_reason: str | None = None
        self.is_authenticated = False

    def authenticated(self) -> None:
        self.is_authenticated = True

    async def close(self, reason: str) -> None:
        self.closed_reason = self.closed_reason or reason


def a_peer(connection_id: str, identity: bytes, connection_key: bytes, state: str) -> Peer:
    peer = Peer(connection_id, connection_key, local_connection_key=b"\x80" * 32)
    peer.link, peer.identity, peer.state = StandInLink(), identity, state  # type: ignore[assignment]
    return peer


async def test_the_newer_link_to_an_identity_wins_whichever_keys_sort_first():
    keys = derive_room_keys(b"\x02" * 32)
    swarm = RoomSwarm(
        keys=keys, identity=SigningKey.generate(), signaling=None, replay_guard=ReplayGuard()
    )  # type: ignore[arg-type]
    bob = SigningKey.generate()
    bob_key = bob.verify_key.encode()
    # Both orders of the connection keys: the rule must not depend on them.
    for old_key, new_key in [(b"\x01" * 32, b"\xfe" * 32), (b"\xfe" * 32, b"\x01" * 32)]:
        older = a_peer("old", bob_key, old_key, "ready")
        newer = a_peer("new", bob_key, new_key, "connecting")
        swarm.peers = {"old": older, "new": newer}
        proof = sign_link_proof(bob, keys.discovery_key, REMOTE_FP, LOCAL_FP)
        hello = {"t": "hello", "v": 1, "name": "Bob", "proof": b64url_encode(proof)}
        swarm._on_link_frame(newer, hello)
        await asyncio.gather(*swarm._tasks)
        assert newer.state == "ready" and newer.link.is_authenticated
        assert newer.link.closed_reason is None
        assert older.link.closed_reason == "duplicate"


async def test_a_bye_closes_the_link_as_superseded():
    keys = derive_room_keys(b"\x02" * 32)
    swarm = RoomSwarm(
        keys=keys, identity=SigningKey.generate(), signaling=None, replay_guard=ReplayGuard()
    )  # type: ignore[arg-type]
    carol = a_peer("carol", SigningKey.generate().verify_key.encode(), b"\x01" * 32, "ready")
    swarm.peers = {"carol": carol}
    swarm._on_link_frame(carol, {"t": "bye", "reason": "duplicate"})
    await asyncio.gather(*swarm._tasks)
    assert carol.link.closed_reason == "superseded"
