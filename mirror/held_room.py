"""One room a mirror service holds (docs/protocol.md §12): its swarm of links, its blind
log and files, one BlindReplicator and one BlindFileLink per member link, and the writes
of what arrives.

    room = HeldRoomPeer(capability, log, files, signaling=, ice=, identity=, limits=, store=)
    await room.start(); await room.stop()
    room.take_control_key(key)     # a room held without one takes a later hold's (§12)

It replicates with members only: a peer whose hello says it is a mirror gets no
replicator (two keyless holders could pass each other entries no member can open).
A link's frames go through its PacedInbox (in order, at the operator's entry rate; a
flood closes the link). Entries go through BlindLog.ingest (checks 1 to 4 of §7, the
room's byte quota) and reach the database through `store`, one write at a time in
arrival order; the links hear the new heads once they are written. A link with more
than 16 failed entries is closed. A `keep` adds a file (within the room's quota: its
ciphertext counts with the entries); its chunks are fetched from every member link,
checked against its root and length, and stored. A `wake` is pushed once its entry is
here. `sweep(now)` strips the entries that expired by then to their stubs and forgets
the files that did (§7 "Disappearing messages"), in memory and, in the same write order,
in the database; `next_expiry()` says when it is next needed, and `on_expiry` hears of
every expiry that arrives (the service's timer, mirror/expiry.py).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import NamedTuple, Protocol

from nacl.signing import SigningKey

from mirror.paced_inbox import PacedInbox
from mirror.pending_wakes import PendingWakes
from parley_peer.blind_files import BlindFile, BlindFileLink
from parley_peer.blind_log import BlindEntry, BlindLog, Ingested
from parley_peer.blind_replicator import BlindReplicator
from parley_peer.data_frames import MIRROR_ROLE
from parley_peer.encoding import b64url_decode, dump_json_utf8
from parley_peer.entry import is_due
from parley_peer.files import FILE_CHANNEL
from parley_peer.ice import IceConfig
from parley_peer.mirror_request import MirrorCapability
from parley_peer.replay import ReplayGuard
from parley_peer.signaling import SignalingClient
from parley_peer.swarm import Peer, RoomSwarm

logger = logging.getLogger("mirror")

MAX_STRIKES = 16
MAX_FILES_PER_ROOM = 4096


def frame_cost(frame: dict) -> int:
    """What a frame costs of a link's entry budget: the entries it brings or asks for."""
    if frame["t"] == "entries":
        return len(frame["entries"])
    if frame["t"] == "want":
        return frame["to"] - frame["from"]
    return 1


# What a mirror takes from a member link, through the link's paced inbox.
HANDLED = ("heads", "want", "entries", "keep", "wake")


class RoomStore(Protocol):
    """Where a held room's arrivals are written (the service's database)."""

    def save_entries(
        self, topic: str, added: list[BlindEntry], forks: list[bytes]
    ) -> Awaitable[None]: ...

    def delete_entries(self, topic: str, removed: list[BlindEntry]) -> Awaitable[None]: ...

    def keep_file(
        self, topic: str, root: bytes, size: int, version: int, expires: int | None
    ) -> Awaitable[None]: ...

    def strip_due(self, topic: str, now: int) -> Awaitable[None]: ...

    def forget_due_files(self, topic: str, now: int) -> Awaitable[None]: ...

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
        on_expiry: Callable[[int], None] = lambda expires: None,
    ) -> None:
        self.capability, self.log, self.limits = capability, log, limits
        self.topic = capability.topic
        self.short = self.topic[:8]
        self.store, self._on_touched, self._on_expiry = store, on_touched, on_expiry
        self.wakes = PendingWakes(send_wake, self.short)
        self.files = {file.root: file for file in files}
        self.replicators: dict[Peer, BlindReplicator] = {}
        self.file_links: dict[Peer, BlindFileLink] = {}
        self._inboxes: dict[Peer, PacedInbox] = {}
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
        self._delete_removed()  # what a removal took out while loading
        self.sweep(self.log.clock())  # what expired while the room was not loaded
        await self.swarm.start()

    def _delete_removed(self) -> None:
        """A removed member's entries (§7 "Moderation") and a revoked device's (§13)
        leave the database too."""
        removed = self.log.take_removed()
        if removed:
            self._queue_write(lambda: self.store.delete_entries(self.topic, removed))
            logger.info(
                "room %s: %d entries of a removed member or revoked device taken out",
                self.short,
                len(removed),
            )

    def take_control_key(self, control_key: bytes) -> None:
        """The room was held without its control key, and a `hold` brought it (§12): its
        control entries count from now on, revocations (§13) among them."""
        if self.log.take_control_key(control_key):
            self.capability = replace(self.capability, control_key=control_key)
            logger.info("room %s: took its control key", self.short)
            self._delete_removed()

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
            inbox = self._inboxes.pop(peer, None)
            if inbox is not None:
                inbox.close()
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
        self._inboxes[peer] = PacedInbox(
            rate=self.limits.entries_per_second,
            burst=self.limits.entries_burst,
            cost=frame_cost,
            handle=lambda frame: self._handle(peer, frame),
            on_flood=lambda: self._close(peer, "it sends faster than allowed"),
        )
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
        inbox = self._inboxes.get(peer)
        if inbox is not None and frame["t"] in HANDLED:
            inbox.put(frame)  # in order, at the link's pace
        # Anything else (hello, acks, typing, calls) a mirror takes no part in.

    def _handle(self, peer: Peer, frame: dict) -> None:
        replicator = self.replicators.get(peer)
        if replicator is None:
            return
        if frame["t"] == "keep":
            self._keep(frame, self.file_links.get(peer))
        elif frame["t"] == "wake":
            self.wakes.take(frame, self.log.ids)
        else:
            replicator.receive(frame)
        if replicator.strikes > MAX_STRIKES:
            self._close(peer, "it sent bad entries")

    def _close(self, peer: Peer, why: str) -> None:
        if peer.link is not None:
            logger.info("room %s: closing a link: %s", self.short, why)
            asyncio.ensure_future(peer.link.close("misbehaving"))

    # Files.

    def _keep(self, frame: dict, asker: BlindFileLink | None) -> None:
        root, size = b64url_decode(frame["root"], 32), int(frame["size"])
        version = int(frame.get("format", 1))
        expires = int(frame["expires"]) if "expires" in frame else None
        if is_due(expires, self.log.clock()):
            return  # the file's entry has disappeared already: nothing to keep
        if root in self.files:
            self._expire_file(self.files[root], expires)
            if asker is not None:
                asker.fetch(self.files[root])  # it may hold chunks the others lacked
            return
        if len(self.files) >= MAX_FILES_PER_ROOM:
            logger.info("room %s: keeps the most files it may; a file was refused", self.short)
            return
        file = BlindFile(root, size, version, expires)
        if self.bytes_used + file.ciphertext_size > self.limits.max_bytes:
            logger.info("room %s: full; a file to keep was refused", self.short)
            return
        self.files[root] = file
        self._queue_write(lambda: self.store.keep_file(self.topic, root, size, version, expires))
        if expires is not None:
            self._on_expiry(expires)
        logger.info("room %s: keeping a file of %d chunks", self.short, file.count)
        for link in self.file_links.values():
            link.fetch(file)

    def _expire_file(self, file: BlindFile, expires: int | None) -> None:
        """Of the `expires` members give for a file, the earliest counts (§12)."""
        if expires is None or (file.expires is not None and file.expires <= expires):
            return
        file.expires = expires
        root, size, version = file.root, file.size, file.version
        self._queue_write(lambda: self.store.keep_file(self.topic, root, size, version, expires))
        self._on_expiry(expires)

    # Expiry (§7 "Disappearing messages").

    def next_expiry(self) -> int | None:
        """When the next entry or file held expires (ms), or None."""
        times = [file.expires for file in self.files.values() if file.expires is not None]
        entry = self.log.next_expiry()
        return min(times + ([] if entry is None else [entry]), default=None)

    def sweep(self, now: int) -> None:
        """Strip what expired by `now` (ms) to its stub and forget the files that did:
        in memory at once, in the database after the writes queued before."""
        stripped = self.log.strip_due(now)
        if stripped:
            self._queue_write(lambda: self.store.strip_due(self.topic, now))
            logger.info("room %s: %d entries expired", self.short, len(stripped))
        due = [file for file in self.files.values() if is_due(file.expires, now)]
        for file in due:
            del self.files[file.root]
            file.chunks.clear()
            for link in self.file_links.values():
                link.forget(file.root)
        if due:
            self._queue_write(lambda: self.store.forget_due_files(self.topic, now))
            logger.info("room %s: %d kept files expired", self.short, len(due))

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

    def _ingest(self, peer: Peer, datas: list[bytes]) -> Ingested:
        left = max(0, self.limits.max_bytes - self.bytes_used)
        result = self.log.ingest(datas, room_bytes_left=left)
        if "quota" in result.rejected:
            logger.info("room %s: full (%d bytes); entries refused", self.short, self.log.bytes)
        if "removed" in result.rejected:
            removed = result.rejected.count("removed")
            logger.info(
                "room %s: refused %d entries of a removed member or revoked device",
                self.short,
                removed,
            )
        if result.added:
            self.wakes.arrived(result.added)
            expiring = [e.expires for e in result.added if e.whole and e.expires is not None]
            if expiring:
                self._on_expiry(min(expiring))
        if result.added or result.forks:
            added, forks = result.added, result.forks
            authors = {entry.author for entry in result.added}

            def announce() -> None:
                # Every link hears the new heads once they are stored, the one they came
                # on too: so the member who wrote them sees how far the mirror holds the
                # room (§12), and "holds" means on disk.
                for replicator in self.replicators.values():
                    replicator.announce(authors)

            self._queue_write(lambda: self.store.save_entries(self.topic, added, forks), announce)
        self._delete_removed()
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

    def _queue_write(
        self, write_one: Callable[[], Awaitable[None]], then: Callable[[], None] = lambda: None
    ) -> None:
        """Writes reach the database in arrival order, one at a time; `then` runs once its
        write has."""
        previous = self._writes

        async def write() -> None:
            if previous is not None:
                await previous
            try:
                await write_one()
            except Exception:
                logger.exception("room %s: storing failed", self.short)
                return
            then()

        self._writes = asyncio.ensure_future(write())
