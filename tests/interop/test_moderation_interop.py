"""Moderation (docs/protocol.md §7 "Moderation") evaluated by the browser's RoomLog
(static/app/room/moderation.js) and by a blind mirror's BlindLog
(parley_peer/moderation.py) from the same entries: both keep the same part of every
author's log. The scenarios are made with seeded random draws (the same on every run):
members write messages, name roles and remove each other while holding different parts
of the room, so removals race and admins remove each other."""

import random
from dataclasses import dataclass, field

from nacl.signing import SigningKey

from parley_peer.blind_log import BlindLog
from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import CONTROL_TYPES, ZERO_ID, create_entry, entry_id
from parley_peer.keys import RoomKeys, derive_room_keys
from tests.interop.conftest import run_js

SCENARIOS = 24
STEPS = 40


@dataclass
class Member:
    identity: SigningKey
    # What this member holds: author -> [(entry bytes, clock)]
    holds: dict[bytes, list[tuple[bytes, int]]] = field(default_factory=dict)

    @property
    def key(self) -> bytes:
        return bytes(self.identity.verify_key)

    def max_clock(self) -> int:
        return max((clock for log in self.holds.values() for _, clock in log), default=0)

    def write(self, keys: RoomKeys, body: dict) -> None:
        own = self.holds.setdefault(self.key, [])
        clock = self.max_clock() + 1
        prev = entry_id(own[-1][0]) if own else ZERO_ID
        control = body["type"] in CONTROL_TYPES
        entry = create_entry(
            identity=self.identity,
            seq=len(own),
            prev=None if prev == ZERO_ID else prev,
            body={**body, "ts": 1_700_000_000_000 + clock, "clock": clock},
            message_key=keys.control_key if control else keys.message_key,
            discovery_key=keys.discovery_key,
        )
        own.append((entry.data, clock))

    def catch_up(self, other: "Member") -> None:
        for author, log in other.holds.items():
            mine = self.holds.setdefault(author, [])
            mine.extend(log[len(mine) :])


def scenario(draw: random.Random, keys: RoomKeys) -> list[Member]:
    members = [Member(SigningKey(draw.randbytes(32))) for _ in range(5)]
    for step in range(STEPS):
        actor = draw.choice(members)
        target = draw.choice(members)
        action = draw.random()
        if step < 3 or action < 0.3:
            actor.write(keys, {"type": "message", "text": f"m{step}"})
        elif action < 0.5:
            role = draw.choice(["admin", "moderator", "member"])
            actor.write(keys, {"type": "role", "member": b64(target.key), "role": role})
        elif action < 0.65:
            held = len(actor.holds.get(target.key, []))
            actor.write(keys, {"type": "remove", "member": b64(target.key), "upTo": held})
        else:
            actor.catch_up(draw.choice(members))
    return members


def test_browser_and_mirror_keep_the_same_logs_after_racing_removals() -> None:
    draw = random.Random(20261205)
    requests, expected = [], []
    decisive = 0
    for _ in range(SCENARIOS):
        secret = draw.randbytes(32)
        keys = derive_room_keys(secret)
        members = scenario(draw, keys)
        founder = members[0].key
        everything = Member(SigningKey.generate())
        for member in members:
            everything.catch_up(member)
        entries = [data for log in everything.holds.values() for data, _ in log]
        mirror = BlindLog(keys.discovery_key, control_key=keys.control_key, founder=founder)
        # The mirror takes them in one author at a time, the browser in random batches.
        for log in everything.holds.values():
            mirror.ingest([data for data, _ in log])
        shuffled = entries[:]
        draw.shuffle(shuffled)
        people = [b64(member.key) for member in members]
        requests.append({
            "op": "moderate",
            "secret": b64(secret),
            "founder": b64(founder),
            # Twice: entries that came before their predecessors are taken on the second.
            "batches": [[b64(data) for data in shuffled]] * 2 + [[b64(data) for data in entries]],
            "people": people,
        })  # fmt: skip
        lengths = {b64(member.key): mirror.length(member.key) for member in members}
        roles = {
            b64(member.key): "removed"
            if member.key in mirror.moderation.removals
            else mirror.moderation.roles.get(member.key, "member")
            for member in members
        }
        expected.append({"lengths": lengths, "roles": roles})
        decisive += any(lengths[b64(m.key)] < len(everything.holds.get(m.key, [])) for m in members)
    results = run_js(*requests)
    assert results == expected
    # The draws do make removals that take entries out, in most scenarios.
    assert decisive >= SCENARIOS // 2
