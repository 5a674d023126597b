"""parley_peer.file_server: the Python peer answers `have?` and `want` on the
`parley-file` channel (docs/protocol.md §11) with chunks a verifier accepts, damages the
chunks a test picks so that a verifier rejects them, and answers for files it does not
hold with `lack`. Most tests drive one FileLink over a fake channel; the last one runs
two RoomPeers over real WebRTC."""

import asyncio

import pytest
from pyee.asyncio import AsyncIOEventEmitter

from e2e.server import running_server
from parley_peer.file_sender import HIGH_WATER, LOW_WATER
from parley_peer.file_server import FileLink, FileServer, HeldFile
from parley_peer.files import (
    CHUNK_SIZE,
    FILE_CHANNEL,
    FileFrame,
    chunk_range,
    decrypt_chunk,
    encode_file_frame,
    encrypt_file,
    new_file_key,
    parse_file_frame,
    verify_chunk,
)
from parley_peer.keys import new_room_secret
from parley_peer.room_peer import RoomPeer

DATA = bytes((i * 131 + 17) & 0xFF for i in range(5 * CHUNK_SIZE + 999))  # 6 chunks
COUNT = 6
OTHER_ROOT = b"\x42" * 32


class FakeChannel(AsyncIOEventEmitter):
    """What FileLink uses of an aiortc RTCDataChannel; `sent` keeps what it sent."""

    def __init__(self, ready_state: str = "open") -> None:
        super().__init__()
        self.readyState = ready_state
        self.bufferedAmount = 0
        self.bufferedAmountLowThreshold = 0
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.readyState = "closed"
        self.emit("close")

    def frames(self) -> list[FileFrame]:
        return [parse_file_frame(data) for data in self.sent]


async def settle() -> None:
    """Let the link's pump task run until it waits again (it yields once per chunk)."""
    for _ in range(4 * COUNT + 8):
        await asyncio.sleep(0)


def ask(kind: str, root: bytes, **fields) -> bytes:
    return encode_file_frame(FileFrame(kind, root, **fields))


@pytest.fixture
async def served():
    """(held file, link, its channel, the file key) for a link that serves DATA with
    chunk 1 damaged in its ciphertext and chunk 4 in its proof."""
    key = new_file_key()
    server = FileServer()
    held = server.hold(encrypt_file(DATA, key), corrupt={1: "ciphertext", 4: "proof"})
    channel = FakeChannel()
    link = FileLink(server.files, channel)
    yield held, link, channel, key
    link.close()


def plaintext(index: int) -> bytes:
    return DATA[slice(*chunk_range(len(DATA), index))]


def accepted(held: HeldFile, key: bytes, frame: FileFrame) -> bool:
    """What a downloader does with a `chunk`: the proof must lead to the offer's root,
    then the ciphertext must decrypt to the file's bytes."""
    if not verify_chunk(held.root, frame.index, frame.ciphertext, frame.proof, COUNT):
        return False
    return decrypt_chunk(key, frame.index, len(DATA), frame.ciphertext) == plaintext(frame.index)


async def test_have_lists_every_chunk_held(served):
    held, link, channel, _ = served
    link.receive(ask("have?", held.root))
    [have] = channel.frames()
    assert (have.type, have.root, have.first, have.bits) == ("have", held.root, 0, b"\x3f")
    assert held.have_asked == 1


async def test_wanted_chunks_come_in_order_with_proofs_and_damaged_ones_fail(served):
    held, link, channel, key = served
    link.receive(ask("want", held.root, first=0, count=COUNT))
    await settle()
    frames = channel.frames()
    assert [f.type for f in frames] == ["chunk"] * COUNT
    assert [f.index for f in frames] == list(range(COUNT))
    verdicts = {f.index: accepted(held, key, f) for f in frames}
    assert verdicts == {0: True, 1: False, 2: True, 3: True, 4: False, 5: True}
    assert held.asked == list(range(COUNT))
    assert held.served == [0, 2, 3, 5] and held.corrupted == [1, 4]
    # The proof-damaged chunk carries the true ciphertext: only its proof is wrong.
    assert frames[4].ciphertext == held.encrypted.ciphertexts[4]
    assert frames[1].proof == held.encrypted.tree.proof(1)

    # Asked again, they are damaged again (a consistent liar).
    link.receive(ask("want", held.root, first=1, count=1))
    await settle()
    assert not accepted(held, key, channel.frames()[-1])
    assert held.corrupted == [1, 4, 1]


async def test_damage_can_be_limited_to_the_first_copies():
    key = new_file_key()
    server = FileServer()
    held = server.hold(encrypt_file(DATA, key), corrupt={3: "proof"}, corrupt_times=1)
    channel = FakeChannel()
    link = FileLink(server.files, channel)
    for _ in range(2):
        link.receive(ask("want", held.root, first=3, count=1))
    await settle()
    first, second = channel.frames()
    assert not accepted(held, key, first) and accepted(held, key, second)
    assert held.corrupted == [3] and held.served == [3]
    link.close()


async def test_a_file_it_does_not_hold_gets_lack_and_no_have(served):
    _, link, channel, _ = served
    link.receive(ask("have?", OTHER_ROOT))
    link.receive(ask("want", OTHER_ROOT, first=7, count=3))
    await settle()
    assert [(f.type, f.root, f.index) for f in channel.frames()] == [
        ("lack", OTHER_ROOT, 7),
        ("lack", OTHER_ROOT, 8),
        ("lack", OTHER_ROOT, 9),
    ]


async def test_malformed_messages_are_counted_and_answer_nothing(served):
    held, link, channel, _ = served
    link.receive(ask("want", held.root, first=COUNT - 1, count=2))  # past the last chunk
    link.receive(b"\x09" + held.root)  # unknown type
    link.receive(ask("have?", held.root) + b"\x00")  # wrong length for its type
    link.receive("have?")  # text on a binary channel
    await settle()
    assert link.malformed == 4
    assert channel.sent == [] and held.asked == []


async def test_chunks_wait_while_the_buffer_is_full_and_cancel_drops_them(served):
    held, link, channel, _ = served
    channel.bufferedAmount = HIGH_WATER + 1
    link.receive(ask("want", held.root, first=0, count=3))
    await settle()
    assert channel.sent == []  # held back, still queued
    channel.bufferedAmount = LOW_WATER
    channel.emit("bufferedamountlow")
    await settle()
    assert [f.index for f in channel.frames()] == [0, 1, 2]

    channel.bufferedAmount = HIGH_WATER + 1
    link.receive(ask("want", held.root, first=3, count=3))
    link.receive(ask("cancel", held.root))
    channel.bufferedAmount = 0
    channel.emit("bufferedamountlow")
    await settle()
    assert len(channel.sent) == 3 and held.asked == [0, 1, 2, 3, 4, 5]


async def test_answers_wait_for_the_channel_to_open_and_early_messages_count(served):
    held, _, _, _ = served
    files = {held.root: held}
    channel = FakeChannel("connecting")
    link = FileLink(files, channel)
    peer_channel = FakeChannel()
    # The peer's channel came with messages sent before we took it.
    link.adopt(peer_channel, [ask("have?", held.root), ask("want", held.root, first=0, count=1)])
    await settle()
    assert channel.sent == [] and peer_channel.sent == []  # we answer on our own channel
    channel.readyState = "open"
    channel.emit("open")
    await settle()
    assert [f.type for f in channel.frames()] == ["have", "chunk"]
    # Later messages on the peer's channel are read too.
    peer_channel.emit("message", ask("want", held.root, first=5, count=1))
    await settle()
    assert channel.frames()[-1].index == 5
    link.close()
    assert channel.readyState == peer_channel.readyState == "closed"


# Barriers: a test counts what a peer asked for once the answer to a probe is read, as
# an ordered channel brings it after everything the peer sent before it.


async def test_a_barrier_is_done_once_the_answer_to_its_probe_is_read(served):
    held, link, channel, _ = served
    peer_channel = FakeChannel()
    link.adopt(peer_channel, [])
    barrier = link.barrier(held.root)
    await settle()
    [probe] = channel.frames()
    assert (probe.type, probe.root, probe.first, probe.count) == ("want", held.root, 0, 1)
    # Asks the peer sent before it read the probe come first.
    peer_channel.emit("message", ask("want", held.root, first=3, count=2))
    # Neither another chunk's answer nor another file's is the probe's.
    peer_channel.emit("message", ask("lack", held.root, index=1))
    peer_channel.emit("message", ask("lack", OTHER_ROOT, index=0))
    await settle()
    assert not barrier.done()
    peer_channel.emit("message", held.encrypted.chunk_frame(0))
    await barrier
    assert held.asked == [3, 4]

    # A `lack` answers a probe too (the peer does not hold that chunk).
    barrier = link.barrier(held.root)
    peer_channel.emit("message", ask("want", held.root, first=5, count=1))
    peer_channel.emit("message", ask("lack", held.root, index=0))
    await barrier
    assert held.asked == [3, 4, 5]


async def test_a_barrier_fails_rather_than_waits_when_a_channel_closes(served):
    held, link, _, _ = served
    peer_channel = FakeChannel()
    link.adopt(peer_channel, [])
    barrier = link.barrier(held.root)
    peer_channel.close()  # the answer can no longer come
    with pytest.raises(ConnectionError):
        await barrier
    barrier = link.barrier(held.root)
    link.close()
    with pytest.raises(ConnectionError):
        await barrier
    with pytest.raises(ConnectionError):
        await link.barrier(held.root)  # on a closed link, at once
    with pytest.raises(LookupError):
        FileServer().barrier("no such link", held.root)


def test_a_one_chunk_file_has_no_proof_to_damage():
    one = encrypt_file(b"tiny", new_file_key())
    with pytest.raises(ValueError):
        HeldFile(one, {0: "proof"})
    with pytest.raises(IndexError):
        HeldFile(one, {1: "ciphertext"})
    with pytest.raises(ValueError):
        HeldFile(one, {0: "everywhere"})


# Over real WebRTC: a RoomPeer that holds a file serves it to another one on the file
# channel it opens once the link is ready.

TIMEOUT_S = 20


@pytest.fixture(scope="module")
def server_url():
    with running_server() as url:
        yield url


async def test_a_room_peer_serves_a_held_file_over_its_file_channel(server_url):
    secret = new_room_secret()
    key = new_file_key()
    server = RoomPeer(server_url, secret, "Ada")
    fetcher = RoomPeer(server_url, secret, "Bob")
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await server.start()
            await fetcher.start()
            held = server.hold_file(DATA, key, corrupt={2: "ciphertext"})
            [link] = await fetcher.wait_ready(1, TIMEOUT_S)
            # The fetcher holds no files: its link keeps Ada's file channel for us.
            taken = await fetcher.wait_for(lambda: link.link.take_channel(FILE_CHANNEL))
            channel, early = taken
            assert early == []
            received: asyncio.Queue[bytes] = asyncio.Queue()
            channel.on("message", received.put_nowait)
            # A channel carries both ways: ask on Ada's own channel.
            channel.send(ask("have?", held.root))
            channel.send(ask("want", held.root, first=0, count=COUNT))
            have = parse_file_frame(await received.get())
            assert (have.type, have.bits) == ("have", b"\x3f")
            chunks = [parse_file_frame(await received.get()) for _ in range(COUNT)]
    finally:
        await fetcher.close()
        await server.close()
    verdicts = [accepted(held, key, frame) for frame in chunks]
    assert verdicts == [True, True, False, True, True, True]
    assert held.served == [0, 1, 3, 4, 5] and held.corrupted == [2]
