"""A blind mirror's files (docs/protocol.md §11, §12): the chunks of the files members
asked it to keep (`keep`), fetched from members and served to them on the
``parley-file`` channel, checked against the file's Merkle root and never opened.

    files = {root: BlindFile(root, size)}
    link = BlindFileLink(files, out_channel, on_chunk=store)   # one per ready member link
    link.adopt(peer_channel, early)   # the peer's own channel, when it comes
    link.fetch(file)                  # ask the peer which chunks it holds, then want them
    link.announce(file)               # tell the peer what we hold (once a file is whole)
    link.forget(root)                 # a file no longer kept: nothing more of it asked or sent
    link.close()

A chunk is kept only when its proof leads to the root (`verify_chunk` with the file's
chunk count and chunk format, both from the member's `keep`); `on_chunk(file, index,
ciphertext, proof)` stores it. Each missing chunk is asked of one link at a time, at most
64 in flight per link; a `lack` or a closed link gives it back for another link to ask.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parley_peer.file_sender import FileSender
from parley_peer.files import (
    MAX_WANT_COUNT,
    TAG_BYTES,
    FileFrame,
    FileFrameError,
    bitfield,
    check_frame_chunks,
    chunk_count,
    chunk_range,
    encode_file_frame,
    have_ranges,
    parse_file_frame,
    verify_chunk,
)

MAX_STRIKES = 16  # malformed messages and bad chunks before the link's files are ignored
# Chunks asked of us and not yet sent: a downloader keeps 64 in flight (§11); one that
# asks for more than this is struck for each chunk past it.
MAX_QUEUED_CHUNKS = 256
logger = logging.getLogger(__name__)


@dataclass(eq=False)
class BlindFile:
    root: bytes
    size: int
    version: int = 1  # the chunk format (§11), which says how leaves and nodes are hashed
    # When the file's entry disappears (ms, §7 "Disappearing messages"): then it goes.
    expires: int | None = None
    chunks: dict[int, tuple[bytes, list[bytes]]] = field(default_factory=dict)
    asked: dict[int, "BlindFileLink"] = field(default_factory=dict)  # in flight, by whom

    @property
    def count(self) -> int:
        return chunk_count(self.size)

    @property
    def complete(self) -> bool:
        return len(self.chunks) == self.count

    @property
    def ciphertext_size(self) -> int:
        """What the whole file takes once every chunk is held (each chunk has a tag)."""
        return self.size + TAG_BYTES * self.count

    def have_frames(self) -> list[bytes]:
        bits = bitfield(self.count, self.chunks)
        return [
            encode_file_frame(FileFrame("have", self.root, first=first, bits=part))
            for first, part in have_ranges(bits)
        ]

    def chunk_frame(self, index: int) -> bytes:
        ciphertext, proof = self.chunks[index]
        frame = FileFrame("chunk", self.root, index=index, proof=proof, ciphertext=ciphertext)
        return encode_file_frame(frame)


OnChunk = Callable[[BlindFile, int, bytes, list[bytes]], bool]


class BlindFileLink:
    def __init__(self, files: dict[bytes, BlindFile], out: Any, on_chunk: OnChunk) -> None:
        self.files, self.out, self._store_chunk = files, out, on_chunk
        self.peer_channel: Any = None
        self.closed = False
        self.strikes = 0
        self.peer_has: dict[bytes, set[int]] = {}  # root -> chunks the peer announced
        self.in_flight: set[tuple[bytes, int]] = set()
        # Chunks asked of us go as (root, index), served if still held when their turn comes.
        self.sender: FileSender[tuple[bytes, int]] = FileSender(out, frame_of=self._chunk_frame)
        out.on("message", self.receive)

    def adopt(self, channel: Any, early: list[str | bytes]) -> None:
        self.peer_channel = channel
        channel.on("message", self.receive)
        for data in early:
            self.receive(data)

    def fetch(self, file: BlindFile) -> None:
        """Ask the peer what it holds of `file`; its `have` answers bring the `want`s."""
        if not file.complete and not self.closed:
            self.sender.control(encode_file_frame(FileFrame("have?", file.root)))

    def announce(self, file: BlindFile) -> None:
        """Tell the peer what we hold of `file` (a `have` it did not ask for, §11)."""
        if not self.closed:
            for message in file.have_frames():
                self.sender.control(message)

    def forget(self, root: bytes) -> None:
        """The owner no longer keeps `root` (it expired): what was asked of the peer and
        what the peer asked of us for it are dropped; later chunks of it are ignored."""
        self.in_flight = {(r, index) for r, index in self.in_flight if r != root}
        self.peer_has.pop(root, None)
        self.sender.drop(lambda item: item[0] == root)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sender.close()
        for root, index in self.in_flight:
            file = self.files.get(root)
            if file is not None and file.asked.get(index) is self:
                del file.asked[index]
        self.in_flight.clear()
        for channel in (self.out, self.peer_channel):
            if channel is not None:
                channel.close()

    # Receiving.

    def receive(self, data: str | bytes) -> None:
        if self.closed or self.strikes > MAX_STRIKES:
            return
        try:
            if not isinstance(data, bytes):
                raise FileFrameError("text on a binary channel")
            frame = parse_file_frame(data)
        except FileFrameError:
            self.strikes += 1
            return
        file = self.files.get(frame.root)
        if file is None:
            if frame.type == "want":  # nothing of a file we do not keep
                for index in range(frame.first, frame.first + frame.count):
                    self.sender.control(
                        encode_file_frame(FileFrame("lack", frame.root, index=index))
                    )
            return  # other roots are ignored (§11)
        try:
            check_frame_chunks(frame, file.count)
        except FileFrameError:
            self.strikes += 1
            return
        handler = getattr(self, "_on_" + frame.type.replace("?", "_asked"))
        handler(file, frame)

    def _on_have_asked(self, file: BlindFile, frame: FileFrame) -> None:
        for message in file.have_frames():
            self.sender.control(message)

    def _on_have(self, file: BlindFile, frame: FileFrame) -> None:
        announced = self.peer_has.setdefault(file.root, set())
        for byte_at, byte in enumerate(frame.bits or b""):
            for bit in range(8):
                index = frame.first + 8 * byte_at + bit
                if byte >> bit & 1 and index < file.count:
                    announced.add(index)
        self._want_more(file)

    def _on_want(self, file: BlindFile, frame: FileFrame) -> None:
        for index in range(frame.first, frame.first + frame.count):
            if len(self.sender.queue) >= MAX_QUEUED_CHUNKS:
                self.strikes += 1
                break
            if index in file.chunks:
                self.sender.add([(file.root, index)])
            else:
                self.sender.control(encode_file_frame(FileFrame("lack", file.root, index=index)))

    def _on_chunk(self, file: BlindFile, frame: FileFrame) -> None:
        index = frame.index
        if (file.root, index) not in self.in_flight:
            return  # not asked for: ignored (§11)
        self._give_back(file, index)
        ciphertext = frame.ciphertext or b""
        start, end = chunk_range(file.size, index)
        if index in file.chunks:
            pass
        # The root binds the bytes, not their length: a member could make up a root for a
        # "file" of size 0 with chunks of any size. So the length is the size's (§11).
        elif len(ciphertext) == end - start + TAG_BYTES and verify_chunk(
            file.root, index, ciphertext, frame.proof, file.count, file.version
        ):
            if self._store_chunk(file, index, ciphertext, frame.proof):
                file.chunks[index] = (ciphertext, list(frame.proof))
        else:
            self.strikes += 1
            self.peer_has.get(file.root, set()).discard(index)
            logger.info("a chunk whose proof does not lead to its root: dropped")
        self._want_more(file)

    def _on_lack(self, file: BlindFile, frame: FileFrame) -> None:
        if (file.root, frame.index) in self.in_flight:
            self._give_back(file, frame.index)
        self.peer_has.get(file.root, set()).discard(frame.index)

    def _on_cancel(self, file: BlindFile, frame: FileFrame) -> None:
        self.sender.drop(lambda item: item[0] == file.root)

    def _chunk_frame(self, item: tuple[bytes, int]) -> bytes | None:
        root, index = item
        file = self.files.get(root)
        return file.chunk_frame(index) if file is not None and index in file.chunks else None

    def _give_back(self, file: BlindFile, index: int) -> None:
        self.in_flight.discard((file.root, index))
        if file.asked.get(index) is self:
            del file.asked[index]

    def _want_more(self, file: BlindFile) -> None:
        """Ask for chunks the peer holds that nobody is asked for, in index order."""
        if self.strikes > MAX_STRIKES:
            return
        room = MAX_WANT_COUNT - len(self.in_flight)
        wanted = [
            index
            for index in sorted(self.peer_has.get(file.root, ()))
            if index not in file.chunks and index not in file.asked
        ][: max(0, room)]
        for index in wanted:
            file.asked[index] = self
            self.in_flight.add((file.root, index))
        for first, count in _runs(wanted):
            frame = FileFrame("want", file.root, first=first, count=count)
            self.sender.control(encode_file_frame(frame))


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices as (first, count), each at most 64 long."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][0] + runs[-1][1] == index and runs[-1][1] < MAX_WANT_COUNT:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs
