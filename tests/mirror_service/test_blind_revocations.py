"""A blind mirror enforces device revocations (docs/protocol.md §13 "Revoking a device",
§12) in every room it has the control key of, founded or not: a revoked device's entries
from the revoke's `upTo` on are taken out of its log and store, and refused when they
arrive later (`removed`, not held against the link); with a removal of the same author
the smaller cap holds. A revoke counts only by the identity the device's own first entry
(a `device` control entry, certified by it) names. A room held without a control key
takes a later hold's."""

import pytest
from nacl.signing import SigningKey

from mirror import store
from parley_peer.blind_log import BlindEntry, BlindLog, entry_author_seq
from parley_peer.blind_replicator import BlindReplicator
from parley_peer.device_cert import certify_device
from parley_peer.encoding import b64url_decode
from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import entry_id
from parley_peer.keys import derive_room_keys, founded_room_keys, new_room_secret
from parley_peer.mirror_request import MirrorCapability
from parley_peer.room_peer import RoomPeer
from tests.mirror_service.writer import OFFLINE
from tests.mirror_service.writer import Writer as BaseWriter

CREATED = 1_699_000_000_000


class Writer(BaseWriter):
    """One author's own log, which can also revoke a device."""

    def revoke(self, device: "Writer", up_to: int, clock: int, by: "Writer | None" = None):
        """A `revoke` of `device`, with the certificate `by` made of it (the author's own
        by default)."""
        cert = certify_device((by or self).peer.identity, device.key, CREATED)
        body = {"device": b64(device.key), "upTo": up_to, "created": CREATED, "cert": b64(cert)}
        return self.write({"type": "revoke", **body}, clock)


@pytest.fixture
def people():
    """Ada, her linked device (which Ada certified) and Bob, in a room of `secret`."""
    secret = new_room_secret()
    ada, laptop, bob = (Writer(RoomPeer(OFFLINE, secret, name)) for name in ("A", "L", "B"))
    return secret, ada, laptop, bob


def device_entry(ada: Writer, laptop: Writer, clock: int, by: Writer | None = None) -> bytes:
    """The laptop's `device` entry naming Ada, with the certificate `by` made of it (Ada's
    by default), at the laptop's next sequence number."""
    cert = certify_device((by or ada).peer.identity, laptop.key, CREATED)
    first = {"identity": b64(ada.key), "created": CREATED, "cert": b64(cert), "name": "Laptop"}
    return laptop.write({"type": "device", **first}, clock)


def device_log(ada: Writer, laptop: Writer, count: int) -> list[bytes]:
    """The laptop's first entry, which names Ada, and messages after it."""
    entries = [device_entry(ada, laptop, 1)]
    return entries + [laptop.say(f"m{i}", i + 2) for i in range(count - 1)]


def test_a_revoked_devices_later_entries_are_taken_out_and_refused_in_an_unfounded_room(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)  # no founder
    held = device_log(ada, laptop, 3)
    assert len(log.ingest(held).added) == 3
    revoke = ada.revoke(laptop, 2, clock=4)  # Ada held two of the laptop's entries
    result = log.ingest([revoke])
    assert result.added and not result.rejected
    assert [entry.data for entry in log.take_removed()] == held[2:]
    assert log.revocations == {laptop.key: 2} and log.moderation.removals == {}
    assert log.cap(laptop.key) == 2 and log.caps == {laptop.key: 2}
    assert log.length(laptop.key) == 2 and log.bytes == sum(map(len, held[:2])) + len(revoke)
    # Asked for again (from a member who has not heard of the revocation), with a new one.
    later = log.ingest([held[2], laptop.say("after", 9)])
    assert later.rejected == ["removed", "removed"] and not later.added
    assert log.take_removed() == [], "what was never held is not the owner's to delete"
    assert log.cap(ada.key) is None


def test_a_revoke_by_someone_whose_device_it_is_not_changes_nothing(people):
    secret, ada, laptop, bob = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)
    log.ingest(device_log(ada, laptop, 3))
    log.ingest([ada.say("hello", 4)])
    # Bob carries Ada's certificate of her laptop: it is not his device to revoke.
    assert not log.ingest([bob.revoke(laptop, 0, clock=5, by=ada)]).rejected
    # Nor with a certificate of her laptop he made himself (anyone can sign one).
    assert not log.ingest([bob.revoke(laptop, 0, clock=6)]).rejected
    # Nor Ada herself, a person and no device, with his own certificate of her key.
    assert not log.ingest([bob.revoke(ada, 0, clock=7)]).rejected
    assert log.revocations == {} and log.caps == {} and log.take_removed() == []
    assert log.length(laptop.key) == 3 and log.length(ada.key) == 1
    # Ada's own revoke does count, on the word of the laptop's first entry.
    assert not log.ingest([ada.revoke(laptop, 1, clock=8)]).rejected
    assert log.revocations == {laptop.key: 1} and log.length(laptop.key) == 1


def test_a_devices_first_entry_is_what_makes_a_revoke_count(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)
    # The revoke arrives before anything of the device: the mirror keeps it, and it
    # counts once the device's first entry arrives.
    assert not log.ingest([ada.revoke(laptop, 1, clock=4)]).rejected
    assert log.revocations == {}
    result = log.ingest(device_log(ada, laptop, 3))
    assert len(result.added) == 1 and result.rejected == ["removed", "removed"]
    assert log.revocations == {laptop.key: 1} and log.length(laptop.key) == 1


@pytest.mark.parametrize("late", [False, True], ids=["uncertified", "not_first"])
def test_a_device_entry_not_first_or_not_certified_is_refused_and_makes_nobody_a_device(
    people, late
):
    secret, ada, laptop, bob = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)
    if late:  # a message first, then a device entry Ada did certify
        entries = [laptop.say("first", 1), device_entry(ada, laptop, 2)]
    else:  # first, naming Ada, but certified by Bob
        entries = [device_entry(ada, laptop, 1, by=bob), laptop.say("next", 2)]
    # Refused as members refuse it (§13), and the rest of the laptop's batch with it.
    result = log.ingest([*entries, laptop.say("more", 3)])
    assert result.rejected == ["malformed"] and len(result.added) == int(late)
    assert log.length(laptop.key) == int(late)
    # Neither Ada's revoke nor Bob's counts: the laptop is nobody's device.
    assert not log.ingest([ada.revoke(laptop, 0, clock=4), bob.revoke(laptop, 0, 5)]).rejected
    assert log.revocations == {} and log.take_removed() == []
    assert log.length(laptop.key) == int(late)


def test_a_log_loaded_from_its_store_opens_no_device_entry_members_refuse(people):
    """One stored before the mirror checked `device` entries is kept (it passed then)
    and names nobody: the revoke it would have let count does not."""
    secret, ada, laptop, bob = people
    keys = derive_room_keys(secret)
    datas = [
        device_entry(ada, laptop, 1, by=bob),
        laptop.say("next", 2),
        ada.revoke(laptop, 1, clock=3),
    ]
    stored = [BlindEntry(*entry_author_seq(data), entry_id(data), data) for data in datas]
    log = BlindLog(keys.discovery_key, stored, control_key=keys.control_key)
    assert log.length(laptop.key) == 2 and log.revocations == {}
    assert log.take_removed() == []


def test_the_first_revoke_in_room_order_decides(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)
    held = device_log(ada, laptop, 4)
    log.ingest(held)
    log.ingest([ada.revoke(laptop, 3, clock=5)])
    assert [entry.data for entry in log.take_removed()] == held[3:]
    log.ingest([ada.revoke(laptop, 1, clock=6)])  # a later one does not cut further
    assert log.cap(laptop.key) == log.length(laptop.key) == 3
    assert log.take_removed() == []


@pytest.mark.parametrize(("removal", "revocation"), [(3, 1), (1, 3)])
def test_with_a_removal_and_a_revocation_of_one_author_the_smaller_cap_holds(
    people, removal, revocation
):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)  # the founder as the mirror is given it
    log = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=ada.key)
    log.ingest(device_log(ada, laptop, 4))
    log.ingest([ada.write({"type": "remove", "member": b64(laptop.key), "upTo": removal}, 5)])
    assert log.cap(laptop.key) == removal
    log.ingest([ada.revoke(laptop, revocation, clock=6)])
    assert log.moderation.caps == {laptop.key: removal}
    assert log.revocations == {laptop.key: revocation}
    assert log.cap(laptop.key) == log.length(laptop.key) == 1


def test_a_log_without_the_control_key_takes_it_later_and_cuts_then(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key)  # held before requests carried the control key
    held = device_log(ada, laptop, 3)
    log.ingest([*held, ada.revoke(laptop, 1, clock=4)])
    assert log.length(laptop.key) == 3 and log.revocations == {}
    assert log.take_control_key(keys.control_key)
    assert [entry.data for entry in log.take_removed()] == held[1:]
    assert log.length(laptop.key) == 1
    assert log.ingest([held[1]]).rejected == ["removed"]
    assert not log.take_control_key(derive_room_keys(new_room_secret()).control_key)


def test_a_log_loaded_from_its_store_cuts_at_a_revocation_it_holds(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    datas = [*device_log(ada, laptop, 3), ada.revoke(laptop, 2, clock=4)]
    stored = [BlindEntry(*entry_author_seq(data), entry_id(data), data) for data in datas]
    log = BlindLog(keys.discovery_key, stored, control_key=keys.control_key)
    assert [entry.data for entry in log.take_removed()] == [datas[2]]
    assert log.length(laptop.key) == 2


def test_a_link_is_asked_once_for_a_revoked_devices_entries_past_its_cap(people):
    secret, ada, laptop, _ = people
    keys = derive_room_keys(secret)
    log = BlindLog(keys.discovery_key, control_key=keys.control_key)
    held = device_log(ada, laptop, 4)
    log.ingest([held[0], ada.revoke(laptop, 1, clock=5)])
    sent: list[dict] = []
    replicator = BlindReplicator(log, sent.append, log.ingest)
    heads = {"t": "heads", "heads": [{"author": b64(laptop.key), "length": 4, "head": "x"}]}
    replicator.receive(heads)
    [want] = [frame for frame in sent if frame["t"] == "want"]
    assert (b64url_decode(want["author"]), want["from"], want["to"]) == (laptop.key, 1, 4)
    replicator.receive({"t": "entries", "entries": [b64(data) for data in held[1:]]})
    assert replicator.strikes == 0, "a revoked device's entries are not the link's fault"
    assert log.length(laptop.key) == 1
    sent.clear()
    replicator.receive(heads)
    assert [frame for frame in sent if frame["t"] == "want"] == []
    # Asked again only once the peer holds more of that log; meanwhile that want holds
    # none of the link's open slots.
    heads["heads"][0]["length"] = 5
    replicator.receive(heads)
    [want] = [frame for frame in sent if frame["t"] == "want"]
    assert (want["from"], want["to"]) == (1, 5)


@pytest.mark.django_db
def test_the_store_gives_a_room_held_without_a_control_key_a_later_holds():
    keys = derive_room_keys(new_room_secret())
    older = MirrorCapability(keys.discovery_key, keys.membership_key)  # no control key
    keyed = MirrorCapability.of(keys)
    assert keyed.control_key == keys.control_key and keyed.founder is None
    assert store.hold(older, max_rooms=10).status == "new"
    held = store.hold(keyed, max_rooms=10)
    assert (held.status, held.capability) == ("keyed", keyed)
    [room] = store.load_rooms()
    assert room.capability == keyed
    # Kept: an older app's hold changes nothing, another control key is refused.
    assert store.hold(older, max_rooms=10) == store.Held("held", keyed)
    assert store.hold(keyed, max_rooms=10) == store.Held("held", keyed)
    other = MirrorCapability(keys.discovery_key, keys.membership_key, b"\x07" * 32)
    for request in (lambda: store.hold(other, 10), lambda: store.drop(other)):
        with pytest.raises(store.StoreRefusal) as refused:
            request()
        assert refused.value.code == "wrong_key"
    wrong_membership = MirrorCapability(keys.discovery_key, b"\x01" * 32, keys.control_key)
    with pytest.raises(store.StoreRefusal) as refused:
        store.hold(wrong_membership, 10)
    assert refused.value.code == "wrong_key"
    store.drop(keyed)
    assert store.load_rooms() == []


@pytest.mark.django_db
def test_a_founded_room_keeps_to_its_founder_and_control_key():
    secret, founder = new_room_secret(), SigningKey.generate().verify_key.encode()
    keys, commitment = founded_room_keys(secret, founder)
    founded = MirrorCapability.of(keys, founder, commitment)
    assert store.hold(founded, max_rooms=10).status == "new"
    unfounded = MirrorCapability.of(keys)  # the control key without the founder
    other = MirrorCapability(keys.discovery_key, keys.membership_key, b"\x07" * 32, founder)
    for wrong in (unfounded, other):
        with pytest.raises(store.StoreRefusal) as refused:
            store.hold(wrong, 10)
        assert refused.value.code == "wrong_key"
    assert store.hold(founded, 10).status == "held"
