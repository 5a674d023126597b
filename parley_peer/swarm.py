"""RoomSwarm: the peer links of one room, as static/app/peers/room-swarm.js has them.

It turns the rendezvous server's topic events into PeerLinks, seals every outgoing
signal to the peer's connection key and opens every incoming one with all the checks of
docs/protocol.md §4 (1-12 in ``parley_peer.envelope``, 13 and the topic here). The joiner
(a peer that arrives in a `peers` frame) gets ``initiator=True``: it makes the `parley`
channel and the first offer. Polite means our connection key is the smaller one.

A peer is *ready* once its `hello` carried a valid link proof (§6, link authentication);
only then do its frames reach ``on_frame``. With ``send_hello=False`` the swarm does not
greet: the owner sends its own (``hello_frame(peer)`` builds an honest one).

A link that fails while its peer is still in the room is dialled again by one of the two
ends, as in the browser (``parley_peer.redial``). A side channel the peer opens
(`parley-file`, §11) is held by its link and announced to ``on_side_channel(peer,
label)``; the owner takes it (``peer.link.take_channel``) once the peer is ready.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from nacl.signing import SigningKey

from parley_peer.encoding import b64url_decode, b64url_encode, dump_json_utf8
from parley_peer.envelope import EnvelopeError, open_envelope, seal_envelope
from parley_peer.errors import EncodingError
from parley_peer.ice import IceConfig
from parley_peer.keys import LinkKeys, identity_id
from parley_peer.link_proof import sign_link_proof, verify_link_proof
from parley_peer.redial import (
    RedialTimers,
    dialled_at_once,
    dials_again,
    is_fresh_offer,
    redial_delay_s,
    should_redial,
)
from parley_peer.replay import ReplayGuard
from parley_peer.signaling import SignalingClient
from parley_peer.webrtc import PeerLink

MAX_LINKS = 48  # a bounded, partial mesh however big the room is (§6)
MAX_FROM_PEERS_FRAME = 32
MAX_ANNOUNCED = 256
# Topic events held while the ICE servers are asked for: a `peers` answer, and the
# joins and signals of a few seconds; more is a server flooding us, and is dropped.
MAX_HELD_EVENTS = 256
logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Peer:
    """One remote connection in the room."""

    connection_id: str
    connection_key: bytes
    local_connection_key: bytes
    link: PeerLink | None = None
    identity: bytes | None = None  # Ed25519 key from its first verified envelope
    name: str | None = None  # from its `hello` frame
    role: str | None = None  # its hello's `role`: "mirror" for a blind mirror (§12)
    state: str = "connecting"  # connecting | ready | closed
    reason: str | None = None  # why it closed
    last_signal_at: int = 0  # the newest envelope timestamp this link accepted (ms)

    @property
    def identity_id(self) -> str | None:
        return identity_id(self.identity) if self.identity else None


@dataclass(frozen=True)
class Rejection:
    """An envelope or data frame we dropped, with its reason code."""

    connection_id: str
    code: str
    identity: bytes | None = None


class RoomSwarm:
    def __init__(
        self,
        *,
        keys: LinkKeys,
        identity: SigningKey,
        signaling: SignalingClient,
        replay_guard: ReplayGuard,
        on_peer: Callable[[Peer], None] = lambda peer: None,
        on_frame: Callable[[Peer, dict], None] = lambda peer, frame: None,
        on_rejected: Callable[[Rejection], None] = lambda rejection: None,
        on_side_channel: Callable[[Peer, str], None] = lambda peer, label: None,
        local_name: Callable[[], str] = lambda: "",
        send_hello: bool = True,
        resolve_mdns: bool = False,
        ice: IceConfig | None = None,
        role: str | None = None,
    ) -> None:
        self.keys, self.identity, self.signaling = keys, identity, signaling
        self.replay_guard = replay_guard
        self.topic = b64url_encode(keys.discovery_key)
        self.peers: dict[str, Peer] = {}  # connection id -> peer
        self.announced: dict[str, bytes] = {}  # connection id -> key, from peers/joined
        self._on_peer, self._on_frame, self._on_rejected = on_peer, on_frame, on_rejected
        self._on_side_channel = on_side_channel
        self.local_name, self.send_hello = local_name, send_hello
        self.role = role  # our hello's `role`: "mirror" in a blind mirror (§12)
        self.resolve_mdns = resolve_mdns
        # The ICE servers every link is made with; None: none (a test of the swarm alone).
        self.ice = ice
        # Events of the topic that came before the ICE servers did (start()), bounded.
        self._held_events: list[dict] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._redials = RedialTimers()
        self._stopped = False

    async def start(self) -> None:
        """Join the topic; with `ice`, ask for the ICE servers before any link is made
        (protocol §3): the `peers` answer and whatever else comes meanwhile wait (<= 5 s)."""
        self.signaling.add_listener(self._on_event)
        if self.ice is None:
            await self.signaling.join(self.keys.discovery_key)
            return
        self._held_events = []
        await self.signaling.join(self.keys.discovery_key)
        await self.ice.refresh()
        held, self._held_events = self._held_events, None
        for frame in held:
            self._on_event(frame)
        self.ice.start_renewal()

    async def stop(self) -> None:
        self._stopped = True  # links that close on their own while we wait are not redialled
        self.signaling.remove_listener(self._on_event)
        if self.ice is not None:
            await self.ice.stop()
        self._redials.forget_all()
        if not self.signaling.closed.is_set():
            await self.signaling.leave(self.keys.discovery_key)
        for peer in list(self.peers.values()):
            try:
                await peer.link.close("left")
            except Exception:  # one link failing to close must not keep the others open
                logger.exception("closing the link to %s failed", peer.connection_id)
        for task in list(self._tasks):
            task.cancel()

    def ready_peers(self) -> list[Peer]:
        return [peer for peer in self.peers.values() if peer.state == "ready"]

    # Server events.

    def _on_event(self, frame: dict) -> None:
        if frame.get("topic") != self.topic:
            return
        if self._held_events is not None:
            if len(self._held_events) < MAX_HELD_EVENTS:
                self._held_events.append(frame)
            return
        kind = frame["type"]
        if kind == "peers":
            for announced in frame.get("peers", [])[:MAX_FROM_PEERS_FRAME]:
                if self._announce(announced):
                    self._link(announced["id"], initiator=True)
        elif kind == "joined":
            self._announce(frame.get("peer"))
        elif kind == "left":
            self._gone(frame.get("id"))
        elif (
            kind == "error" and frame.get("code") == "unreachable" and frame.get("ref") == "signal"
        ):
            # In a big topic not every member is told of a leave (§3): this says the same.
            self._gone(frame.get("to"))
        elif kind == "signal":
            # The server names the sender's key: in a big topic, a member may be dialled by
            # one it was never told of (§3).
            if frame.get("from") not in self.announced:
                self._announce({"id": frame.get("from"), "key": frame.get("key")})
            self._on_signal(frame.get("from"), frame.get("blob"))

    def _gone(self, connection_id: object) -> None:
        self.announced.pop(connection_id, None)  # type: ignore[arg-type]
        self._redials.forget(connection_id)  # type: ignore[arg-type]
        peer = self.peers.get(connection_id)  # type: ignore[arg-type]
        # A link that is up does not need the server any more; one still negotiating does.
        if peer is not None and peer.state != "ready":
            self._spawn(peer.link.close("left"))

    def _announce(self, announced: object) -> bool:
        try:
            connection_id, key = announced["id"], announced["key"]  # type: ignore[index]
            key_bytes = b64url_decode(key, 32)
        except (TypeError, KeyError, EncodingError):
            return False  # a server that announces a malformed peer gets no link for it
        if not isinstance(connection_id, str):
            return False
        if len(self.announced) >= MAX_ANNOUNCED and connection_id not in self.announced:
            # Bounded, however many peers a server makes up; in a big topic not every
            # leave is told (§3), so the oldest connection without a link makes way.
            stale = next((c for c in self.announced if c not in self.peers), None)
            if stale is None:
                return False
            del self.announced[stale]
        self.announced[connection_id] = key_bytes
        return True

    def _link(self, connection_id: str, *, initiator: bool) -> Peer | None:
        key = self.announced.get(connection_id)
        if key is None or connection_id in self.peers:
            return self.peers.get(connection_id)
        if len(self.peers) >= MAX_LINKS:
            return None
        own_key = self.signaling.public_key
        peer = Peer(connection_id=connection_id, connection_key=key, local_connection_key=own_key)
        peer.link = PeerLink(
            polite=own_key < key,
            initiator=initiator,
            on_signal=lambda payload: self._send_signal(peer, payload),
            on_open=lambda: self._on_open(peer),
            on_frame=lambda frame: self._on_link_frame(peer, frame),
            on_bad_frame=lambda code: self._reject(connection_id, code, peer),
            on_closed=lambda reason: self._closed(peer, reason),
            on_side_channel=lambda label: self._on_side_channel(peer, label),
            resolve_mdns=self.resolve_mdns,
            configuration=self.ice.rtc_configuration() if self.ice is not None else None,
        )
        self.peers[connection_id] = peer
        peer.link.start()
        self._on_peer(peer)
        return peer

    async def _send_signal(self, peer: Peer, payload: dict) -> None:
        try:
            blob = seal_envelope(
                identity=self.identity,
                sender_connection_key=peer.local_connection_key,
                recipient_connection_key=peer.connection_key,
                topic=self.keys.discovery_key,
                membership_key=self.keys.membership_key,
                payload=payload,
            )
        except EnvelopeError:
            await peer.link.close("signal_too_large")
            return
        await self.signaling.signal(self.keys.discovery_key, peer.connection_id, blob)

    async def _decline(self, connection_id: str, key: bytes) -> None:
        """Give up a link before it exists (§6, big rooms): it neither waits nor redials."""
        blob = seal_envelope(
            identity=self.identity,
            sender_connection_key=self.signaling.public_key,
            recipient_connection_key=key,
            topic=self.keys.discovery_key,
            membership_key=self.keys.membership_key,
            payload={"bye": "pruned"},
        )
        await self.signaling.signal(self.keys.discovery_key, connection_id, blob)

    def _on_signal(self, sender: object, blob: object) -> None:
        expected_key = self.announced.get(sender) if isinstance(sender, str) else None
        if expected_key is None:
            return self._reject(str(sender), "wrong_sender")
        try:
            envelope = open_envelope(
                blob,  # type: ignore[arg-type]  (check 1 rejects a non-string)
                connection_key=self.signaling.connection_key,
                topic=self.keys.discovery_key,
                expected_sender_connection_key=expected_key,
                membership_key=self.keys.membership_key,
                replay_guard=self.replay_guard,
            )
        except EnvelopeError as error:
            return self._reject(sender, error.code)
        if envelope.sender_identity == self.identity.verify_key.encode():
            return  # our own identity on another connection: ignored (§6)
        peer = self.peers.get(sender)
        if "bye" in envelope.payload:  # it gives up the link being set up (§6, big rooms)
            self._redials.forget(sender)  # its channel may have closed first: no redial either
            if peer is not None and peer.identity in (None, envelope.sender_identity):
                self._spawn(peer.link.close("pruned"))
            return None
        if peer is not None and peer.identity not in (None, envelope.sender_identity):
            self._spawn(peer.link.close("identity_changed"))
            return self._reject(sender, "identity_changed", peer)
        if peer is not None and is_fresh_offer(envelope.payload, peer.link.verified_remote_sdp):
            # The other end dialled again, unless this offer is older than what the link has
            # already heard (held back by the server, from an earlier dial): then it is void.
            if envelope.timestamp <= peer.last_signal_at:
                return None
            self._retire(peer, "redialled")  # a new link answers it
            peer = None
        elif peer is not None and dialled_at_once(
            envelope.payload,
            polite=peer.link.polite,
            initiator=peer.link.initiator,
            remote_sdp=peer.link.verified_remote_sdp,
        ):
            self._retire(peer, "redialled")  # our unanswered dial gives way; a new link answers
            peer = None
        peer = peer or self._link(sender, initiator=False)
        if peer is None:  # at the link limit: the dialler is told, not left to time out
            offer = envelope.payload.get("description", {}).get("type") == "offer"
            if offer:
                self._spawn(self._decline(sender, expected_key))
            return None
        if peer.identity is None:
            peer.identity = envelope.sender_identity
            self._on_peer(peer)
        peer.last_signal_at = max(peer.last_signal_at, envelope.timestamp)
        peer.link.signal(envelope.payload)

    # Link authentication (§6).

    def hello_frame(self, peer: Peer) -> dict:
        proof = sign_link_proof(
            self.identity,
            self.keys.discovery_key,
            peer.link.local_fingerprint,
            peer.link.remote_fingerprint,
        )
        hello = {"t": "hello", "v": 1, "name": self.local_name(), "proof": b64url_encode(proof)}
        return {**hello, "role": self.role} if self.role else hello

    def _on_open(self, peer: Peer) -> None:
        if self.send_hello:
            hello = dump_json_utf8(self.hello_frame(peer)).decode()
            if not peer.link.send_text(hello):
                # Without it the peer would refuse our next frame.
                return self._spawn(peer.link.close("negotiation_failed"))
        self._on_peer(peer)

    def _on_link_frame(self, peer: Peer, frame: dict) -> None:
        if peer.state == "closed":
            return  # a link given up at this end (lose) that is still up at the other
        if peer.state == "ready":
            if frame["t"] == "hello":
                return self._reject(peer.connection_id, "malformed", peer)
            if frame["t"] == "sdp" and frame["type"] == "offer":
                # The peer restarts ICE or adds media (§6), which aiortc cannot follow on a
                # live link: a new link, dialled now, comes up with the peer's new servers.
                return self.dial_afresh(peer, "renegotiation")
            if frame["t"] in ("sdp", "ice"):
                return None  # the rest of a renegotiation we do not take part in
            if (
                frame["t"] == "bye"
            ):  # another device of ours, or too many links: not dialled again (§6)
                reason = "superseded" if frame["reason"] == "duplicate" else "pruned"
                return self._spawn(peer.link.close(reason))
            return self._on_frame(peer, frame)
        # Until the peer's hello proves its identity, nothing else it sends counts.
        if frame["t"] != "hello" or peer.identity is None:
            return self._spawn(peer.link.close("unauthenticated"))
        valid = verify_link_proof(
            b64url_decode(frame["proof"], 64),
            peer.identity,
            self.keys.discovery_key,
            peer.link.local_fingerprint,
            peer.link.remote_fingerprint,
        )
        if not valid:
            return self._spawn(peer.link.close("bad_link_proof"))
        peer.name = frame["name"].strip() or None
        peer.role = frame.get("role")
        peer.link.authenticated()
        self._redials.forget(peer.connection_id)
        self._retire_twins(peer)
        self._set_state(peer, "ready")
        self._on_frame(peer, frame)

    def dial_afresh(self, peer: Peer, reason: str) -> None:
        """Replace a ready link with a new one that we dial at once (aiortc cannot
        renegotiate a live link). The other end takes the new offer for a redial (its
        certificate is new, §6) and lets the old link go."""
        if self._stopped or peer.state != "ready":
            return
        # Only if a new link can be dialled: the peer still announced (it may have left the
        # server while its link stays up), our server connection up. Else keep this one.
        if peer.connection_id not in self.announced or self.signaling.closed.is_set():
            return
        self._retire(peer, reason)
        self._link(peer.connection_id, initiator=True)

    def _retire_twins(self, peer: Peer) -> None:
        """Two ready links to one identity: the newest wins, on both ends alike (§6, as in
        room-swarm.js); the older one is usually dead without knowing it yet."""
        for other in self.ready_peers():
            if other is not peer and other.identity == peer.identity:
                self._spawn(other.link.close("duplicate"))

    def _reject(self, connection_id: str, code: str, peer: Peer | None = None) -> None:
        peer = peer or self.peers.get(connection_id)
        logger.info("rejected from %s: %s", connection_id, code)
        self._on_rejected(Rejection(connection_id, code, peer.identity if peer else None))

    def _closed(self, peer: Peer, reason: str) -> None:
        if peer.state == "closed":
            return  # retired already (_retire)
        if self.peers.get(peer.connection_id) is peer:
            del self.peers[peer.connection_id]
        self._set_state(peer, "closed", reason)
        self._maybe_redial(peer, reason)

    def lose(self, peer: Peer, reason: str) -> None:
        """Count a link closed for ``reason`` at this end only, leaving its peer connection
        up (what a crashed process leaves behind; for tests of the other end)."""
        self._closed(peer, reason)

    def _retire(self, peer: Peer, reason: str) -> None:
        """Close a link that a new one replaces: it is gone from the swarm at once."""
        self._closed(peer, reason)
        self._spawn(peer.link.close(reason))

    # Dialling again (§6).

    def _maybe_redial(self, peer: Peer, reason: str) -> None:
        connection_id = peer.connection_id
        if self._stopped:
            return
        attempts = self._redials.attempts(connection_id)
        twin_ready = peer.identity is not None and any(
            other.identity == peer.identity for other in self.ready_peers() if other is not peer
        )
        redial = should_redial(
            reason=reason,
            we_dial=dials_again(peer.local_connection_key, peer.connection_key),
            announced=connection_id in self.announced,
            twin_ready=twin_ready,
            attempts=attempts,
        )
        if redial:
            self._redials.schedule(connection_id, redial_delay_s(attempts), self._redial)

    def _redial(self, connection_id: str) -> None:
        if self._stopped:
            return
        if connection_id in self.announced and connection_id not in self.peers:
            self._link(connection_id, initiator=True)

    def _set_state(self, peer: Peer, state: str, reason: str | None = None) -> None:
        peer.state, peer.reason = state, reason
        self._on_peer(peer)

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
