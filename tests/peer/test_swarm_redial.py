"""The Python swarm dials a failed link again, and not once it is stopping
(docs/protocol.md §6, "Dialling again"). Real aiortc links, a stand-in server."""

import asyncio

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from nacl.public import PrivateKey
from nacl.signing import SigningKey

import parley_peer.swarm as swarm_module
from parley_peer.encoding import b64url_encode
from parley_peer.envelope import open_envelope, seal_envelope
from parley_peer.keys import derive_room_keys
from parley_peer.replay import ReplayGuard
from parley_peer.swarm import RoomSwarm

REMOTE_KEY = b"\xff" * 32  # sorts after any key we draw: this end is the one that dials
WAIT_S = 10.0


class StandInSignaling:
    """What a RoomSwarm asks of its SignalingClient; `leave` waits until let go."""

    def __init__(self) -> None:
        self.connection_key = PrivateKey.generate()
        self.public_key = self.connection_key.public_key.encode()
        self.closed = asyncio.Event()
        self.listeners = []
        self.signals: list[str] = []  # the connection ids signalled
        self.blobs: list[tuple[str, str]] = []  # (to, blob) of each signal
        self.leaving = asyncio.Event()
        self.may_leave = asyncio.Event()
        self.changed = asyncio.Event()  # a signal went out, or a peer changed

    def add_listener(self, listener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener) -> None:
        self.listeners.remove(listener)

    async def join(self, topic: bytes) -> None:
        pass

    async def leave(self, topic: bytes) -> None:
        self.leaving.set()
        await self.may_leave.wait()

    async def signal(self, topic: bytes, to: str, blob: str) -> bool:
        self.signals.append(to)
        self.blobs.append((to, blob))
        self.changed.set()
        return True


@pytest.fixture
def swarm(monkeypatch):
    monkeypatch.setattr(swarm_module, "redial_delay_s", lambda attempts: 0.05)
    keys = derive_room_keys(b"\x01" * 32)
    signaling = StandInSignaling()
    assert signaling.public_key < REMOTE_KEY
    made = RoomSwarm(
        keys=keys,
        identity=SigningKey.generate(),
        signaling=signaling,
        replay_guard=ReplayGuard(),
        on_peer=lambda peer: signaling.changed.set(),
    )
    made.signaling_stand_in = signaling
    return made


async def announce_and_dial(swarm: RoomSwarm):
    await swarm.start()
    peer = {"id": "remote", "key": b64url_encode(REMOTE_KEY)}
    for listener in swarm.signaling_stand_in.listeners:
        listener({"type": "peers", "topic": swarm.topic, "peers": [peer]})
    link = swarm.peers["remote"].link
    await wait_until(swarm, lambda: swarm.signaling_stand_in.signals)  # the offer went out
    return link


async def wait_until(swarm: RoomSwarm, predicate) -> None:
    changed = swarm.signaling_stand_in.changed
    async with asyncio.timeout(WAIT_S):
        while not predicate():
            changed.clear()
            await changed.wait()


def signal_from_remote(swarm: RoomSwarm, identity: SigningKey, payload: dict) -> None:
    blob = seal_envelope(
        identity=identity,
        sender_connection_key=REMOTE_KEY,
        recipient_connection_key=swarm.signaling_stand_in.public_key,
        topic=swarm.keys.discovery_key,
        membership_key=swarm.keys.membership_key,
        payload=payload,
    )
    for listener in swarm.signaling_stand_in.listeners:
        listener({"type": "signal", "topic": swarm.topic, "from": "remote", "blob": blob})


async def stop(swarm: RoomSwarm) -> None:
    swarm.signaling_stand_in.may_leave.set()
    await swarm.stop()


async def test_a_link_that_fails_is_dialled_again_with_a_new_offer(swarm):
    first = await announce_and_dial(swarm)
    offers = len(swarm.signaling_stand_in.signals)
    await first.close("connection_failed")
    await wait_until(swarm, lambda: "remote" in swarm.peers)
    again = swarm.peers["remote"].link
    assert again is not first and again.initiator
    await wait_until(swarm, lambda: len(swarm.signaling_stand_in.signals) > offers)
    await stop(swarm)


async def test_a_link_that_fails_while_the_swarm_stops_is_not_dialled_again(swarm):
    first = await announce_and_dial(swarm)
    stopping = asyncio.create_task(swarm.stop())
    await swarm.signaling_stand_in.leaving.wait()  # stop() waits on the server here
    offers = len(swarm.signaling_stand_in.signals)
    await first.close("connection_failed")
    await asyncio.sleep(0.3)  # six times the redial delay
    assert swarm.peers == {}
    assert len(swarm.signaling_stand_in.signals) == offers
    swarm.signaling_stand_in.may_leave.set()
    await stopping


async def test_an_offer_that_meets_our_unanswered_dial_is_answered_by_a_new_link(swarm):
    """Both ends dialled at once: the remote (impolite) keeps its offer; this end (polite)
    cannot roll its own back as a browser would, so it gives its dial up and answers."""
    ours = await announce_and_dial(swarm)
    dialling = swarm.peers["remote"]
    offers = len(swarm.signaling_stand_in.signals)
    theirs = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        theirs.createDataChannel("parley")
        await theirs.setLocalDescription(await theirs.createOffer())
        description = {"type": "offer", "sdp": theirs.localDescription.sdp}
        signal_from_remote(swarm, SigningKey.generate(), {"description": description})
        await wait_until(swarm, lambda: swarm.peers["remote"].link is not ours)
        answering = swarm.peers["remote"].link
        assert (dialling.state, dialling.reason) == ("closed", "redialled")
        async with asyncio.timeout(WAIT_S):  # its close runs as a task of the swarm's
            await asyncio.gather(*swarm._tasks)
        assert ours.closed_reason == "redialled"
        assert not answering.initiator
        await wait_until(swarm, lambda: len(swarm.signaling_stand_in.signals) > offers)
        assert answering.pc.localDescription.type == "answer"
    finally:
        await theirs.close()
        await stop(swarm)


async def test_a_dial_the_other_end_gives_up_with_a_bye_is_closed_and_not_dialled_again(swarm):
    """A browser at its high mark sheds a link still being set up with a `bye` signal
    (§6, big rooms): the dial ends as pruned, with no redial."""
    ours = await announce_and_dial(swarm)
    offers = len(swarm.signaling_stand_in.signals)
    signal_from_remote(swarm, SigningKey.generate(), {"bye": "pruned"})
    async with asyncio.timeout(WAIT_S):
        await asyncio.gather(*swarm._tasks)
    assert ours.closed_reason == "pruned"
    await asyncio.sleep(0.3)  # six times the redial delay
    assert "remote" not in swarm.peers
    assert len(swarm.signaling_stand_in.signals) == offers
    await stop(swarm)


async def test_envelopes_of_one_connection_signed_by_another_identity_close_its_link(swarm):
    """§4 check 13: the first envelope names the peer; one signed by someone else after
    it closes the link (identity_changed) and is reported."""
    ours = await announce_and_dial(swarm)
    rejected = []
    swarm._on_rejected = rejected.append
    signal_from_remote(swarm, SigningKey.generate(), {"candidate": None})
    assert swarm.peers["remote"].identity is not None
    signal_from_remote(swarm, SigningKey.generate(), {"candidate": None})
    async with asyncio.timeout(WAIT_S):
        await asyncio.gather(*swarm._tasks)
    assert ours.closed_reason == "identity_changed"
    assert [r.code for r in rejected] == ["identity_changed"]
    await stop(swarm)


async def test_a_signal_the_server_could_not_deliver_forgets_that_connection(swarm):
    ours = await announce_and_dial(swarm)
    for listener in swarm.signaling_stand_in.listeners:
        error = {"type": "error", "code": "unreachable", "ref": "signal", "message": "x"}
        listener({**error, "topic": swarm.topic, "to": "remote"})
    async with asyncio.timeout(WAIT_S):
        await asyncio.gather(*swarm._tasks)
    assert ours.closed_reason == "left"
    assert "remote" not in swarm.announced
    await stop(swarm)


async def test_the_connections_it_knows_are_bounded_and_the_oldest_unlinked_make_way(swarm):
    await announce_and_dial(swarm)  # "remote" has a link
    listener = swarm.signaling_stand_in.listeners[0]
    for n in range(swarm_module.MAX_ANNOUNCED + 10):
        peer = {"id": f"c{n}", "key": b64url_encode(bytes([n % 256]) * 32)}
        listener({"type": "joined", "topic": swarm.topic, "peer": peer})
    assert len(swarm.announced) == swarm_module.MAX_ANNOUNCED
    assert "remote" in swarm.announced and "c0" not in swarm.announced
    assert f"c{swarm_module.MAX_ANNOUNCED + 9}" in swarm.announced
    await stop(swarm)


async def test_at_its_link_limit_it_declines_an_offer_with_a_bye(swarm, monkeypatch):
    """A peer with all the links it keeps (a mirror in a big room) tells the dialler,
    rather than leave it to time out (§6, big rooms); a candidate gets no answer."""
    monkeypatch.setattr(swarm_module, "MAX_LINKS", 0)
    await swarm.start()
    full = PrivateKey.generate()
    full_key = full.public_key.encode()

    def signal(payload: dict) -> None:
        blob = seal_envelope(
            identity=SigningKey.generate(),
            sender_connection_key=full_key,
            recipient_connection_key=swarm.signaling_stand_in.public_key,
            topic=swarm.keys.discovery_key,
            membership_key=swarm.keys.membership_key,
            payload=payload,
        )
        frame = {
            "type": "signal",
            "topic": swarm.topic,
            "from": "full",
            "key": b64url_encode(full_key),
        }
        for listener in swarm.signaling_stand_in.listeners:
            listener({**frame, "blob": blob})

    signal({"candidate": None})
    signal({"description": {"type": "offer", "sdp": "v=0\r\n"}})
    async with asyncio.timeout(WAIT_S):
        await asyncio.gather(*swarm._tasks)
    assert "full" not in swarm.peers
    [(to, blob)] = swarm.signaling_stand_in.blobs
    opened = open_envelope(
        blob,
        connection_key=full,
        topic=swarm.keys.discovery_key,
        expected_sender_connection_key=swarm.signaling_stand_in.public_key,
        membership_key=swarm.keys.membership_key,
        replay_guard=ReplayGuard(),
    )
    assert (to, opened.payload) == ("full", {"bye": "pruned"})
    await stop(swarm)
