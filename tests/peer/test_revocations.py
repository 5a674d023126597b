"""Revoking a linked device (docs/protocol.md §13 "Revoking a device"): the `revoke` body
schema (§7), a control entry sealed with the control key, as the `device` entry is;
device certificates (§13 "Device certificate"); and which revokes count
(parley_peer/revocations.py): one whose author is the identity the device's own first
entry (a `device` entry, certified by that identity) names, the first in room order
deciding. The certificate a `revoke` carries proves nothing: anyone can make one."""

import hashlib

import pytest
from nacl.signing import SigningKey

from parley_peer.device_cert import certify_device, device_cert_verifies
from parley_peer.encoding import b64url_decode
from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import (
    CONTROL_TYPES,
    ENTRY_TYPES,
    EntryError,
    create_entry,
    is_entry_body,
    open_entry,
)
from parley_peer.keys import derive_room_keys, new_room_secret
from parley_peer.moderation import ControlEntry, evaluate_moderation
from parley_peer.revocations import devices_of, evaluate_revocations

TS = 1_700_000_000_000
CREATED = 1_699_000_000_000


def key_of(signing: SigningKey) -> bytes:
    return bytes(signing.verify_key)


def revoke_body(device: bytes, up_to: float, cert: bytes, created: int = CREATED) -> dict:
    return {
        "type": "revoke",
        "ts": TS,
        "clock": 1,
        "device": b64(device),
        "upTo": up_to,
        "created": created,
        "cert": b64(cert),
    }


# The schema (§7).

ADA, DEVICE = SigningKey(b"\x01" * 32), SigningKey(b"\x02" * 32)
CERT = certify_device(ADA, key_of(DEVICE), CREATED)
GOOD = revoke_body(key_of(DEVICE), 3, CERT)
NON_CANONICAL_ID = GOOD["device"][:-1] + chr(ord(GOOD["device"][-1]) ^ 1)


def test_revoke_and_device_are_control_types_listed_after_settings():
    assert CONTROL_TYPES == ("role", "remove", "revoke", "device")
    settings = ENTRY_TYPES.index("settings")
    assert ENTRY_TYPES[settings : settings + 3] == ("settings", "revoke", "device")


@pytest.mark.parametrize(
    "changes",
    [{}, {"upTo": 0}, {"upTo": 2**53 - 1}, {"upTo": 3.0}, {"created": 0}, {"created": 1e12}],
)
def test_a_revoke_body_of_the_schema(changes):
    assert is_entry_body({**GOOD, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"device": None},
        {"device": b64(bytes(31))},
        {"device": NON_CANONICAL_ID},
        {"upTo": -1},
        {"upTo": 1.5},
        {"upTo": 2**53},
        {"upTo": "3"},
        {"upTo": True},
        {"created": -1},
        {"created": "1"},
        {"created": 2**53},
        {"cert": GOOD["cert"][:-1]},
        {"cert": b64(bytes(32))},
        {"cert": GOOD["cert"] + "A"},
        {"member": GOOD["device"]},
        {"name": "Laptop"},
    ],
)
def test_a_revoke_body_off_the_schema(changes):
    assert not is_entry_body({**GOOD, **changes})


@pytest.mark.parametrize("missing", ["device", "upTo", "created", "cert", "clock", "ts"])
def test_a_revoke_body_missing_a_key(missing):
    assert not is_entry_body({key: value for key, value in GOOD.items() if key != missing})


def device_body(identity: SigningKey, device: SigningKey, created: int = CREATED) -> dict:
    """A `device` entry's body: `device` is a device of `identity`, which certified it."""
    cert = certify_device(identity, key_of(device), created)
    return {
        "type": "device",
        "ts": TS,
        "clock": 1,
        "identity": b64(key_of(identity)),
        "created": created,
        "cert": b64(cert),
        "name": "Laptop",
    }


@pytest.mark.parametrize(
    ("author", "body"), [(ADA, GOOD), (DEVICE, device_body(ADA, DEVICE))], ids=["revoke", "device"]
)
def test_a_revoke_and_a_device_entry_open_with_the_control_key_only(author, body):
    keys = derive_room_keys(new_room_secret())

    def sealed(key: bytes) -> bytes:
        return create_entry(
            identity=author,
            seq=0,
            body=body,
            message_key=key,
            discovery_key=keys.discovery_key,
        ).data

    options = {"message_key": keys.message_key, "discovery_key": keys.discovery_key}
    opened = open_entry(sealed(keys.control_key), **options, control_key=keys.control_key)
    assert opened.body == body
    with pytest.raises(EntryError) as caught:
        open_entry(sealed(keys.message_key), **options, control_key=keys.control_key)
    assert caught.value.code == "malformed"


# Device certificates (§13).


def test_a_certificate_verifies_for_its_identity_device_and_time_only():
    device = key_of(DEVICE)
    assert len(CERT) == 64
    assert device_cert_verifies(key_of(ADA), device, CREATED, CERT)
    assert not device_cert_verifies(key_of(DEVICE), device, CREATED, CERT)
    assert not device_cert_verifies(key_of(ADA), key_of(ADA), CREATED, CERT)
    assert not device_cert_verifies(key_of(ADA), device, CREATED + 1, CERT)
    assert not device_cert_verifies(key_of(ADA), device, CREATED, CERT[:63] + b"\0")
    assert not device_cert_verifies(key_of(ADA), device, True, CERT)
    assert not device_cert_verifies(key_of(ADA), device, -1, CERT)
    assert not device_cert_verifies(key_of(ADA)[:31], device, CREATED, CERT)


def test_the_certificate_signs_the_documented_bytes():
    signed = b"parley-device-v1" + key_of(DEVICE) + CREATED.to_bytes(8, "big")
    assert CERT == ADA.sign(signed).signature


# Which revokes count.


class Log:
    """Control entries of the room, as a mirror holds them: one chain per author."""

    def __init__(self) -> None:
        self.seqs: dict[bytes, int] = {}

    def entry(self, author: SigningKey, body: dict, clock: int) -> ControlEntry:
        seq = self.seqs.get(key_of(author), 0)
        self.seqs[key_of(author)] = seq + 1
        body = {**body, "clock": clock}
        made_up_id = hashlib.blake2b(repr((author, seq)).encode(), digest_size=32).digest()
        return ControlEntry(key_of(author), seq, clock, made_up_id, body)

    def device(
        self, device: SigningKey, identity: SigningKey, clock: int = 1, **certified
    ) -> ControlEntry:
        """`device`'s `device` entry naming `identity`, at the device's next sequence
        number (0 in a fresh log), with the certificate `by` made (`identity`'s by
        default)."""
        body = device_body(certified.get("by", identity), device, certified.get("created", CREATED))
        body["identity"] = b64(key_of(identity))
        return self.entry(device, body, clock)

    def revoke(
        self, author: SigningKey, device: SigningKey, up_to: float, clock: int, **certified
    ) -> ControlEntry:
        """A `revoke` carrying the certificate `by` made of the device (the author's own
        by default)."""
        identity = certified.get("by", author)
        created = certified.get("created", CREATED)
        cert = certify_device(identity, key_of(device), created)
        return self.entry(author, revoke_body(key_of(device), up_to, cert, created), clock)


def test_a_revoke_by_the_identity_its_device_entry_names_counts():
    log = Log()
    first = log.device(DEVICE, ADA)
    assert devices_of([first]) == {key_of(DEVICE): key_of(ADA)}
    assert evaluate_revocations([first, log.revoke(ADA, DEVICE, 4, clock=2)]) == {key_of(DEVICE): 4}


def test_without_the_devices_own_device_entry_no_revoke_counts():
    # The old rule took the revoke's certificate as the proof: it verifies here, and
    # still nothing counts while the device has not said whose it is.
    log = Log()
    revoke = log.revoke(ADA, DEVICE, 4, clock=2)
    assert evaluate_revocations([revoke]) == {}
    assert evaluate_revocations([revoke, log.device(DEVICE, ADA, clock=3)]) == {
        key_of(DEVICE): 4
    }, "the device entry counts wherever it is in room order"


def test_a_revoke_by_someone_else_does_not_count_even_with_a_true_certificate():
    log, bob = Log(), SigningKey.generate()
    first = log.device(DEVICE, ADA)
    # Bob carries Ada's certificate of her device: the device is Ada's, not Bob's.
    assert evaluate_revocations([first, log.revoke(bob, DEVICE, 0, clock=2, by=ADA)]) == {}
    # Nor does her device's other device unlink it: only the identity it names does.
    other = SigningKey.generate()
    entries = [first, log.device(other, ADA), log.revoke(other, DEVICE, 0, clock=3, by=ADA)]
    assert evaluate_revocations(entries) == {}


def test_a_revoke_with_a_certificate_its_author_made_of_another_persons_device_is_void():
    log, bob = Log(), SigningKey.generate()
    first = log.device(DEVICE, ADA)
    # Anyone can sign a certificate of any key: Bob's of Ada's device verifies for Bob,
    # and proves nothing, before or after the device's entry in room order.
    forged = log.revoke(bob, DEVICE, 0, clock=2)
    assert device_cert_verifies(
        key_of(bob), key_of(DEVICE), CREATED, b64url_decode(forged.body["cert"])
    )
    early = log.revoke(bob, DEVICE, 0, clock=0)
    assert evaluate_revocations([first, forged, early]) == {}
    # Ada's revoke still counts after Bob's: his did not take her device's place.
    assert evaluate_revocations([first, forged, log.revoke(ADA, DEVICE, 3, clock=4)]) == {
        key_of(DEVICE): 3
    }


def test_the_device_entry_decides_not_the_certificate_the_revoke_carries():
    log, bob = Log(), SigningKey.generate()
    first = log.device(DEVICE, ADA)
    # Ada's revoke carrying a certificate Bob made, or one for another time, counts:
    # what proves the device hers is the device's own entry.
    assert evaluate_revocations([first, log.revoke(ADA, DEVICE, 2, clock=2, by=bob)]) == {
        key_of(DEVICE): 2
    }
    stale = log.revoke(ADA, DEVICE, 1, clock=3)
    stale.body["created"] = CREATED + 1
    assert evaluate_revocations([first, stale]) == {key_of(DEVICE): 1}


def test_nobody_revokes_a_person():
    log, bob = Log(), SigningKey.generate()
    ada_writes = log.entry(ADA, {"type": "role", "member": b64(key_of(bob)), "role": "admin"}, 1)
    # Bob's revoke of Ada's identity key, with his own certificate of it.
    by_bob = log.revoke(bob, ADA, 0, clock=2)
    # Nor her linked device's, with a certificate of her key she never made either.
    first = log.device(DEVICE, ADA)
    by_device = log.revoke(DEVICE, ADA, 0, clock=3)
    # And Ada's own, with her own certificate of her key: her first entry is no `device`
    # entry, so she is nobody's device.
    by_herself = log.revoke(ADA, ADA, 0, clock=4)
    entries = [ada_writes, by_bob, first, by_device, by_herself]
    assert devices_of(entries) == {key_of(DEVICE): key_of(ADA)}
    assert evaluate_revocations(entries) == {}


def test_a_device_entry_not_first_or_not_certified_makes_its_author_nobodys_device():
    bob = SigningKey.generate()

    def evaluated(*firsts: ControlEntry) -> tuple[dict, dict]:
        entries = [*firsts, log.revoke(ADA, DEVICE, 0, clock=9)]
        return devices_of(entries), evaluate_revocations(entries)

    # Not at seq 0: after a message the device entry names nobody.
    log = Log()
    log.seqs[key_of(DEVICE)] = 1
    assert evaluated(log.device(DEVICE, ADA)) == ({}, {})
    # A certificate Bob made, naming Ada.
    log = Log()
    assert evaluated(log.device(DEVICE, ADA, by=bob)) == ({}, {})
    # Ada's certificate of another key, or made at another time than the entry says.
    log = Log()
    other = log.device(DEVICE, ADA)
    other.body["cert"] = b64(certify_device(ADA, key_of(bob), CREATED))
    assert evaluated(other) == ({}, {})
    log = Log()
    stale = log.device(DEVICE, ADA)
    stale.body["created"] = CREATED + 1
    assert evaluated(stale) == ({}, {})
    # A body that does not parse names nobody either.
    log = Log()
    broken = log.device(DEVICE, ADA)
    broken.body["identity"] = "not base64url!"
    assert evaluated(broken) == ({}, {})
    # The same entry, first and certified, does; the revocation keeps it (upTo 0 is 1).
    log = Log()
    assert evaluated(log.device(DEVICE, ADA)) == (
        {key_of(DEVICE): key_of(ADA)},
        {key_of(DEVICE): 1},
    )


def test_the_first_revoke_that_counts_in_room_order_decides():
    log, bob = Log(), SigningKey.generate()
    first = log.device(DEVICE, ADA)
    early = log.revoke(ADA, DEVICE, 5, clock=3)
    later = log.revoke(ADA, DEVICE, 2, clock=7)
    void = log.revoke(bob, DEVICE, 1, clock=1, by=ADA)  # first, but not Bob's to revoke
    assert evaluate_revocations([later, void, first, early]) == {key_of(DEVICE): 5}
    # On equal clocks the lower author key bytes come first, then the lower seq.
    first_of_nine = log.revoke(ADA, DEVICE, 8, clock=9)
    second_of_nine = log.revoke(ADA, DEVICE, 6, clock=9)
    assert evaluate_revocations([second_of_nine, first, first_of_nine]) == {key_of(DEVICE): 8}


def test_each_device_has_its_own_revocation_and_other_control_entries_are_not_revokes():
    log, laptop, bob = Log(), SigningKey.generate(), SigningKey.generate()
    devices = [log.device(DEVICE, ADA), log.device(laptop, ADA)]
    role = log.entry(ADA, {"type": "role", "member": b64(key_of(bob)), "role": "admin"}, 1)
    remove = log.entry(ADA, {"type": "remove", "member": b64(key_of(DEVICE)), "upTo": 0}, 2)
    revokes = [log.revoke(ADA, DEVICE, 1, clock=3), log.revoke(ADA, laptop, 2.0, clock=4)]
    caps = evaluate_revocations([role, remove, *devices, *revokes])
    assert caps == {key_of(DEVICE): 1, key_of(laptop): 2}
    assert all(isinstance(up_to, int) for up_to in caps.values())
    # A device entry revokes nothing of itself.
    assert evaluate_revocations([role, remove, *devices]) == {}


def test_the_moderation_reads_role_and_remove_only():
    log, bob = Log(), SigningKey.generate()
    role = log.entry(ADA, {"type": "role", "member": b64(key_of(DEVICE)), "role": "admin"}, 1)
    first = log.device(DEVICE, ADA, clock=2)
    revoke = log.revoke(ADA, DEVICE, 1, clock=3)
    # A device entry or a revoke that looked like a removal to the moderation would
    # remove someone: Bob by the device (an admin by then), the device by Ada.
    first.body.update(member=b64(key_of(bob)), upTo=0)
    revoke.body["member"] = revoke.body["device"]
    assert evaluate_revocations([role, first, revoke]) == {key_of(DEVICE): 1}
    moderation = evaluate_moderation([role, first, revoke], key_of(ADA))
    assert moderation.removals == {}
    assert moderation.roles == {key_of(ADA): "admin", key_of(DEVICE): "admin"}
