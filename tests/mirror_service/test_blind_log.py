"""parley_peer.blind_log: what a keyless holder keeps of a room (docs/protocol.md §12):
checks 1 to 4 of §7 with the discovery key alone, entries kept byte for byte."""

import pytest
from nacl.signing import SigningKey

from parley_peer.blind_log import BlindLog
from parley_peer.entry import EntryError, create_entry, open_entry
from parley_peer.keys import derive_room_keys, founded_room_keys, new_room_secret
from parley_peer.mirror_request import MirrorCapability
from parley_peer.room_peer import RoomPeer

OFFLINE = "http://127.0.0.1:9"  # never started: these peers only sign entries


def chain(author: RoomPeer, texts: list[str], start_clock: int = 1) -> list:
    entries, prev = [], None
    for seq, text in enumerate(texts):
        body = author.message_body(text, clock=start_clock + seq, ts=0)
        entry = author.make_entry(body, seq=seq, prev=prev)
        entries.append(entry)
        prev = entry.id
    return entries


@pytest.fixture
def room():
    secret = new_room_secret()
    return secret, RoomPeer(OFFLINE, secret, "Ada"), RoomPeer(OFFLINE, secret, "Bob")


def test_entries_of_two_authors_are_kept_byte_for_byte_in_any_order(room):
    secret, ada, bob = room
    log = BlindLog(derive_room_keys(secret).discovery_key)
    ada_entries, bob_entries = chain(ada, ["a0", "a1", "a2"]), chain(bob, ["b0"])
    result = log.ingest([e.data for e in reversed(ada_entries)] + [bob_entries[0].data])
    assert len(result.added) == 4 and not result.rejected
    assert log.range(ada.identity.verify_key.encode(), 0, 3) == [e.data for e in ada_entries]
    heads = {author: (length, head) for author, length, head in log.heads()}
    assert heads[ada.identity.verify_key.encode()] == (3, ada_entries[-1].id)
    assert log.bytes == sum(len(e.data) for e in ada_entries + bob_entries)
    again = log.ingest([ada_entries[0].data])
    assert again.duplicates == 1 and not again.added


def test_an_entry_of_another_room_a_damaged_one_and_a_broken_chain_are_refused(room):
    secret, ada, _ = room
    log = BlindLog(derive_room_keys(secret).discovery_key)
    other = RoomPeer(OFFLINE, new_room_secret(), "Ada elsewhere")
    damaged = bytearray(chain(ada, ["x"])[0].data)
    damaged[-70] ^= 1
    entries = chain(ada, ["a0", "a1"])
    broken = ada.make_entry(ada.message_body("a1'", clock=2, ts=0), seq=1, prev=b"\x07" * 32)
    result = log.ingest([chain(other, ["elsewhere"])[0].data, bytes(damaged), b"\x01" * 10])
    assert sorted(result.rejected) == ["bad_signature", "bad_signature", "malformed"]
    assert log.ingest([entries[0].data, broken.data]).rejected == ["broken_chain"]
    assert log.count() == 1


def test_a_gap_is_reported_and_a_fork_marks_the_author(room):
    secret, ada, _ = room
    log = BlindLog(derive_room_keys(secret).discovery_key)
    entries = chain(ada, ["a0", "a1", "a2"])
    gap = log.ingest([entries[0].data, entries[2].data])
    assert gap.gaps == [(ada.identity.verify_key.encode(), 2)] and log.count() == 1
    forked = ada.make_entry(ada.message_body("other", clock=1, ts=0), seq=0)
    result = log.ingest([forked.data])
    assert result.rejected == ["fork"] and result.forks == [ada.identity.verify_key.encode()]
    assert log.heads() == [] and log.range(ada.identity.verify_key.encode(), 0, 1) == []
    assert log.ingest([entries[1].data]).rejected == ["fork"]  # nothing more of that author


def test_a_quota_refuses_what_would_pass_it(room):
    secret, ada, _ = room
    log = BlindLog(derive_room_keys(secret).discovery_key)
    entries = chain(ada, ["a0", "a1", "a2"])
    room_bytes = len(entries[0].data) + len(entries[1].data)
    result = log.ingest([e.data for e in entries], room_bytes_left=room_bytes)
    assert len(result.added) == 2 and result.rejected == ["quota"]


def test_the_capability_alone_cannot_open_an_entry(room):
    secret, ada, _ = room
    # A founded room's capability: the control key opens control entries, not messages,
    # and the commitment only proves the founder.
    founder = ada.identity.verify_key.encode()
    keys, commitment = founded_room_keys(secret, founder)
    capability = MirrorCapability.of(keys, founder, commitment)
    entry = create_entry(
        identity=ada.identity,
        seq=0,
        body=ada.message_body("secret plans", clock=1, ts=0),
        message_key=keys.message_key,
        discovery_key=keys.discovery_key,
    )
    assert set(vars(capability).values()) == {
        keys.discovery_key, keys.membership_key, keys.control_key, founder, commitment
    }  # fmt: skip
    for key in vars(capability).values():
        with pytest.raises(EntryError) as caught:
            open_entry(entry.data, message_key=key, discovery_key=keys.discovery_key)
        assert caught.value.code == "undecryptable"
    assert b"secret plans" not in entry.data


def test_an_entry_made_with_the_capability_alone_is_refused_by_members(room):
    """A mirror can sign (it has a key of its own) but cannot post: whatever key of the
    capability it encrypts with, members cannot open the entry (§7 check 5)."""
    secret, ada, _ = room
    keys = derive_room_keys(secret)
    capability = MirrorCapability.of(keys)
    mirror = SigningKey.generate()
    for key in (capability.discovery_key, capability.membership_key):
        body = ada.message_body("posted by the mirror", clock=1, ts=0)
        entry = create_entry(
            identity=mirror,
            seq=0,
            prev=None,
            body=body,
            message_key=key,
            discovery_key=capability.discovery_key,
        )
        assert BlindLog(keys.discovery_key).ingest([entry.data]).added  # a mirror would keep it
        with pytest.raises(EntryError) as caught:
            open_entry(entry.data, message_key=keys.message_key, discovery_key=keys.discovery_key)
        assert caught.value.code == "undecryptable"
