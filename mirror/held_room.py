"""One room a mirror service holds (docs/protocol.md §12): its swarm of links, its blind
log and files, one BlindReplicator and one BlindFileLink per member link, and the writes
of what arrives.

    room = HeldRoomPeer(capability, log, files, signaling=, ice=, identity=, limits=, store=)
    await room.start(); await room.stop()

It replicates with members only: a peer whose hello says it is a mirror gets no
replicator (two keyless holders could pass each other entries no member can open).
Entries go through BlindLog.ingest (checks 1 to 4 of §7, the room's byte quota) and
reach the database through `saver` in arrival order; what a link sends past its entry
rate is dropped unread, and a link with more than 16 failed entries is closed. A
`keep` adds a file (within the room's quota: its ciphertext counts with the entries);
its chunks are fetched from every member link, checked against its root, and stored.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

from nacl.signing import SigningKey

from parley_peer.blind_files import BlindFile, BlindFileLink
from parley_peer.blind_log import BlindEntry, BlindLog, Ingested
from parley_peer.blind_replicator import BlindReplicator
from parley_peer.data_frames import MIRROR_ROLE
from parley_peer.encoding import b64url_decode, dump_json_utf8
from parley_peer.files import FILE_CHANNEL
from parley_peer.ice import IceConfig
from parley_peer.mirror_request import MirrorCapability
from parley_peer.replay import ReplayGuard
from parley_peer.signaling import SignalingClient
from parley_peer.swarm import Peer, RoomSwarm
from signal_server.limits import TokenBucket

logger = logging.getLogger("mirror")

MAX_STRIKES = 16
REPLICATED = ("heads", "want", "entries")
# Wakes for entries not held yet (§12): at most this many per room, for this long.
MAX_PENDING_WAKES = 256
PENDING_WAKE_S = 600.0


class RoomStore(Protocol):
    """Where a held room's arrivals are written (the service's database)."""

    def save_entries(
        self, topic: str, added: list[BlindEntry], forks: list[bytes]
    ) -> Awaitable[None]: ...

    def keep_file(self, topic: str, root: bytes, size: int) -> Awaitable[None]: ...

    def save_chunk(
        self, topic: str, root: bytes, index: int, ciphertext: bytes, proof: list[bytes]
    ) -> Awaitable[None]: ...


class RoomLimits(NamedTuple):
    max_bytes: int
    entries_per_second: float
    entries_burst: int


class HeldRoomPeer:
    def __init__(
        self,
        capability: MirrorCapability,
        log: BlindLog,
        files: list[BlindFile],
        *,
        signaling: SignalingClient,
        ice: IceConfig,
        identity: SigningKey,
        limits: RoomLimits,
        store: RoomStore,
        on_touched: Callable[[str], None] = lambda topic: None,
        send_wake: Callable[[bytes, str], object] = lambda mailbox, blob: None,
    ) -> None:
        self.capability, self.log, self.limits = capability, log, limits
        self.topic = capability.topic
        self.short = self.topic[:8]
        self.store, self._on_touched, self._send_wake = store, on_touched, send_wake
        # entry id -> [(mailbox id, sealed wake, when it came)], pushed once it is held
        self.pending_wakes: dict[bytes, list[tuple[bytes, str, float]]] = {}
        self.files = {file.root: file for file in files}
        self.replicators: dict[Peer, BlindReplicator] = {}
        self.file_links: dict[Peer, BlindFileLink] = {}
        self._buckets: dict[Peer, TokenBucket] = {}
        self._writes: asyncio.Task | None = None
        self.swarm = RoomSwarm(
            keys=capability,
            identity=identity,
            signaling=signaling,
            replay_guard=ReplayGuard(),
            on_peer=self._on_peer,
            on_frame=self._on_frame,
            on_side_channel=self._on_side_channel,
            local_name=lambda: "Mirror",
            ice=ice,
            role=MIRROR_ROLE,
        )

    async def start(self) -> None:
        await self.swarm.start()

    async def stop(self) -> None:
        await self.swarm.stop()
        for link in self.file_links.values():
            link.close()
        if self._writes is not None:
            await self._writes  # what arrived is stored before the room lets go

    async def flushed(self) -> None:
        """Return once every write queued so far has reached the database."""
        if self._writes is not None:
            await self._writes

    @property
    def bytes_used(self) -> int:
        """Entries held and files kept (reserved whole when asked to keep them)."""
        return self.log.bytes + sum(file.ciphertext_size for file in self.files.values())

    def _on_peer(self, peer: Peer) -> None:
        if peer.state == "closed":
            self.replicators.pop(peer, None)
            self._buckets.pop(peer, None)
            file_link = self.file_links.pop(peer, None)
            if file_link is not None:
                file_link.close()
            return
        if peer.state != "ready" or peer in self.replicators or peer.role == MIRROR_ROLE:
            return
        replicator = BlindReplicator(
            self.log,
            send=lambda frame: self._send(peer, frame),
            on_entries=lambda datas: self._ingest(peer, datas),
        )
        self.replicators[peer] = replicator
        self._buckets[peer] = TokenBucket(self.limits.entries_per_second, self.limits.entries_burst)
        logger.info("room %s: a member linked (%d linked)", self.short, len(self.replicators))
        self._on_touched(self.topic)
        replicator.start()
        if peer.link is not None:
            self.file_links[peer] = BlindFileLink(
                self.files, peer.link.open_channel(FILE_CHANNEL), self._on_chunk
            )
            self._on_side_channel(peer, FILE_CHANNEL)  # one that came before the hello
            for file in self.files.values():
                self.file_links[peer].fetch(file)

    def _on_side_channel(self, peer: Peer, label: str) -> None:
        link = self.file_links.get(peer)
        if label != FILE_CHANNEL or link is None or peer.link is None:
            return  # the swarm's link holds it until the peer is ready
        taken = peer.link.take_channel(label)
        if taken is not None:
            link.adopt(*taken)

    def _send(self, peer: Peer, frame: dict) -> bool:
        return peer.link is not None and peer.link.send_text(dump_json_utf8(frame).decode())

    def _on_frame(self, peer: Peer, frame: dict) -> None:
        replicator = self.replicators.get(peer)
        if replicator is not None and frame["t"] == "keep":
            return self._keep(frame)
        if replicator is not None and frame["t"] == "wake":
            return self._wake_when_held(frame)
        if replicator is None or frame["t"] not in REPLICATED:
            return None  # hello, and what a mirror takes no part in (acks, typing, calls)
        if frame["t"] == "entries" and not self._within_rate(peer, len(frame["entries"])):
            return
        replicator.receive(frame)
        if replicator.strikes > MAX_STRIKES and peer.link is not None:
            logger.info("room %s: closing a link that sent bad entries", self.short)
            asyncio.ensure_future(peer.link.close("misbehaving"))
        return None

    # Wakes: pushed once the entry they announce is here, so that whoever is woken finds
    # it even when its author has gone.

    def _wake_when_held(self, frame: dict) -> None:
        entry = b64url_decode(frame["entry"], 32)
        mailbox = b64url_decode(frame["mailbox"], 32)
        if entry in self.log.ids:
            self._send_wake(mailbox, frame["blob"])
            return
        now = asyncio.get_running_loop().time()
        for waiting in list(self.pending_wakes):
            self.pending_wakes[waiting] = [
                w for w in self.pending_wakes[waiting] if now - w[2] < PENDING_WAKE_S
            ]
            if not self.pending_wakes[waiting]:
                del self.pending_wakes[waiting]
        if sum(map(len, self.pending_wakes.values())) >= MAX_PENDING_WAKES:
            logger.info("room %s: too many wakes wait for their entries; one dropped", self.short)
            return
        self.pending_wakes.setdefault(entry, []).append((mailbox, frame["blob"], now))

    def _wake_for(self, added: list[BlindEntry]) -> None:
        for entry in added:
            for mailbox, blob, _ in self.pending_wakes.pop(entry.id, []):
                self._send_wake(mailbox, blob)

    # Files.

    def _keep(self, frame: dict) -> None:
        root, size = b64url_decode(frame["root"], 32), frame["size"]
        if root in self.files:
            return
        file = BlindFile(root, size)
        if self.bytes_used + file.ciphertext_size > self.limits.max_bytes:
            logger.info("room %s: full; a file to keep was refused", self.short)
            return
        self.files[root] = file
        self._queue_write(lambda: self.store.keep_file(self.topic, root, size))
        logger.info("room %s: keeping a file of %d chunks", self.short, file.count)
        for link in self.file_links.values():
            link.fetch(file)

    def _on_chunk(self, file: BlindFile, index: int, ciphertext: bytes, proof: list[bytes]) -> bool:
        self._queue_write(
            lambda: self.store.save_chunk(self.topic, file.root, index, ciphertext, proof)
        )
        if len(file.chunks) + 1 == file.count:
            logger.info("room %s: a kept file is complete", self.short)
            # Once the link has added this last chunk, members hear the file is whole.
            asyncio.get_running_loop().call_soon(self._announce, file)
        return True

    def _announce(self, file: BlindFile) -> None:
        for link in self.file_links.values():
            link.announce(file)

    def _within_rate(self, peer: Peer, count: int) -> bool:
        bucket = self._buckets[peer]
        for _ in range(count):
            if not bucket.take():
                logger.info("room %s: a link sends entries too fast; dropped", self.short)
                return False
        return True

    def _ingest(self, peer: Peer, datas: list[bytes]) -> Ingested:
        left = max(0, self.limits.max_bytes - self.bytes_used)
        result = self.log.ingest(datas, room_bytes_left=left)
        if "quota" in result.rejected:
            logger.info("room %s: full (%d bytes); entries refused", self.short, self.log.bytes)
        if result.added:
            self._wake_for(result.added)
        if result.added or result.forks:
            added, forks = result.added, result.forks
            self._queue_write(lambda: self.store.save_entries(self.topic, added, forks))
            # Every link hears the new heads, the one they came on too: that is how the
            # member who wrote them sees how far the mirror holds the room (§12).
            authors = {entry.author for entry in result.added}
            for replicator in self.replicators.values():
                replicator.announce(authors)
        if result.forks:
            logger.info("room %s: an author forked their log; no more of it is kept", self.short)
        if result.added:
            logger.info(
                "room %s: stored %d entries (%d held)",
                self.short,
                len(result.added),
                self.log.count(),
            )
        return result

    def _queue_write(self, write_one: Callable[[], Awaitable[None]]) -> None:
        """Writes reach the database in arrival order, one at a time."""
        previous = self._writes

        async def write() -> None:
            if previous is not None:
                await previous
            try:
                await write_one()
            except Exception:
                logger.exception("room %s: storing failed", self.short)

        self._writes = asyncio.ensure_future(write())
