"""Which linked devices are revoked in a room (docs/protocol.md §13 "Revoking a device"),
from its `revoke` control entries: the Python twin of static/app/room/revocations.js, for
a blind mirror, which reads them with the control key in every room it holds.

    caps = evaluate_revocations(control_entries)   # device key -> upTo

A `revoke` counts only when the device is one of its author's in this room: the
device's first entry is a `device` entry (a control entry too) naming the revoke's author,
whose certificate of the device verifies. Anyone can sign a certificate of any key, so
the one a `revoke` carries proves nothing alone: nobody unlinks another person's device,
nor another person. Revokes are taken in room order (clock, author key bytes, seq;
as the moderation takes control entries), and the first that counts for a device decides
its `upTo`: the device's entries from that sequence number on count for nobody.
"""

from collections.abc import Iterable

from parley_peer.device_cert import device_cert_verifies
from parley_peer.encoding import b64url_decode
from parley_peer.errors import EncodingError
from parley_peer.moderation import ControlEntry, room_order

REVOKE, DEVICE = "revoke", "device"


def _owner(entry: ControlEntry) -> bytes | None:
    """The identity a `device` entry makes its author a device of: only as the author's
    first entry, certified by that identity."""
    body = entry.body
    try:
        identity = b64url_decode(body["identity"], 32)
        cert = b64url_decode(body["cert"], 64)
        created = int(body["created"])
    except (EncodingError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if entry.seq != 0 or not device_cert_verifies(identity, entry.author, created, cert):
        return None
    return identity


def devices_of(entries: Iterable[ControlEntry]) -> dict[bytes, bytes]:
    """Device key -> the identity whose device it is, from the `device` entries."""
    owners: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.body.get("type") == DEVICE:
            owner = _owner(entry)
            if owner is not None:
                owners[entry.author] = owner
    return owners


def _revoked(entry: ControlEntry, owners: dict[bytes, bytes]) -> tuple[bytes, int] | None:
    """(device, upTo) if this revoke counts: the device is its author's."""
    body = entry.body
    try:
        device = b64url_decode(body["device"], 32)
        # JSON allows 3.0 and 1e3 (the schema took them): they are 3 and 1000.
        up_to = int(body["upTo"])
    except (EncodingError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if owners.get(device) != entry.author:
        return None
    # The device's `device` entry (its first) always stays: it makes the revocation count.
    return device, max(up_to, 1)


def evaluate_revocations(entries: Iterable[ControlEntry]) -> dict[bytes, int]:
    """Device key -> the `upTo` of the first revoke of it that counts, in room order."""
    revoked: dict[bytes, int] = {}
    entries = list(entries)
    owners = devices_of(entries)
    revokes = [entry for entry in entries if entry.body.get("type") == REVOKE]
    for entry in sorted(revokes, key=room_order):
        counted = _revoked(entry, owners)
        if counted is not None and counted[0] not in revoked:
            revoked[counted[0]] = counted[1]
    return revoked
