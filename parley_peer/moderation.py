"""Who is removed from a founded room (docs/protocol.md §7 "Moderation"): the Python twin
of static/app/room/moderation.js, for a blind mirror, which reads the room's control
entries with the control key and nothing else. The moderation reads `role` and `remove`
only; `revoke` (§13) is parley_peer/revocations.py's.

    moderation = evaluate_moderation(control_entries, founder)
    moderation.caps        # author -> how much of their log counts (the removed only)
    moderation.roles       # author -> "admin" | "moderator"

The rules, in short (the protocol has them whole): control entries in room order (clock,
author key bytes, seq); each counts if its author holds the role it needs at that point;
a removal caps the removed member's log at `upTo`, and voids their control entries from
there on even when those come first in room order (the evaluation then starts again; a
removal that then no longer counts is void itself, and its void dropped).
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


# The control entries the moderation reads.
MODERATION_TYPES = ("role", "remove")


def room_order(entry: ControlEntry) -> tuple[int, bytes, int]:
    """Room order (§8): clock, then author key bytes, then sequence number."""
    return (entry.clock, entry.author, entry.seq)


@dataclass(frozen=True)
class _Beaten:
    cause: bytes  # the removal's entry id
    member: bytes
    start: int  # the seq from which the member's control entries are void


def _one_pass(
    control: list[ControlEntry], founder: bytes, void_from: dict[bytes, int], voided: set[bytes]
) -> tuple[Moderation, list[ControlEntry]] | _Beaten:
    """The moderation and the entries that counted, or what a removal beat that was
    applied already."""
    moderation = Moderation(roles={founder: "admin"})
    roles, removals = moderation.roles, moderation.removals
    applied: list[ControlEntry] = []
    for entry in control:
        if entry.id in voided or entry.seq >= void_from.get(entry.author, entry.seq + 1):
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
        else:  # "remove": evaluate_moderation hands over nothing but `role` and `remove`
            if not (actor == "admin" or (actor == "moderator" and member not in roles)):
                continue
            up_to = int(entry.body["upTo"])  # JSON allows 3.0; it is 3
            removals[member] = (entry.author, up_to)
            roles.pop(member, None)
            if any(earlier.author == member and earlier.seq >= up_to for earlier in applied):
                return _Beaten(entry.id, member, up_to)
        applied.append(entry)
    return moderation, applied


def _member(body: dict) -> bytes | None:
    try:
        return b64url_decode(body["member"], 32)
    except (EncodingError, KeyError, TypeError):
        return None


def evaluate_moderation(entries: list[ControlEntry], founder: bytes) -> Moderation:
    moderating = [entry for entry in entries if entry.body.get("type") in MODERATION_TYPES]
    control = sorted(moderating, key=room_order)
    voids: dict[bytes, _Beaten] = {}  # removal id -> what it beat
    voided: set[bytes] = set()  # removals that voided the ground they stood on
    # Each removal gives at most one void until it is itself voided (for good): it ends.
    while True:
        void_from: dict[bytes, int] = {}
        for beaten in voids.values():
            void_from[beaten.member] = min(void_from.get(beaten.member, beaten.start), beaten.start)
        result = _one_pass(control, founder, void_from, voided)
        if isinstance(result, _Beaten):
            voids[result.cause] = result
            continue
        moderation, applied = result
        counted = {entry.id for entry in applied}
        groundless = [cause for cause in voids if cause not in counted]
        if not groundless:
            return moderation
        for cause in groundless:
            del voids[cause]
            voided.add(cause)
