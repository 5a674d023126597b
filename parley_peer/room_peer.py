"""A Python member of a Parley room that talks to real browsers over WebRTC.

Async API (one event loop)::

    peer = RoomPeer("http://127.0.0.1:8000", invite_link_or_room_secret, "Mallory")
    await peer.start()                          # rendezvous, hello, join the room's topic
    [bob] = await peer.wait_ready(count=1)      # certificate checked, link proof verified
    who, frame = await peer.next_frame("hello") # frames that passed §6/§8 schema checks
    entry = peer.make_entry(peer.message_body("hi", clock=1), seq=0)   # a SignedEntry
    await peer.send_entries([entry.data])       # {"t": "entries", ...} to every ready link
    await peer.send_frame({"t": "entry", "entry": "..."})  # anything, unchecked
    await peer.close()

Sync facade for code that already runs an event loop of its own, such as Playwright's
sync API (the peer gets a daemon thread with its own loop; every call blocks, with a
timeout)::

    from parley_peer.room_peer_thread import RoomPeerThread

    with RoomPeerThread(server_url, invite_link, "Mallory") as peer:   # starts it
        peer.wait_ready(timeout=20)
        peer.send_entries([peer.make_entry(body, seq=0).data])
        who, frame = peer.next_frame("ack", timeout=10)

Both have ``identity`` (the nacl SigningKey), ``identity_id``, ``room_keys`` (RoomKeys),
``peers``, ``rejections`` (envelopes and frames we dropped, with their reason codes),
``closed_peers`` (links that closed, each with its ``reason``),
``make_entry(body, seq, prev, expires=None)``, ``open_entry(data)`` and
``message_body(text, clock)``; ``open_entry`` finds a stub (§7 "Disappearing messages")
``undecryptable``, as the browser does.
``make_entry`` signs whatever body the schema of ``parley_peer.entry`` accepts, for any
seq and prev, so a test can build forks and broken chains; tampering with the bytes is
the caller's business. The peer answers nothing but `hello`: it keeps no log, sends no
`heads` and no `ack`, so what a browser receives is exactly what the test sends.
``await fetch_log()`` copies a browser's history (to learn a `file` offer's root and
key, or to relay it with ``send_entries``).

Files (§11): ``hold_file(data, key, corrupt={index: "ciphertext" | "proof"})`` makes it
serve that file's chunks on a ``parley-file`` channel of every ready link (damaging the
chosen ones), see ``parley_peer.file_server``; the returned HeldFile counts what was
asked and sent. Until the first ``hold_file`` it opens no file channel.
``await file_barrier(peer, held)`` returns once every message ``peer`` sent on its file
channel before it read our probe has been read here, so ``held.asked`` then holds every
chunk that peer asked for until then (an ordered channel, not a quiet spell, decides).
With ``send_hello=False`` it does not even greet (a browser then closes the link as
unauthenticated after 20 s); ``hello_frame(peer)`` builds the honest hello with its
link proof, to send as is or altered. ``connection_key`` (a nacl PrivateKey) is used
for the first rendezvous connection instead of a fresh one, so a test can choose which
end of a link sorts first (see ``e2e/connection_keys.py``).

ICE (``parley_peer.ice``): once joined, the peer asks the server for its STUN and TURN
servers (`ice-servers`, §3) before it dials or answers, makes every link with them, and
renews the TURN credential while it has links; ``ice`` holds them. ``relay_only=True``
makes every link go through TURN (aiortc's ``iceTransportPolicy: "relay"``), as the
browser's "Hide my IP address" does. ``role="mirror"`` makes its hello say it is a
blind mirror (§12), as a tampering mirror in a test would.
"""

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from parley_peer.data_frames import MAX_DATA_FRAME_BYTES, MAX_ENTRIES_PER_FRAME
from parley_peer.encoding import b64url_decode, b64url_encode, dump_json_utf8
from parley_peer.entry import CONTROL_TYPES, OpenedEntry, SignedEntry, create_entry, open_entry
from parley_peer.file_server import FileServer, HeldFile
from parley_peer.files import encrypt_file
from parley_peer.ice import IceConfig
from parley_peer.keys import ROOM_SECRET_BYTES, derive_room_keys, founded_room_keys, identity_id
from parley_peer.log_fetch import LoggedEntry, fetch_log
from parley_peer.replay import ReplayGuard
from parley_peer.signaling import SignalingClient
from parley_peer.swarm import Peer, Rejection, RoomSwarm


def parse_room(room: str | bytes) -> tuple[bytes, str | None, bytes | None]:
    """(room secret, room name, founder) from an invite link (§2), a base64url secret or
    raw bytes; the founder of a founded room, else None."""
    if isinstance(room, bytes):
        return room, None, None
    if "#" not in room:
        return b64url_decode(room, ROOM_SECRET_BYTES), None, None
    fragment = parse_qs(urlsplit(room).fragment)
    if "join" not in fragment:
        raise ValueError("not an invite link: no join= in the fragment")
    secret = b64url_decode(fragment["join"][0], ROOM_SECRET_BYTES)
    founder = b64url_decode(fragment["founder"][0], 32) if "founder" in fragment else None
    return secret, fragment.get("name", [None])[0], founder


def entry_frames(entries: Iterable[bytes]) -> list[dict]:
    """§8 `entries` frames: at most 64 entries each, each frame under 65,536 bytes."""
    frames: list[list[str]] = [[]]
    size = len('{"t":"entries","entries":[]}')
    for data in entries:
        encoded = b64url_encode(data)
        if (
            len(frames[-1]) == MAX_ENTRIES_PER_FRAME
            or size + len(encoded) + 3 > MAX_DATA_FRAME_BYTES
        ):
            frames.append([])
            size = len('{"t":"entries","entries":[]}')
        frames[-1].append(encoded)
        size += len(encoded) + 3  # quotes and comma
    return [{"t": "entries", "entries": batch} for batch in frames if batch]


class RoomPeer:
    def __init__(
        self,
        server_url: str,
        room: str | bytes,
        name: str = "Python peer",
        *,
        identity: SigningKey | None = None,
        send_hello: bool = True,
        resolve_mdns: bool = False,
        connection_key: PrivateKey | None = None,
        relay_only: bool = False,
        role: str | None = None,
    ) -> None:
        self.room_secret, self.room_name, self.founder = parse_room(room)
        if self.founder is None:
            self.room_keys = derive_room_keys(self.room_secret)
        else:  # a founded room (§2): its keys come from the secret bound to the founder
            self.room_keys, _ = founded_room_keys(self.room_secret, self.founder)
        self.identity = identity or SigningKey.generate()
        self.name = name
        self.signaling = SignalingClient(server_url, connection_key=connection_key)
        # The server's STUN/TURN servers for every link; relay_only: through TURN alone.
        self.ice = IceConfig(
            self.signaling, has_links=lambda: bool(self._swarm.peers), relay_only=relay_only
        )
        self.frames: asyncio.Queue[tuple[Peer, dict]] = asyncio.Queue()
        self.rejections: list[Rejection] = []
        self.closed_peers: list[Peer] = []  # links that closed, with their `reason`
        self._lost_links: list = []  # given up at this end only (lose_link), still open
        self._changed = asyncio.Event()
        self._started = False
        self.file_server: FileServer | None = None  # from the first hold_file on
        self._swarm = RoomSwarm(
            keys=self.room_keys,
            identity=self.identity,
            signaling=self.signaling,
            replay_guard=ReplayGuard(),
            on_peer=self._on_peer,
            on_frame=self._on_frame,
            on_rejected=self._on_rejected,
            on_side_channel=self._on_side_channel,
            local_name=lambda: self.name,
            send_hello=send_hello,
            resolve_mdns=resolve_mdns,
            ice=self.ice,
            role=role,
        )

    @property
    def identity_id(self) -> str:
        return identity_id(self.identity.verify_key.encode())

    @property
    def peers(self) -> list[Peer]:
        return list(self._swarm.peers.values())

    async def start(self) -> None:
        await self.signaling.connect()
        self._started = True
        await self._swarm.start()

    async def close(self) -> None:
        """Close every link and the rendezvous socket; safe after a failed start."""
        try:
            if self.file_server is not None:
                self.file_server.close()
            if self._started:
                await self._swarm.stop()
            for link in self._lost_links:
                await link.close("left")
        finally:
            await self.signaling.close()

    async def __aenter__(self) -> "RoomPeer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Every wait has a deadline of its own (hence the timeout parameters, against ruff's
    # ASYNC109): this is a test tool, and a link that never comes up must fail a test
    # rather than hang it.

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked on every peer or frame event)."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                self._changed.clear()
                await self._changed.wait()
        return result

    async def wait_ready(self, count: int = 1, timeout: float = 20.0) -> list[Peer]:  # noqa: ASYNC109
        def enough() -> list[Peer] | None:
            ready = self._swarm.ready_peers()
            return ready if len(ready) >= count else None

        return await self.wait_for(enough, timeout)

    async def next_frame(self, t: str | None = None, timeout: float = 10.0) -> tuple[Peer, dict]:  # noqa: ASYNC109
        """The next received frame (of type ``t``, dropping frames of other types)."""
        async with asyncio.timeout(timeout):
            while True:
                peer, frame = await self.frames.get()
                if t is None or frame["t"] == t:
                    return peer, frame

    async def send_raw(self, text: str, peer: Peer | None = None) -> int:
        """Send text as is to ``peer`` (even one not ready yet) or every ready link;
        returns the number of links reached."""
        targets = [peer] if peer else self._swarm.ready_peers()
        return sum(bool(p.link.send_text(text)) for p in targets)

    async def send_frame(self, frame: Any, peer: Peer | None = None) -> int:
        """JSON-encode and send without checking the schema: this peer may misbehave."""
        return await self.send_raw(dump_json_utf8(frame).decode(), peer)

    async def send_entries(
        self, entries: Iterable[bytes | SignedEntry], peer: Peer | None = None
    ) -> int:
        raw = [e.data if isinstance(e, SignedEntry) else e for e in entries]
        reached = 0
        for frame in entry_frames(raw):
            reached = await self.send_frame(frame, peer)
        return reached

    async def fetch_log(self, timeout: float = 10.0) -> list[LoggedEntry]:  # noqa: ASYNC109
        """The history the next `heads` frame announces (see parley_peer.log_fetch)."""
        return await fetch_log(self, timeout)

    def hold_file(
        self,
        data: bytes,
        key: bytes,
        *,
        corrupt: dict[int, str] | None = None,
        corrupt_times: int | None = None,
        version: int = 1,
    ) -> HeldFile:
        """Serve ``data`` (encrypted with the offer's ``key`` in its chunk format
        ``version``, so its root is the offer's) to every ready link; ``corrupt`` chunks
        are served damaged, ``corrupt_times`` times each (None: always). Call it on the
        peer's loop."""
        if self.file_server is None:
            self.file_server = FileServer(on_change=self._changed.set)
            for peer in self._swarm.ready_peers():
                self.file_server.on_peer(peer)
        encrypted = encrypt_file(data, key, version)
        return self.file_server.hold(encrypted, corrupt, corrupt_times)

    async def file_barrier(self, peer: Peer, held: HeldFile, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Probe ``peer`` on its file channel and wait for the answer (see FileServer and
        FileLink.barrier); LookupError if that link has no file channel."""
        if self.file_server is None:
            raise LookupError("no file is held: there is no file channel")
        answered = self.file_server.barrier(peer.connection_id, held.root)
        async with asyncio.timeout(timeout):
            await answered

    def make_entry(
        self, body: dict, seq: int = 0, prev: bytes | None = None, expires: int | None = None
    ) -> SignedEntry:
        """A control entry (§7 "Moderation") is sealed with the control key; with
        `expires` (ms), a version 2 entry (§7 "Disappearing messages")."""
        control = body.get("type") in CONTROL_TYPES
        return create_entry(
            identity=self.identity,
            seq=seq,
            prev=prev,
            body=body,
            message_key=self.room_keys.control_key if control else self.room_keys.message_key,
            discovery_key=self.room_keys.discovery_key,
            expires=expires,
        )

    def open_entry(self, data: bytes) -> OpenedEntry:
        return open_entry(
            data,
            message_key=self.room_keys.message_key,
            discovery_key=self.room_keys.discovery_key,
            control_key=self.room_keys.control_key,
        )

    @staticmethod
    def message_body(text: str, clock: int, ts: int | None = None) -> dict:
        """A §7 `message` body; ``ts`` defaults to now."""
        return {
            "type": "message",
            "ts": time.time_ns() // 1_000_000 if ts is None else ts,
            "clock": clock,
            "text": text,
        }

    def hello_frame(self, peer: Peer) -> dict:
        """Our honest `hello` for this link (needs the link open: both fingerprints known)."""
        return self._swarm.hello_frame(peer)

    def lose_link(self, peer: Peer, reason: str) -> None:
        """Give a link up at this end only, as a crashed process would: the swarm counts it
        closed for ``reason`` (and may dial again), but its peer connection goes on, so
        the other end hears nothing. It closes with the rest in ``close()``."""
        self._lost_links.append(peer.link)
        self._swarm.lose(peer, reason)

    def diagnosis(self) -> str:
        """Every link this peer has and had, with its state, for failure messages."""
        lines = []
        for peer in [*self.peers, *self.closed_peers]:
            link = peer.link
            pc = f"{link.pc.connectionState}/{link.pc.iceConnectionState}" if link else "-"
            lines.append(
                f"{peer.connection_id[:8]} {peer.name or '?'}: {peer.state}"
                f" ({peer.reason or '-'}), pc {pc}"
            )
        rejected = [f"{r.connection_id[:8]}:{r.code}" for r in self.rejections[-5:]]
        return f"{self.name}: {'; '.join(lines) or 'no links'}; rejected {rejected}"

    def _on_peer(self, peer: Peer) -> None:
        if peer.state == "closed":
            self.closed_peers.append(peer)
        if self.file_server is not None:
            self.file_server.on_peer(peer)
        self._changed.set()

    def _on_side_channel(self, peer: Peer, label: str) -> None:
        if self.file_server is not None:
            self.file_server.on_side_channel(peer, label)
        self._changed.set()  # a test without a file server may take the channel itself

    def _on_frame(self, peer: Peer, frame: dict) -> None:
        self.frames.put_nowait((peer, frame))
        self._changed.set()

    def _on_rejected(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)
        self._changed.set()
