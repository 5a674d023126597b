"""Revoking a linked device (docs/protocol.md §13 "Revoking a device"): the `revoke` body
schema (§7), a control entry sealed with the control key; device certificates (§13
"Device certificate"); and which revokes count (parley_peer/revocations.py): one whose
author is the identity that certified the device, the first in room order deciding."""

import hashlib

import pytest
from nacl.signing import SigningKey

from parley_peer.device_cert import certify_device, device_cert_verifies
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
from parley_peer.revocations import evaluate_revocations

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


def test_revoke_is_a_control_type_listed_after_settings_and_before_device():
    assert CONTROL_TYPES == ("role", "remove", "revoke")
    assert ENTRY_TYPES[-3:] == ("settings", "revoke", "device")


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


def test_a_revoke_opens_with_the_control_key_only():
    keys = derive_room_keys(new_room_secret())

    def sealed(key: bytes) -> bytes:
        return create_entry(
            identity=ADA,
            seq=0,
            body=GOOD,
            message_key=key,
            discovery_key=keys.discovery_key,
        ).data

    options = {"message_key": keys.message_key, "discovery_key": keys.discovery_key}
    opened = open_entry(sealed(keys.control_key), **options, control_key=keys.control_key)
    assert opened.body == GOOD
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

    def revoke(
        self, author: SigningKey, device: SigningKey, up_to: float, clock: int, **certified
    ) -> ControlEntry:
        identity = certified.get("by", author)
        created = certified.get("created", CREATED)
        cert = certify_device(identity, key_of(device), created)
        return self.entry(author, revoke_body(key_of(device), up_to, cert, created), clock)


def test_a_revoke_by_the_identity_that_certified_the_device_counts():
    log = Log()
    assert evaluate_revocations([log.revoke(ADA, DEVICE, 4, clock=2)]) == {key_of(DEVICE): 4}


def test_a_revoke_by_someone_else_does_not_count_even_with_a_true_certificate():
    log, bob = Log(), SigningKey.generate()
    # Bob carries Ada's certificate of her device: it verifies for Ada, not for Bob.
    assert evaluate_revocations([log.revoke(bob, DEVICE, 0, clock=1, by=ADA)]) == {}
    # Nor does Ada's revoke count with a certificate someone else made of the device.
    assert evaluate_revocations([log.revoke(ADA, DEVICE, 0, clock=2, by=bob)]) == {}
    # A certificate for another time does not verify.
    forged = log.revoke(ADA, DEVICE, 0, clock=3)
    forged.body["created"] = CREATED + 1
    assert evaluate_revocations([forged]) == {}


def test_the_first_revoke_that_counts_in_room_order_decides():
    log, bob = Log(), SigningKey.generate()
    early = log.revoke(ADA, DEVICE, 5, clock=3)
    later = log.revoke(ADA, DEVICE, 2, clock=7)
    void = log.revoke(bob, DEVICE, 1, clock=1, by=ADA)  # first, but not Bob's to revoke
    assert evaluate_revocations([later, void, early]) == {key_of(DEVICE): 5}
    # On equal clocks the lower author key bytes come first, then the lower seq.
    first, second = log.revoke(ADA, DEVICE, 8, clock=9), log.revoke(ADA, DEVICE, 6, clock=9)
    assert evaluate_revocations([second, first]) == {key_of(DEVICE): 8}


def test_each_device_has_its_own_revocation_and_other_control_entries_are_not_revokes():
    log, laptop, bob = Log(), SigningKey.generate(), SigningKey.generate()
    role = log.entry(ADA, {"type": "role", "member": b64(key_of(bob)), "role": "admin"}, 1)
    remove = log.entry(ADA, {"type": "remove", "member": b64(key_of(DEVICE)), "upTo": 0}, 2)
    revokes = [log.revoke(ADA, DEVICE, 1, clock=3), log.revoke(ADA, laptop, 2.0, clock=4)]
    caps = evaluate_revocations([role, remove, *revokes])
    assert caps == {key_of(DEVICE): 1, key_of(laptop): 2}
    assert all(isinstance(up_to, int) for up_to in caps.values())


def test_the_moderation_reads_role_and_remove_only():
    log = Log()
    role = log.entry(ADA, {"type": "role", "member": b64(key_of(DEVICE)), "role": "moderator"}, 1)
    revoke = log.revoke(ADA, DEVICE, 0, clock=2)
    # A revoke that looked like a removal to the moderation would remove the device.
    revoke.body["member"] = revoke.body["device"]
    moderation = evaluate_moderation([role, revoke], key_of(ADA))
    assert moderation.removals == {}
    assert moderation.roles == {key_of(ADA): "admin", key_of(DEVICE): "moderator"}
