"""Who is removed from a founded room (docs/protocol.md §7 "Moderation"): the Python twin
of static/app/room/moderation.js, for a blind mirror, which reads the room's control
entries (`role`, `remove`) with the control key and nothing else.

    moderation = evaluate_moderation(control_entries, founder)
    moderation.caps        # author -> how much of their log counts (the removed only)
    moderation.roles       # author -> "admin" | "moderator"

The rules, in short (the protocol has them whole): control entries in room order (clock,
author key bytes, seq); each counts if its author holds the role it needs at that point;
a removal caps the removed member's log at `upTo`, and voids their control entries from
there on even when those come first in room order (the evaluation then starts again).
tests/interop/test_moderation_interop.py checks that both twins agree.
"""

from dataclasses import dataclass, field

from parley_peer.encoding import b64url_decode
from parley_peer.errors import EncodingError


@dataclass(frozen=True)
class ControlEntry:
    author: bytes
    seq: int
    clock: int
    id: bytes
    body: dict


@dataclass
class Moderation:
    roles: dict[bytes, str] = field(default_factory=dict)
    removals: dict[bytes, tuple[bytes, int]] = field(default_factory=dict)  # -> (by, upTo)

    @property
    def caps(self) -> dict[bytes, int]:
        return {member: up_to for member, (_, up_to) in self.removals.items()}


def _room_order(entry: ControlEntry) -> tuple[int, bytes, int]:
    return (entry.clock, entry.author, entry.seq)


def _one_pass(
    control: list[ControlEntry], founder: bytes, void_from: dict[bytes, int]
) -> Moderation | tuple[bytes, int]:
    """The moderation, or (member, seq) when a removal beat entries already applied."""
    moderation = Moderation(roles={founder: "admin"})
    roles, removals = moderation.roles, moderation.removals
    applied: list[ControlEntry] = []
    for entry in control:
        if entry.seq >= void_from.get(entry.author, entry.seq + 1):
            continue
        actor = None if entry.author in removals else roles.get(entry.author)
        member = _member(entry.body)
        if member is None or member in removals or member == entry.author:
            continue
        if entry.body["type"] == "role":
            if actor != "admin":
                continue
            if entry.body["role"] == "member":
                roles.pop(member, None)
            else:
                roles[member] = entry.body["role"]
        else:
            if not (actor == "admin" or (actor == "moderator" and member not in roles)):
                continue
            up_to = entry.body["upTo"]
            removals[member] = (entry.author, up_to)
            roles.pop(member, None)
            if any(earlier.author == member and earlier.seq >= up_to for earlier in applied):
                return (member, up_to)
        applied.append(entry)
    return moderation


def _member(body: dict) -> bytes | None:
    try:
        return b64url_decode(body["member"], 32)
    except (EncodingError, KeyError, TypeError):
        return None


def evaluate_moderation(entries: list[ControlEntry], founder: bytes) -> Moderation:
    control = sorted(entries, key=_room_order)
    void_from: dict[bytes, int] = {}
    while True:
        result = _one_pass(control, founder, void_from)
        if isinstance(result, Moderation):
            return result
        member, seq = result
        void_from[member] = seq  # strictly lower than before for this member: it ends
