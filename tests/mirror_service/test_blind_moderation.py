"""A blind mirror enforces removals in a founded room (docs/protocol.md §7 "Moderation",
§12): with the control key and the founder it opens `role` and `remove` entries and
nothing else, and a removed member's entries from the removal's `upTo` on are taken out
of its log and store, or refused when they arrive later."""

import pytest
from nacl.signing import SigningKey

from mirror import store
from parley_peer.blind_log import BlindLog
from parley_peer.encoding import b64url_encode as b64
from parley_peer.keys import derive_room_keys, new_room_secret
from parley_peer.mirror_request import MirrorCapability
from parley_peer.room_peer import RoomPeer
from tests.mirror_service.writer import OFFLINE, TS, Writer


@pytest.fixture
def founded():
    secret = new_room_secret()
    ada, bob, cy = (Writer(RoomPeer(OFFLINE, secret, name)) for name in ("Ada", "Bob", "Cy"))
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=ada.key)
    return keys, log, ada, bob, cy


def test_a_removal_takes_out_the_removed_members_later_entries_and_refuses_new_ones(founded):
    keys, log, ada, bob, _ = founded
    before = bob.write({"type": "message", "text": "before"}, 1)
    concurrent = bob.write({"type": "message", "text": "unseen by Ada"}, 2)
    assert len(log.ingest([before, concurrent]).added) == 2
    removal = ada.write({"type": "remove", "member": b64(bob.key), "upTo": 1}, 2)
    result = log.ingest([removal])
    assert result.added and not result.rejected
    assert [entry.data for entry in log.take_removed()] == [concurrent]
    assert log.length(bob.key) == 1 and log.cap(bob.key) == 1
    assert log.bytes == len(before) + len(removal)
    # Asked for again (from a member who has not heard of the removal), with a new one.
    later = log.ingest([concurrent, bob.write({"type": "message", "text": "after"}, 9)])
    assert later.rejected == ["removed", "removed"] and not later.added
    assert log.length(bob.key) == 1
    assert log.take_removed() == [], "what was never held is not the owner's to delete"


def test_two_admins_who_remove_each_other_with_equal_clocks_the_lower_key_wins(founded):
    keys, log, ada, bob, _ = founded
    log.ingest([ada.write({"type": "role", "member": b64(bob.key), "role": "admin"}, 1)])
    ada_removes = ada.write({"type": "remove", "member": b64(bob.key), "upTo": 0}, 2)
    bob_removes = bob.write({"type": "remove", "member": b64(ada.key), "upTo": 1}, 2)
    log.ingest([bob_removes])
    log.ingest([ada_removes])
    winner, loser = sorted([ada.key, bob.key])
    assert set(log.moderation.removals) == {loser}
    assert log.moderation.roles.get(winner) == "admin"


def test_without_the_founder_or_by_a_member_nothing_is_removed(founded):
    keys, log, ada, bob, cy = founded
    log.ingest([cy.write({"type": "remove", "member": b64(bob.key), "upTo": 0}, 1)])
    assert log.moderation.removals == {}
    unfounded = BlindLog(keys.discovery_key)
    unfounded.ingest([ada.write({"type": "remove", "member": b64(bob.key), "upTo": 0}, 1)])
    unfounded.ingest([bob.write({"type": "message", "text": "still here"}, 3)])
    assert unfounded.length(bob.key) == 1


def test_an_entry_the_control_key_opens_must_be_a_control_entry(founded):
    keys, log, ada, _, _ = founded
    sneaky = RoomPeer(OFFLINE, new_room_secret(), "Sneaky")
    sneaky.room_keys = keys.__class__(**{**vars(keys), "message_key": keys.control_key})
    entry = sneaky.make_entry({"type": "message", "text": "x", "ts": TS, "clock": 1})
    result = log.ingest([entry.data])
    assert result.rejected == ["malformed"] and not result.added


@pytest.mark.django_db
def test_the_store_keeps_a_founded_rooms_capability_and_deletes_removed_entries(founded):
    keys, log, ada, bob, _ = founded
    capability = MirrorCapability.of(keys, ada.key)
    assert store.hold(capability, max_rooms=10)
    with pytest.raises(store.StoreRefusal) as refused:
        store.hold(MirrorCapability.of(keys, SigningKey.generate().verify_key.encode()), 10)
    assert refused.value.code == "wrong_key"
    entries = [bob.write({"type": "message", "text": f"{i}"}, i + 1) for i in range(3)]
    added = log.ingest(entries).added
    store.save(capability.topic, added, [])
    log.ingest([ada.write({"type": "remove", "member": b64(bob.key), "upTo": 1}, 9)])
    store.delete_entries(capability.topic, log.take_removed())
    [room] = store.load_rooms()
    assert room.capability == capability
    assert [entry.seq for entry in room.entries] == [0]
    reloaded = BlindLog(
        keys.discovery_key, room.entries, control_key=keys.control_key, founder=ada.key
    )
    assert reloaded.length(bob.key) == 1


def test_a_removal_that_voids_its_own_authors_ground_counts_for_nothing(founded):
    keys, log, ada, bob, cy = founded
    log.ingest([
        ada.write({"type": "role", "member": b64(cy.key), "role": "moderator"}, 1),
        ada.write({"type": "role", "member": b64(bob.key), "role": "admin"}, 2),
    ])  # fmt: skip
    log.ingest([bob.write({"type": "remove", "member": b64(ada.key), "upTo": 0}, 3)])
    assert log.moderation.removals == {}
    assert log.moderation.roles == {ada.key: "admin", bob.key: "admin", cy.key: "moderator"}
    assert log.length(ada.key) == 2


def test_a_removal_written_with_a_json_float_counts_as_its_integer(founded):
    keys, log, ada, bob, _ = founded
    log.ingest([bob.write({"type": "message", "text": "x"}, 1)])
    log.ingest([ada.write({"type": "remove", "member": b64(bob.key), "upTo": 1.0}, 2)])
    log.ingest([bob.write({"type": "message", "text": "y"}, 3)])
    assert log.length(bob.key) == 1 and log.cap(bob.key) == 1
