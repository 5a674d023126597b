"""Device revocations (docs/protocol.md §13 "Revoking a device") enforced by the
browser's RoomLog (static/app/room/revocations.js) and by a blind mirror's BlindLog
(parley_peer/revocations.py) from the same entries: both keep the same part of every
author's log, in rooms with a founder (where removals cap logs too) and without one.
The scenarios are made with seeded random draws (the same on every run): two people and
their linked devices write messages, people revoke devices (their own, whose revokes
count, and the other's, whose do not, even with a certificate of the device they made
themselves) and each other (a person is nobody's device) while holding different parts
of the room. A key whose `device` entry is not its first, or not certified by the
identity it names, is refused by both."""

import random
from dataclasses import dataclass

from nacl.signing import SigningKey

from parley_peer.blind_log import BlindLog
from parley_peer.device_cert import certify_device
from parley_peer.encoding import b64url_encode as b64
from parley_peer.keys import derive_room_keys
from tests.interop.conftest import run_js
from tests.interop.test_moderation_interop import Member

SCENARIOS = 24
STEPS = 40
CREATED = 1_690_000_000_000


def certificate(owner: Member, device: Member) -> dict:
    cert = certify_device(owner.identity, device.key, CREATED)
    return {"created": CREATED, "cert": b64(cert)}


@dataclass
class Scenario:
    people: list[Member]  # Ada and Bob
    devices: list[Member]  # Ada's two linked devices and Bob's one
    rogue: Member  # claims to be Ada's device without her certificate, or not at first
    claim_at: int  # the seq of the rogue's `device` entry: what of its log passes
    void: int  # revokes written that cannot count: not the author's device


def scenario(draw: random.Random, keys, founded: bool) -> Scenario:
    ada, bob = (Member(SigningKey(draw.randbytes(32))) for _ in range(2))
    devices = [Member(SigningKey(draw.randbytes(32))) for _ in range(3)]
    owner = {devices[0].key: ada, devices[1].key: ada, devices[2].key: bob}
    for device in devices:  # a linked device's first entry names its identity (§13)
        person = owner[device.key]
        first = {"identity": b64(person.key), **certificate(person, device), "name": "Device"}
        device.write(keys, {"type": "device", **first})
    rogue, void = Member(SigningKey(draw.randbytes(32))), 0
    if draw.random() < 0.5:  # Ada's certificate, after a message
        rogue.write(keys, {"type": "message", "text": "first"})
        claim = certificate(ada, rogue)
    else:  # first, naming Ada, with Bob's certificate
        claim = certificate(bob, rogue)
    claim_at = len(rogue.holds.get(rogue.key, []))
    rogue.write(keys, {"type": "device", "identity": b64(ada.key), **claim, "name": "Rogue"})
    rogue.write(keys, {"type": "message", "text": "after"})
    people = [ada, bob]
    writers, everyone = [*people, *devices], [*people, *devices, rogue]
    for step in range(STEPS):
        actor, device, action = draw.choice(writers), draw.choice(devices), draw.random()
        if action < 0.45 or actor in devices:
            actor.write(keys, {"type": "message", "text": f"m{step}"})
        elif action < 0.65:
            # The certificate of the device's owner, or one the actor made itself of the
            # device or of a person: it counts only when the device is the actor's.
            kind = draw.random()
            target = draw.choice([*people, rogue]) if kind < 0.15 else device
            signer = owner[device.key] if kind >= 0.3 else actor
            fields = {
                "device": b64(target.key),
                "upTo": len(actor.holds.get(target.key, [])),
                **certificate(signer, target),
            }
            actor.write(keys, {"type": "revoke", **fields})
            void += target is not device or owner[device.key] is not actor
        elif action < 0.75 and founded and actor is ada:
            held = len(actor.holds.get(device.key, []))
            actor.write(keys, {"type": "remove", "member": b64(device.key), "upTo": held})
        else:
            actor.catch_up(draw.choice(everyone))
        if draw.random() < 0.3:  # the devices hear of the room too
            draw.choice(devices).catch_up(draw.choice(everyone))
    return Scenario(people, devices, rogue, claim_at, void)


def test_browser_and_mirror_keep_the_same_logs_after_revocations() -> None:
    draw = random.Random(20270113)
    requests, expected = [], []
    decisive = void = 0
    for number in range(SCENARIOS):
        founded = number % 2 == 0
        secret = draw.randbytes(32)
        keys = derive_room_keys(secret)
        drawn = scenario(draw, keys, founded)
        people, devices = drawn.people, [*drawn.devices, drawn.rogue]
        founder = people[0].key if founded else None
        everything = Member(SigningKey.generate())
        for member in [*people, *devices]:
            everything.catch_up(member)
        entries = [data for log in everything.holds.values() for data, _ in log]
        mirror = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=founder)
        for log in everything.holds.values():  # one author at a time
            mirror.ingest([data for data, _ in log])
        shuffled = entries[:]
        draw.shuffle(shuffled)
        authors = [b64(member.key) for member in [*people, *devices]]
        requests.append({
            "op": "moderate",
            "secret": b64(secret),
            "founder": b64(founder) if founder else None,
            "batches": [[b64(data) for data in shuffled]] * 2 + [[b64(data) for data in entries]],
            "people": authors,
        })  # fmt: skip
        lengths = {b64(m.key): mirror.length(m.key) for m in [*people, *devices]}
        expected.append(lengths)
        decisive += any(
            mirror.revocations.get(d.key, len(everything.holds[d.key]))
            < len(everything.holds[d.key])
            for d in devices
        )
        # Only a device's owner unlinks it: never a person, nor the rogue key, whose
        # log ends before its `device` entry.
        assert set(mirror.revocations) <= {d.key for d in drawn.devices}
        assert mirror.length(drawn.rogue.key) == drawn.claim_at
        void += drawn.void
    results = run_js(*requests)
    assert [result["lengths"] for result in results] == expected
    # The draws do make revocations that take entries out, in most scenarios, and
    # revokes that count for nothing.
    assert decisive >= SCENARIOS // 2
    assert void >= SCENARIOS
