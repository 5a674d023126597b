"""Which linked devices are revoked in a room (docs/protocol.md §13 "Revoking a device"),
from its `revoke` control entries: the Python twin of static/app/room/revocations.js, for
a blind mirror, which reads them with the control key in every room it holds.

    caps = evaluate_revocations(control_entries)   # device key -> upTo

A `revoke` counts only when its author is the identity whose certificate of the device
it carries, and the certificate verifies for `device` and `created`: nobody unlinks
another person's device. Revokes are taken in room order (clock, author key bytes, seq;
as the moderation takes control entries), and the first that counts for a device decides
its `upTo`: the device's entries from that sequence number on count for nobody.
"""

from collections.abc import Iterable

from parley_peer.device_cert import device_cert_verifies
from parley_peer.encoding import b64url_decode
from parley_peer.errors import EncodingError
from parley_peer.moderation import ControlEntry, room_order

REVOKE = "revoke"


def _revoked(entry: ControlEntry) -> tuple[bytes, int] | None:
    """(device, upTo) if this revoke counts, by its author's certificate."""
    body = entry.body
    try:
        device = b64url_decode(body["device"], 32)
        cert = b64url_decode(body["cert"], 64)
        # JSON allows 3.0 and 1e3 (the schema took them): they are 3 and 1000.
        up_to, created = int(body["upTo"]), int(body["created"])
    except (EncodingError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if not device_cert_verifies(entry.author, device, created, cert):
        return None
    return device, up_to


def evaluate_revocations(entries: Iterable[ControlEntry]) -> dict[bytes, int]:
    """Device key -> the `upTo` of the first revoke of it that counts, in room order."""
    revoked: dict[bytes, int] = {}
    revokes = [entry for entry in entries if entry.body.get("type") == REVOKE]
    for entry in sorted(revokes, key=room_order):
        counted = _revoked(entry)
        if counted is not None and counted[0] not in revoked:
            revoked[counted[0]] = counted[1]
    return revoked
