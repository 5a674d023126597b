"""mirror/store.py: a kept file comes back after a restart with its chunk format, so the
restarted service checks its chunks with the right hash (docs/protocol.md §11, §12);
expired entries become stubs and expired files go, with the room's bytes (§7
"Disappearing messages"), in a database that overwrites what it deletes."""

import nacl.utils
import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from mirror import store
from mirror.models import HeldChunk, HeldEntry, HeldFile, HeldRoom
from parley_peer.blind_log import BlindEntry
from parley_peer.entry import STUB_BYTES
from parley_peer.files import encrypt_file
from parley_peer.keys import new_room_secret
from parley_peer.mirror_request import MirrorCapability
from parley_peer.room_peer import RoomPeer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", [1, 2])
def test_a_kept_file_is_loaded_again_with_its_chunk_format(version):
    capability = MirrorCapability(nacl.utils.random(32), nacl.utils.random(32))
    assert store.hold(capability, max_rooms=10)
    encrypted = encrypt_file(b"\x05" * 1000, version=version)
    store.keep_file(capability.topic, encrypted.root, 1000, version)
    proof = encrypted.tree.proof(0)
    store.save_chunk(capability.topic, encrypted.root, 0, encrypted.ciphertexts[0], proof)
    [room] = store.load_rooms()
    [file] = room.files
    assert (file.root, file.size, file.version) == (encrypted.root, 1000, version)
    assert file.chunks == {0: (encrypted.ciphertexts[0], proof)}


# Disappearing messages (§7): stubs at expiry, files forgotten at the `expires` of a keep.

TS = 1_700_000_000_000
MINUTE = 60_000


def held_room() -> str:
    capability = MirrorCapability(nacl.utils.random(32), nacl.utils.random(32))
    store.hold(capability, max_rooms=10)
    return capability.topic


def entries_of(topic: str) -> list[tuple[bytes, int | None]]:
    rows = HeldEntry.objects.filter(room__topic=topic).order_by("seq")
    return [(bytes(row.data), row.expires) for row in rows]


def bytes_stored(topic: str) -> int:
    return HeldRoom.objects.get(topic=topic).bytes_stored


def secure_delete() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        return cursor.fetchone()[0]


def test_the_database_overwrites_what_it_deletes():
    assert secure_delete() == 1
    # Some SQLite builds have it on already: a connection of one that has not is made to.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = OFF")
    assert secure_delete() == 0
    connection_created.send(sender=type(connection), connection=connection)
    assert secure_delete() == 1


def test_entries_become_stubs_in_the_database_at_their_expiry():
    topic, other = held_room(), held_room()
    ada = RoomPeer("http://127.0.0.1:9", new_room_secret(), "Ada")
    entries, prev = [], None
    for seq, expires in enumerate([TS + MINUTE, None, TS + 5 * MINUTE]):
        body = ada.message_body(f"line {seq}", clock=seq + 1, ts=TS)
        entry = ada.make_entry(body, seq, prev, expires=expires)
        entries.append(BlindEntry(ada.identity.verify_key.encode(), seq, entry.id, entry.data))
        prev = entry.id
    stub = entries[0].stripped()
    store.save(topic, entries, [])
    store.save(other, [stub], [])  # a stub is stored without an expiry: nothing to strip
    whole = sum(len(e.data) for e in entries)
    assert bytes_stored(topic) == whole
    assert [expires for _, expires in entries_of(topic)] == [TS + MINUTE, None, TS + 5 * MINUTE]
    assert entries_of(other) == [(stub.data, None)]
    assert store.next_expiry() == TS + MINUTE
    assert store.strip_due(topic, TS + MINUTE - 1) == 0
    assert store.strip_due(topic, TS + MINUTE) == 1
    assert entries_of(topic)[0] == (stub.data, None) and entries_of(topic)[1][0] == entries[1].data
    assert bytes_stored(topic) == whole - len(entries[0].data) + STUB_BYTES
    assert store.sweep_all(TS + 5 * MINUTE) is None  # every room, straight in the database
    assert entries_of(topic)[2] == (entries[2].stripped().data, None)
    assert bytes_stored(topic) == 2 * STUB_BYTES + len(entries[1].data)
    assert bytes_stored(other) == STUB_BYTES
    [loaded] = [room for room in store.load_rooms() if room.capability.topic == topic]
    expected = [entries[0].stripped(), entries[1], entries[2].stripped()]
    assert [e.data for e in loaded.entries] == [e.data for e in expected]


def test_a_file_and_its_chunks_go_at_the_earliest_expires_kept():
    topic = held_room()
    encrypted = encrypt_file(b"\x05" * 1000)
    proof = encrypted.tree.proof(0)
    store.keep_file(topic, encrypted.root, 1000, 1, TS + 10 * MINUTE)
    store.keep_file(topic, encrypted.root, 1000, 1, TS + 5 * MINUTE)
    store.keep_file(topic, encrypted.root, 1000, 1, TS + 20 * MINUTE)
    store.keep_file(topic, encrypted.root, 1000, 1, None)
    store.keep_file(topic, b"\x09" * 32, 1000, 1)  # kept for good
    store.save_chunk(topic, encrypted.root, 0, encrypted.ciphertexts[0], proof)
    store.save_chunk(topic, b"\x09" * 32, 0, b"x" * 1016, proof)
    assert bytes_stored(topic) == 2 * 1016
    [room] = store.load_rooms()
    assert {file.root: file.expires for file in room.files} == {
        encrypted.root: TS + 5 * MINUTE, b"\x09" * 32: None
    }  # fmt: skip
    assert store.next_expiry() == TS + 5 * MINUTE
    assert store.forget_due_files(topic, TS + 5 * MINUTE - 1) == []
    assert store.forget_due_files(topic, TS + 5 * MINUTE) == [encrypted.root]
    assert list(HeldFile.objects.values_list("root", flat=True)) == [b"\x09" * 32]
    assert HeldChunk.objects.count() == 1 and bytes_stored(topic) == 1016
    assert store.next_expiry() is None
