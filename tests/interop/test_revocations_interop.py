"""Device revocations (docs/protocol.md §13 "Revoking a device") enforced by the
browser's RoomLog (static/app/room/revocations.js) and by a blind mirror's BlindLog
(parley_peer/revocations.py) from the same entries: both keep the same part of every
author's log, in rooms with a founder (where removals cap logs too) and without one.
The scenarios are made with seeded random draws (the same on every run): two people and
their linked devices write messages, people revoke devices (their own, whose revokes
count, and the other's, whose do not) while holding different parts of the room."""

import random

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


def scenario(draw: random.Random, keys, founded: bool) -> tuple[list[Member], list[Member]]:
    """(people, devices): Ada and Bob, Ada's two linked devices and Bob's one."""
    ada, bob = (Member(SigningKey(draw.randbytes(32))) for _ in range(2))
    devices = [Member(SigningKey(draw.randbytes(32))) for _ in range(3)]
    owner = {devices[0].key: ada, devices[1].key: ada, devices[2].key: bob}
    for device in devices:  # a linked device's first entry names its identity (§13)
        person = owner[device.key]
        first = {"identity": b64(person.key), **certificate(person, device), "name": "Device"}
        device.write(keys, {"type": "device", **first})
    everyone = [ada, bob, *devices]
    for step in range(STEPS):
        actor, device, action = draw.choice(everyone), draw.choice(devices), draw.random()
        held = len(actor.holds.get(device.key, []))
        if action < 0.45 or actor in devices:
            actor.write(keys, {"type": "message", "text": f"m{step}"})
        elif action < 0.65:
            # The certificate of the device's owner: it counts when the owner writes it.
            fields = {
                "device": b64(device.key),
                "upTo": held,
                **certificate(owner[device.key], device),
            }
            actor.write(keys, {"type": "revoke", **fields})
        elif action < 0.75 and founded and actor is ada:
            actor.write(keys, {"type": "remove", "member": b64(device.key), "upTo": held})
        else:
            actor.catch_up(draw.choice(everyone))
        if draw.random() < 0.3:  # the devices hear of the room too
            draw.choice(devices).catch_up(draw.choice(everyone))
    return [ada, bob], devices


def test_browser_and_mirror_keep_the_same_logs_after_revocations() -> None:
    draw = random.Random(20270113)
    requests, expected = [], []
    decisive = 0
    for number in range(SCENARIOS):
        founded = number % 2 == 0
        secret = draw.randbytes(32)
        keys = derive_room_keys(secret)
        people, devices = scenario(draw, keys, founded)
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
    results = run_js(*requests)
    assert [result["lengths"] for result in results] == expected
    # The draws do make revocations that take entries out, in most scenarios.
    assert decisive >= SCENARIOS // 2
