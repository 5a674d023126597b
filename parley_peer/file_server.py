"""FileServer: the Python peer's side of the ``parley-file`` channel (docs/protocol.md §11).

It serves the chunks of files a test gives it (``hold``): on every ready link it opens
its own ``parley-file`` channel, reads the peer's, answers `have?` with `have` and
`want` with `chunk` frames (with their proofs) in the order asked, or `lack` for a file
it does not hold. A held file can be told to serve chosen chunks damaged, so a test can
watch a browser reject them; every chunk sent is counted, intact or not.

    server = FileServer(on_change=...)              # RoomPeer makes one on first use
    held = server.hold(encrypt_file(data, key), corrupt={2: "ciphertext", 9: "proof"})
    server.on_peer(peer); server.on_side_channel(peer, label)   # from the swarm
    held.asked, held.served, held.corrupted         # chunk indices, in order
    await server.barrier(connection_id, held.root)  # see below

It only serves: it never asks for chunks of its own accord. The one `want` it sends is
a barrier's probe. A data channel is ordered and a browser sends everything on the one
channel it opened (static/app/files/file-channel.js), so its answer to a `want` (a
`chunk`, or `lack`: sent only in answer to a `want`, §11) comes after every message it
sent before it read the probe. Once the answer is read, so is every ask the peer sent
until then: a test can count them without waiting for a quiet spell.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parley_peer.file_sender import FileSender
from parley_peer.files import (
    FILE_CHANNEL,
    EncryptedFile,
    FileFrame,
    FileFrameError,
    check_frame_chunks,
    encode_file_frame,
    parse_file_frame,
)

DAMAGE = ("ciphertext", "proof")
logger = logging.getLogger(__name__)


def damaged_chunk_frame(encrypted: EncryptedFile, index: int, where: str) -> bytes:
    """Chunk ``index`` with one bit flipped in its ciphertext or in its first proof node:
    the proof no longer leads to the root either way, so a receiver must reject it."""
    if where == "ciphertext":
        ciphertext = bytearray(encrypted.ciphertexts[index])
        ciphertext[len(ciphertext) // 2] ^= 0x01
        return encrypted.chunk_frame(index, ciphertext=bytes(ciphertext))
    proof = encrypted.tree.proof(index)
    proof[0] = bytes([proof[0][0] ^ 0x01]) + proof[0][1:]
    frame = FileFrame(
        "chunk",
        encrypted.root,
        index=index,
        proof=proof,
        ciphertext=encrypted.ciphertexts[index],
    )
    return encode_file_frame(frame)


@dataclass(eq=False)
class HeldFile:
    """A file this peer serves, what it damages and what it did (read from any thread:
    lists only grow)."""

    encrypted: EncryptedFile
    corrupt: dict[int, str] = field(default_factory=dict)  # index -> "ciphertext" | "proof"
    corrupt_times: int | None = None  # damaged copies of each such chunk; None: every time
    have_asked: int = 0  # `have?` received
    asked: list[int] = field(default_factory=list)  # chunks asked for (`want`), in order
    served: list[int] = field(default_factory=list)  # intact chunks sent
    corrupted: list[int] = field(default_factory=list)  # damaged chunks sent

    def __post_init__(self) -> None:
        for index, where in self.corrupt.items():
            if where not in DAMAGE:
                raise ValueError(f"damage must be one of {DAMAGE}")
            if not 0 <= index < self.count:
                raise IndexError(f"chunk {index} is not 0..{self.count - 1}")
            if where == "proof" and self.count == 1:
                raise ValueError("a one-chunk file has no proof to damage")

    @property
    def root(self) -> bytes:
        return self.encrypted.root

    @property
    def count(self) -> int:
        return self.encrypted.tree.count

    def next_frame(self, index: int) -> bytes:
        """The `chunk` frame to send now for ``index`` (damaged if so chosen), counted."""
        where = self.corrupt.get(index)
        times = self.corrupt_times
        if where and (times is None or self.corrupted.count(index) < times):
            self.corrupted.append(index)
            return damaged_chunk_frame(self.encrypted, index, where)
        self.served.append(index)
        return self.encrypted.chunk_frame(index)


class FileLink:
    """The ``parley-file`` traffic of one ready link: our channel ``out`` (we send on it)
    and the peer's (adopted when it comes); messages are read from both, since a data
    channel carries both ways. Chunks wait in a queue served in order, with backpressure."""

    def __init__(
        self,
        files: dict[bytes, HeldFile],
        out: Any,  # an RTCDataChannel, or anything with its send/on/readyState/bufferedAmount
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.files, self.out, self._on_change = files, out, on_change
        self.peer_channel: Any = None
        self.closed = False
        self.malformed = 0  # messages that failed §11's checks
        self._barriers: list[tuple[bytes, int, asyncio.Future[None]]] = []  # probes unanswered
        # Chunks go as (held file, index), the frame made (damaged or not) when it is sent.
        self.sender: FileSender[tuple[HeldFile, int]] = FileSender(
            out, frame_of=lambda item: item[0].next_frame(item[1]), on_sent=on_change
        )
        out.on("close", self._fail_barriers)
        out.on("message", self.receive)

    def adopt(self, channel: Any, early: list[str | bytes]) -> None:
        """The peer's own channel, with what it sent before we took it."""
        self.peer_channel = channel
        channel.on("message", self.receive)
        channel.on("close", self._fail_barriers)
        for data in early:
            self.receive(data)

    def barrier(self, root: bytes, index: int = 0) -> "asyncio.Future[None]":
        """Done once the peer's answer to a `want` of chunk ``index`` of ``root`` is read
        (a `chunk` or a `lack`): every message the peer sent before it read that `want`
        has been read by then. Fails with ConnectionError if the link closes first."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.closed or self.out.readyState in ("closing", "closed"):
            done.set_exception(ConnectionError("the file channel is closed"))
            return done
        self._barriers.append((root, index, done))
        self.sender.control(encode_file_frame(FileFrame("want", root, first=index, count=1)))
        return done

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sender.close()
        self._fail_barriers()
        for channel in (self.out, self.peer_channel):
            if channel is not None:
                channel.close()

    # Receiving.

    def receive(self, data: str | bytes) -> None:
        if self.closed:
            return
        try:
            if not isinstance(data, bytes):
                raise FileFrameError("text on a binary channel")
            frame = parse_file_frame(data)
            held = self.files.get(frame.root)
            if held is not None:
                check_frame_chunks(frame, held.count)
        except FileFrameError as error:
            self.malformed += 1
            logger.info("malformed parley-file message: %s", error)
            return
        if frame.type == "have?" and held is not None:
            held.have_asked += 1
            for message in held.encrypted.have_frames():
                self.sender.control(message)
        elif frame.type == "want":
            self._on_want(held, frame)
        elif frame.type == "cancel":
            self.sender.drop(lambda item: item[0] is held)
        elif frame.type in ("chunk", "lack"):
            self._answered(frame.root, frame.index)
        # `have?` of a file not held and `have`: a server asks for nothing (and a root
        # that is not a file it knows is ignored, §11).
        self._on_change()

    def _fail_barriers(self) -> None:
        """A channel closed: an answer may never come, so no barrier waits for one."""
        barriers, self._barriers = self._barriers, []
        for _, _, done in barriers:
            if not done.done():
                done.set_exception(ConnectionError("a file channel closed before the answer"))

    def _answered(self, root: bytes, index: int | None) -> None:
        """The earliest barrier probing this chunk is done (a `lack` may overtake an
        earlier probe's `chunk`, but it was sent after that probe was read too)."""
        for position, (probed_root, probed_index, done) in enumerate(self._barriers):
            if (probed_root, probed_index) == (root, index):
                del self._barriers[position]
                if not done.done():  # its waiter may have given up
                    done.set_result(None)
                return

    def _on_want(self, held: HeldFile | None, frame: FileFrame) -> None:
        indices = range(frame.first, frame.first + frame.count)
        if held is None:  # not a file we hold: none of its chunks
            for index in indices:
                self.sender.control(encode_file_frame(FileFrame("lack", frame.root, index=index)))
            return
        held.asked.extend(indices)
        self.sender.add((held, index) for index in indices)


class FileServer:
    """The files this peer holds and the file channel of each of its ready links."""

    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self.files: dict[bytes, HeldFile] = {}
        self.links: dict[str, FileLink] = {}  # connection id -> its file traffic
        self._on_change = on_change

    def hold(
        self,
        encrypted: EncryptedFile,
        corrupt: dict[int, str] | None = None,
        corrupt_times: int | None = None,
    ) -> HeldFile:
        held = HeldFile(encrypted, dict(corrupt or {}), corrupt_times)
        self.files[held.root] = held
        return held

    def on_peer(self, peer: Any) -> None:
        """A swarm peer changed state: a ready link gets its file channel, a closed one
        loses it."""
        connection_id = peer.connection_id
        if peer.state == "ready" and connection_id not in self.links:
            out = peer.link.open_channel(FILE_CHANNEL)
            link = FileLink(self.files, out, self._on_change)
            self.links[connection_id] = link
            self.on_side_channel(peer, FILE_CHANNEL)  # one that came before the link was ready
        elif peer.state == "closed" and connection_id in self.links:
            self.links.pop(connection_id).close()

    def on_side_channel(self, peer: Any, label: str) -> None:
        link = self.links.get(peer.connection_id)
        if label != FILE_CHANNEL or link is None:
            return  # the link holds it until it is ready
        taken = peer.link.take_channel(label)
        if taken is not None:
            link.adopt(*taken)

    def barrier(self, connection_id: str, root: bytes) -> "asyncio.Future[None]":
        """FileLink.barrier on the file channel of that link (LookupError if it has
        none: not ready, or closed)."""
        link = self.links.get(connection_id)
        if link is None:
            raise LookupError(f"no file channel on link {connection_id}")
        return link.barrier(root)

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.links.clear()
