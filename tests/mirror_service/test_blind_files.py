"""parley_peer.blind_files: a blind mirror fetches the chunks of a file it was asked to
keep from members, keeps only those whose proof leads to the file's root, and serves
them on as any member would (docs/protocol.md §11, §12). The members here are the
Python peer's FileLink over wired fake channels."""

import asyncio

from pyee.asyncio import AsyncIOEventEmitter

from parley_peer.blind_files import BlindFile, BlindFileLink
from parley_peer.file_server import FileLink, HeldFile
from parley_peer.files import (
    CHUNK_SIZE,
    FileFrame,
    decrypt_chunk,
    encode_file_frame,
    encrypt_file,
    new_file_key,
    parse_file_frame,
    verify_chunk,
)

DATA = bytes((i * 131 + 17) & 0xFF for i in range(5 * CHUNK_SIZE + 999))  # 6 chunks


class Wire(AsyncIOEventEmitter):
    """One end of a data channel whose sends arrive at `far`'s listeners."""

    def __init__(self) -> None:
        super().__init__()
        self.readyState = "open"
        self.bufferedAmount = 0
        self.bufferedAmountLowThreshold = 0
        self.far: Wire | None = None
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)
        assert self.far is not None
        asyncio.get_running_loop().call_soon(self.far.emit, "message", data)

    def close(self) -> None:
        self.readyState = "closed"
        self.emit("close")


def wired() -> tuple[Wire, Wire]:
    near, far = Wire(), Wire()
    near.far, far.far = far, near
    return near, far


async def until(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds * 100)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within the time allowed")


async def test_chunks_come_from_members_only_when_their_proof_holds_and_are_served_on():
    key = new_file_key()
    encrypted = encrypt_file(DATA, key)
    file = BlindFile(encrypted.root, len(DATA))
    stored: list[int] = []

    def store(blind: BlindFile, index: int, ciphertext: bytes, proof: list[bytes]) -> bool:
        stored.append(index)
        return True

    # Member one serves chunk 2 damaged every time; member two serves it intact.
    liar_end, mirror_end_1 = wired()
    honest_end, mirror_end_2 = wired()
    liar = FileLink({file.root: HeldFile(encrypted, {2: "ciphertext"})}, liar_end)
    honest = FileLink({file.root: HeldFile(encrypted)}, honest_end)
    first = BlindFileLink({file.root: file}, mirror_end_1, store)
    first.fetch(file)
    await until(lambda: len(stored) == file.count - 1)
    assert first.strikes == 1 and 2 not in file.chunks
    second = BlindFileLink({file.root: file}, mirror_end_2, store)
    second.fetch(file)
    await until(lambda: file.complete)
    assert sorted(stored) == list(range(file.count))
    for index, (ciphertext, _) in file.chunks.items():
        assert ciphertext == encrypted.ciphertexts[index]

    # A member who was away asks the mirror, and can open what it serves.
    reader_end, mirror_end_3 = wired()
    served = BlindFileLink({file.root: file}, mirror_end_3, store)
    reader_end.send(encode_file_frame(FileFrame("have?", file.root)))
    reader_end.send(encode_file_frame(FileFrame("want", file.root, first=0, count=file.count)))
    await until(lambda: sum(parse_file_frame(d).type == "chunk" for d in mirror_end_3.sent) == 6)
    chunks = [parse_file_frame(d) for d in mirror_end_3.sent]
    assert chunks[0].type == "have" and chunks[0].bits == b"\x3f"
    plain = b""
    for frame in chunks[1:]:
        assert verify_chunk(file.root, frame.index, frame.ciphertext, frame.proof, file.count)
        plain += decrypt_chunk(key, frame.index, len(DATA), frame.ciphertext)
    assert plain == DATA
    for link in (liar, honest, first, second, served):
        link.close()


async def test_a_chunk_not_asked_for_a_root_not_kept_and_a_lack_leave_nothing_stored():
    encrypted = encrypt_file(DATA, new_file_key())
    file = BlindFile(encrypted.root, len(DATA))
    member_end, mirror_end = wired()
    link = BlindFileLink({file.root: file}, mirror_end, lambda *args: True)
    member_end.send(encrypted.chunk_frame(0))  # unasked
    member_end.send(encode_file_frame(FileFrame("want", b"\x42" * 32, first=0, count=2)))
    member_end.send(encode_file_frame(FileFrame("lack", file.root, index=1)))
    member_end.send(b"\x09junk")
    await until(lambda: len(mirror_end.sent) == 2)
    assert not file.chunks and link.strikes == 1
    assert [parse_file_frame(d).type for d in mirror_end.sent] == ["lack", "lack"]
    link.close()


async def test_a_chunk_longer_than_the_files_size_allows_is_refused():
    """A member could make up a root over chunks of any length and ask the mirror to keep
    a "file" of size 0: the proof holds, the length does not."""
    big = encrypt_file(b"\x01" * 5000, new_file_key())
    claimed = BlindFile(big.root, 0)  # one empty chunk is all size 0 allows
    member_end, mirror_end = wired()
    server = FileLink({big.root: HeldFile(big)}, member_end)
    link = BlindFileLink({claimed.root: claimed}, mirror_end, lambda *args: True)
    link.fetch(claimed)
    await until(lambda: link.strikes == 1)
    assert not claimed.chunks
    for each in (server, link):
        each.close()


async def test_a_file_in_chunk_format_2_is_checked_with_its_own_hash():
    """The `keep` says the format: a mirror that took a format 2 file for format 1 (or
    the reverse) could check none of its chunks."""
    key = new_file_key()
    encrypted = encrypt_file(DATA, key, version=2)
    for version, kept in [(2, True), (1, False)]:
        file = BlindFile(encrypted.root, len(DATA), version)
        member_end, mirror_end = wired()
        server = FileLink({file.root: HeldFile(encrypted)}, member_end)
        link = BlindFileLink({file.root: file}, mirror_end, lambda *args: True)
        link.fetch(file)
        if kept:
            await until(lambda file=file: file.complete)
            assert link.strikes == 0
            for index, (ciphertext, proof) in file.chunks.items():
                assert decrypt_chunk(key, index, len(DATA), ciphertext, 2)
                assert verify_chunk(file.root, index, ciphertext, proof, file.count, 2)
        else:
            await until(lambda link=link: link.strikes >= 1)
            assert not file.chunks
        for each in (server, link):
            each.close()
