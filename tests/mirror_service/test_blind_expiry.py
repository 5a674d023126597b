"""A blind mirror and disappearing messages (docs/protocol.md §7 "Disappearing messages",
§12): it takes version 2 entries and their stubs (a stub only once due, check 8), keeps
an entry that is due as its stub, strips the others at their `expires` and never serves
one whole after it, and forgets a file at the `expires` its `keep` gave. Time is a clock
the test moves."""

import asyncio
import hashlib

import nacl.bindings
import pytest
from nacl.signing import SigningKey

from mirror.expiry import ExpiryTimer
from mirror.held_room import HeldRoomPeer, RoomLimits
from parley_peer.blind_files import BlindFile
from parley_peer.blind_log import BlindEntry, BlindLog, wall_clock_ms
from parley_peer.blind_replicator import BlindReplicator
from parley_peer.encoding import b64url_encode as b64
from parley_peer.encoding import dump_json_utf8
from parley_peer.entry import STUB_BYTES, STUB_EARLY_MS, entry_id, entry_stub
from parley_peer.keys import derive_room_keys, new_room_secret
from parley_peer.mirror_request import MirrorCapability
from parley_peer.room_peer import RoomPeer
from parley_peer.signaling import SignalingClient
from tests.mirror_service.writer import OFFLINE, TS, Writer

MINUTE = 60_000


class Clock:
    def __init__(self, now: int = TS) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def room():
    secret = new_room_secret()
    clock = Clock()
    ada, bob = (Writer(RoomPeer(OFFLINE, secret, name)) for name in ("Ada", "Bob"))
    return derive_room_keys(secret), clock, ada, bob


def test_a_stub_is_taken_only_once_due_and_counts_against_the_link_before(room):
    keys, clock, ada, _ = room
    log = BlindLog(keys.discovery_key, clock=clock)
    first = ada.say("in five minutes", 1, TS + 5 * MINUTE)
    then = ada.say("v1 after it", 2)
    sent = []
    replicator = BlindReplicator(log, sent.append, log.ingest)
    replicator.receive({"t": "entries", "entries": [b64(entry_stub(first)), b64(then)]})
    assert log.length(ada.key) == 0 and replicator.strikes == 1  # the rest went with it
    clock.now = TS + 5 * MINUTE - STUB_EARLY_MS - 1
    assert log.ingest([entry_stub(first)]).rejected == ["not_expired"]
    clock.now += 1  # within 30 s of its expiry: due, give or take the clocks
    result = log.ingest([entry_stub(first), then])
    assert not result.rejected and log.range(ada.key, 0, 2) == [entry_stub(first), then]
    assert log.bytes == STUB_BYTES + len(then)


def test_an_entry_due_when_it_arrives_is_kept_as_its_stub(room):
    keys, clock, ada, _ = room
    clock.now = TS + MINUTE
    log = BlindLog(keys.discovery_key, clock=clock)
    due = ada.say("gone already", 1, TS + MINUTE)
    [added] = log.ingest([due]).added
    assert added.data == entry_stub(due) and log.bytes == STUB_BYTES
    assert log.next_expiry() is None


def test_entries_are_stripped_at_their_expiry_and_never_served_whole_after_it(room):
    keys, clock, ada, bob = room
    log = BlindLog(keys.discovery_key, clock=clock)
    later, sooner = TS + 60 * MINUTE, TS + 5 * MINUTE
    a0, a1 = ada.say("an hour", 1, later), ada.say("kept", 2)
    b0 = bob.say("five minutes", 3, sooner)
    assert len(log.ingest([a0, a1, b0]).added) == 3
    whole_bytes = len(a0) + len(a1) + len(b0)
    assert log.bytes == whole_bytes and log.next_expiry() == sooner
    clock.now = sooner - 1
    assert log.strip_due() == [] and log.range(bob.key, 0, 1) == [b0]
    clock.now = sooner
    # Served as its stub even before the sweep ran (it may lag).
    assert log.range(bob.key, 0, 1) == [entry_stub(b0)]
    [stripped] = log.strip_due()
    assert (stripped.author, stripped.seq, stripped.data) == (bob.key, 0, entry_stub(b0))
    assert log.bytes == whole_bytes - len(b0) + STUB_BYTES
    assert log.next_expiry() == later
    assert log.heads() and dict((a, h) for a, _, h in log.heads())[bob.key] == stripped.id
    clock.now = later + 1
    assert log.range(ada.key, 0, 2) == [entry_stub(a0), a1]
    assert [e.data for e in log.strip_due()] == [entry_stub(a0)] and log.next_expiry() is None
    assert log.bytes == 2 * STUB_BYTES + len(a1)
    # A log loaded with a whole entry that expired meanwhile strips it at once.
    loaded = BlindLog(keys.discovery_key, [BlindEntry(ada.key, 0, entry_id(a0), a0)], clock=clock)
    assert [e.data for e in loaded.strip_due()] == [entry_stub(a0)]


def test_an_entry_and_its_stub_are_the_same_entry_not_a_fork(room):
    keys, clock, ada, _ = room
    log = BlindLog(keys.discovery_key, clock=clock)
    data = ada.say("soon", 1, TS + MINUTE)
    log.ingest([data])
    clock.now = TS + MINUTE
    assert log.ingest([entry_stub(data)]).duplicates == 1
    log.strip_due()
    assert log.ingest([data]).duplicates == 1 and not log.forked
    assert log.range(ada.key, 0, 1) == [entry_stub(data)]


def test_a_version_2_entry_the_control_key_opens_is_not_a_control_entry(room):
    keys, clock, ada, bob = room
    log = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=ada.key, clock=clock)
    remove = dump_json_utf8(
        {"type": "remove", "ts": TS, "clock": 1, "member": b64(bob.key), "upTo": 0}
    )
    nonce = bytes(24)
    header = b"".join([
        b"\x02", ada.key, bytes(8), bytes(32), nonce, (TS + MINUTE).to_bytes(8, "big"),
        (len(remove) + 16).to_bytes(4, "big"),
    ])  # fmt: skip
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        remove, b"parley-entry-v2" + header, nonce, keys.control_key
    )
    signed = header + hashlib.blake2b(ciphertext, digest_size=32).digest()
    identity: SigningKey = ada.peer.identity
    signature = identity.sign(b"parley-entry-sig-v2" + keys.discovery_key + signed).signature
    result = log.ingest([signed + ciphertext + signature])
    assert result.rejected == ["malformed"] and not log.moderation.caps


def test_a_removal_cuts_a_log_of_stubs_and_refuses_later_stubs(room):
    keys, clock, ada, bob = room
    log = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=ada.key, clock=clock)
    expires = TS + MINUTE
    bobs = [bob.say(f"b{i}", i + 1, expires) for i in range(3)]
    log.ingest(bobs[:2])
    clock.now = expires
    log.strip_due()
    assert log.bytes == 2 * STUB_BYTES
    removal = ada.write({"type": "remove", "member": b64(bob.key), "upTo": 1}, 5)
    assert log.ingest([removal]).added
    assert [e.data for e in log.take_removed()] == [entry_stub(bobs[1])]
    assert log.bytes == STUB_BYTES + len(removal) and log.length(bob.key) == 1
    later = log.ingest([entry_stub(bobs[1]), entry_stub(bobs[2])])
    assert later.rejected == ["removed", "removed"] and log.length(bob.key) == 1


# The room a mirror service holds: its keeps and its sweep, with a store that records.


class Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str):
        async def record(topic: str, *args: object) -> None:
            self.calls.append((name, *args))

        return record


class Forgetful:
    """Stands for a member's BlindFileLink: what the room tells it to forget."""

    def __init__(self) -> None:
        self.forgotten: list[bytes] = []

    def forget(self, root: bytes) -> None:
        self.forgotten.append(root)

    def fetch(self, file: BlindFile) -> None:
        pass


def held_room(keys, clock: Clock, store: Recorded, armed: list) -> HeldRoomPeer:
    signaling = SignalingClient(OFFLINE)
    return HeldRoomPeer(
        MirrorCapability.of(keys),
        BlindLog(keys.discovery_key, clock=clock),
        [],
        signaling=signaling,
        ice=None,  # type: ignore[arg-type]  (never linked)
        identity=SigningKey.generate(),
        limits=RoomLimits(max_bytes=1 << 30, entries_per_second=1, entries_burst=1),
        store=store,
        on_expiry=armed.append,
    )


def keep(root: bytes, expires: int | None = None) -> dict:
    frame = {"t": "keep", "root": b64(root), "size": 1000}
    return frame if expires is None else {**frame, "expires": expires}


async def test_a_kept_file_goes_at_the_earliest_expires_a_member_gave(room):
    keys, clock, _, _ = room
    store, armed = Recorded(), []
    held = held_room(keys, clock, store, armed)
    link = Forgetful()
    held.file_links["member"] = link  # type: ignore[index]
    root, forever = b"\x01" * 32, b"\x02" * 32
    held._keep(keep(root, TS + 10 * MINUTE), None)
    held._keep(keep(root, TS + 5 * MINUTE), None)  # earlier: counts
    held._keep(keep(root, TS + 20 * MINUTE), None)  # later: does not
    held._keep(keep(root), None)  # without one: neither
    held._keep(keep(forever), None)
    held._keep(keep(b"\x03" * 32, TS), None)  # due already: ignored
    await held.flushed()
    assert held.files[root].expires == TS + 5 * MINUTE and b"\x03" * 32 not in held.files
    assert armed == [TS + 10 * MINUTE, TS + 5 * MINUTE] and held.next_expiry() == TS + 5 * MINUTE
    assert [call[-1] for call in store.calls] == [TS + 10 * MINUTE, TS + 5 * MINUTE, None]
    held.files[root].chunks[0] = (b"c" * 1016, [])
    used = held.bytes_used
    held.sweep(TS + 5 * MINUTE - 1)
    assert root in held.files
    held.sweep(TS + 5 * MINUTE)
    await held.flushed()
    assert list(held.files) == [forever] and link.forgotten == [root]
    assert store.calls[-1] == ("forget_due_files", TS + 5 * MINUTE)
    assert held.bytes_used == used - BlindFile(root, 1000).ciphertext_size
    assert held.next_expiry() is None


async def test_a_held_room_strips_its_entries_in_memory_then_in_the_database(room):
    keys, clock, ada, _ = room
    store, armed = Recorded(), []
    held = held_room(keys, clock, store, armed)
    entries = [ada.say("an hour", 1, TS + 60 * MINUTE), ada.say("a minute", 2, TS + MINUTE)]
    held._ingest(None, entries + [ada.say("forever", 3)])  # type: ignore[arg-type]
    assert armed == [TS + MINUTE] and held.next_expiry() == TS + MINUTE
    held.sweep(TS + MINUTE)
    await held.flushed()
    assert [call[0] for call in store.calls] == ["save_entries", "strip_due"]
    assert store.calls[-1] == ("strip_due", TS + MINUTE)
    assert held.log.range(ada.key, 1, 2) == [entry_stub(entries[1])]
    assert held.next_expiry() == TS + 60 * MINUTE


async def test_the_expiry_timer_sweeps_at_the_moment_of_expiry():
    swept: list[int] = []
    due: list[int] = []

    async def sweep(now: int) -> int | None:
        swept.append(now)
        while due and due[0] <= now:
            due.pop(0)
        return due[0] if due else None

    timer = ExpiryTimer(wall_clock_ms, sweep)
    task = asyncio.ensure_future(timer.run())
    try:
        await asyncio.sleep(0.05)
        assert len(swept) == 1  # at start; then it sleeps (up to a minute) for nothing
        expires = wall_clock_ms() + 300
        due.append(expires)
        timer.arm(expires)
        await asyncio.sleep(0.05)
        assert len(swept) == 2 and swept[-1] < expires  # woken to sleep until then
        for _ in range(100):
            if len(swept) == 3:
                break
            await asyncio.sleep(0.02)
        assert len(swept) == 3 and expires <= swept[-1] <= expires + 1000
        assert timer.next is None
    finally:
        task.cancel()


async def test_a_sweep_that_fails_is_tried_again(monkeypatch):
    monkeypatch.setattr("mirror.expiry.RETRY_S", 0.05)
    calls: list[int] = []

    async def sweep(now: int) -> int | None:
        calls.append(now)
        if len(calls) == 1:
            raise OSError("the database is away")
        return None

    task = asyncio.ensure_future(ExpiryTimer(wall_clock_ms, sweep).run())
    try:
        for _ in range(100):
            if len(calls) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(calls) == 2
    finally:
        task.cancel()
