"""Every database access of the mirror service (mirror/models.py), synchronous: the
service calls them through `sync_to_async`, one at a time (Django's ORM is synchronous,
and SQLite takes one writer).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Min, Sum
from django.db.models.functions import Length
from django.utils import timezone

from mirror.models import ForkedAuthor, HeldChunk, HeldEntry, HeldFile, HeldRoom
from parley_peer.blind_files import BlindFile
from parley_peer.blind_log import BlindEntry
from parley_peer.encoding import b64url_decode
from parley_peer.entry import entry_stub
from parley_peer.mirror_request import MirrorCapability


class StoreRefusal(Exception):
    """A request the store refuses, with the reply code of §12."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StoredRoom:
    capability: MirrorCapability
    touched: datetime.datetime
    entries: list[BlindEntry]
    forked: list[bytes]
    files: list[BlindFile]


def _capability(room: HeldRoom) -> MirrorCapability:
    control = None if room.control_key is None else bytes(room.control_key)
    founder = None if room.founder is None else bytes(room.founder)
    return MirrorCapability(
        b64url_decode(room.topic, 32), bytes(room.membership_key), control, founder
    )


def load_rooms() -> list[StoredRoom]:
    rooms = []
    for room in HeldRoom.objects.order_by("created"):
        entries = [
            BlindEntry(bytes(e.author), e.seq, bytes(e.entry_id), bytes(e.data))
            for e in room.entries.order_by("author", "seq")
        ]
        forked = [bytes(f.author) for f in room.forked.all()]
        files = []
        for held in room.files.all():
            file = BlindFile(bytes(held.root), held.size, held.format, held.expires)
            for chunk in held.chunks.all():
                proof = bytes(chunk.proof)
                nodes = [proof[i : i + 32] for i in range(0, len(proof), 32)]
                file.chunks[chunk.index] = (bytes(chunk.ciphertext), nodes)
            files.append(file)
        rooms.append(StoredRoom(_capability(room), room.touched, entries, forked, files))
    return rooms


@dataclass(frozen=True)
class Held:
    """What a `hold` did: `new` (a room not held before), `keyed` (a room held without a
    control key took the request's, §12) or `held` (nothing); and the room's capability
    as stored now."""

    status: str
    capability: MirrorCapability


def _refuses(room: HeldRoom, capability: MirrorCapability) -> bool:
    """`wrong_key` (§12): another membership key, founder or control key than the room
    is held with. A request without a control key (an older app's) names no other one."""
    stored = _capability(room)
    if (stored.membership_key, stored.founder) != (capability.membership_key, capability.founder):
        return True
    return None not in (stored.control_key, capability.control_key) and (
        stored.control_key != capability.control_key
    )


def hold(capability: MirrorCapability, max_rooms: int) -> Held:
    """Keep the room (a room held without a control key takes the request's). Refuses
    `full` and `wrong_key`."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=capability.topic).first()
        if room is not None:
            if _refuses(room, capability):
                raise StoreRefusal("wrong_key")
            if room.control_key is None and capability.control_key is not None:
                room.control_key = capability.control_key
                room.save(update_fields=["control_key"])
                return Held("keyed", _capability(room))
            return Held("held", _capability(room))
        if HeldRoom.objects.count() >= max_rooms:
            raise StoreRefusal("full")
        HeldRoom.objects.create(
            topic=capability.topic,
            membership_key=capability.membership_key,
            control_key=capability.control_key,
            founder=capability.founder,
            touched=timezone.now(),
        )
        return Held("new", capability)


def drop(capability: MirrorCapability) -> None:
    """Forget the room and its entries. Refuses `not_held` and `wrong_key`."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=capability.topic).first()
        if room is None:
            raise StoreRefusal("not_held")
        if _refuses(room, capability):
            raise StoreRefusal("wrong_key")
        room.delete()


def save(topic: str, entries: list[BlindEntry], forked: list[bytes]) -> None:
    """Store new entries and fork marks of a room, and count it touched."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=topic).first()
        if room is None:
            return  # dropped meanwhile
        HeldEntry.objects.bulk_create(
            [
                HeldEntry(
                    room=room,
                    author=e.author,
                    seq=e.seq,
                    entry_id=e.id,
                    data=e.data,
                    expires=e.expires if e.whole else None,
                )
                for e in entries
            ],
            ignore_conflicts=True,
        )
        ForkedAuthor.objects.bulk_create(
            [ForkedAuthor(room=room, author=author) for author in forked], ignore_conflicts=True
        )
        HeldRoom.objects.filter(pk=room.pk).update(
            bytes_stored=F("bytes_stored") + sum(len(e.data) for e in entries),
            touched=timezone.now(),
        )


def delete_entries(topic: str, removed: list[BlindEntry]) -> None:
    """Take out a removed member's entries (§7 "Moderation") and their bytes' count."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=topic).first()
        if room is None:
            return
        freed = 0
        for entry in removed:
            rows = HeldEntry.objects.filter(room=room, author=entry.author, seq=entry.seq)
            freed += rows.aggregate(total=Sum(Length("data")))["total"] or 0
            rows.delete()
        HeldRoom.objects.filter(pk=room.pk).update(bytes_stored=F("bytes_stored") - freed)


def strip_due(topic: str | None, now: int) -> int:
    """Replace the room's (or every room's) whole version 2 entries due by `now` (ms)
    with their stubs (§7 "Disappearing messages"); how many."""
    with transaction.atomic():
        due = HeldEntry.objects.filter(expires__lte=now)
        if topic is not None:
            due = due.filter(room__topic=topic)
        rows = list(due)
        freed: dict[int, int] = {}  # room -> bytes
        for row in rows:
            stub = entry_stub(bytes(row.data))
            freed[row.room_id] = freed.get(row.room_id, 0) + len(row.data) - len(stub)
            row.data, row.expires = stub, None
        HeldEntry.objects.bulk_update(rows, ["data", "expires"])
        _uncount(freed)
    return len(rows)


def _uncount(freed: dict[int, int]) -> None:
    for room, count in freed.items():
        HeldRoom.objects.filter(pk=room).update(bytes_stored=F("bytes_stored") - count)


def keep_file(topic: str, root: bytes, size: int, version: int, expires: int | None = None) -> None:
    """Keep a file (`keep`, §12); of the `expires` given for it, the earliest counts."""
    room = HeldRoom.objects.filter(topic=topic).first()
    if room is None:
        return
    with transaction.atomic():
        file, created = HeldFile.objects.get_or_create(
            room=room, root=root, defaults={"size": size, "format": version, "expires": expires}
        )
        earlier = expires is not None and (file.expires is None or expires < file.expires)
        if not created and earlier:
            HeldFile.objects.filter(pk=file.pk).update(expires=expires)


def forget_due_files(topic: str | None, now: int) -> list[bytes]:
    """Delete the room's (or every room's) files due by `now` (ms), their chunks and
    their bytes' count; their roots."""
    with transaction.atomic():
        due = HeldFile.objects.filter(expires__lte=now)
        if topic is not None:
            due = due.filter(room__topic=topic)
        files = list(due.values_list("pk", "room_id", "root"))
        freed: dict[int, int] = {}
        for pk, room, _ in files:
            chunks = HeldChunk.objects.filter(file_id=pk)
            size = chunks.aggregate(total=Sum(Length("ciphertext")))["total"] or 0
            freed[room] = freed.get(room, 0) + size
        HeldFile.objects.filter(pk__in=[pk for pk, _, _ in files]).delete()
        _uncount(freed)
    return [bytes(root) for _, _, root in files]


def next_expiry() -> int | None:
    """When the next entry or file in the database expires (ms), or None."""
    entry = HeldEntry.objects.aggregate(next=Min("expires"))["next"]
    file = HeldFile.objects.aggregate(next=Min("expires"))["next"]
    return min([t for t in (entry, file) if t is not None], default=None)


def sweep_all(now: int) -> int | None:
    """What expired by `now` in every room, straight in the database (while no room is
    loaded); when the next sweep is needed."""
    strip_due(None, now)
    forget_due_files(None, now)
    return next_expiry()


def save_chunk(topic: str, root: bytes, index: int, ciphertext: bytes, proof: list[bytes]) -> None:
    with transaction.atomic():
        file = HeldFile.objects.filter(room__topic=topic, root=root).first()
        if file is None:
            return  # the room was dropped meanwhile
        _, created = HeldChunk.objects.get_or_create(
            file=file, index=index, defaults={"ciphertext": ciphertext, "proof": b"".join(proof)}
        )
        if created:
            HeldRoom.objects.filter(pk=file.room_id).update(
                bytes_stored=F("bytes_stored") + len(ciphertext), touched=timezone.now()
            )


def touch(topic: str) -> None:
    HeldRoom.objects.filter(topic=topic).update(touched=timezone.now())


def expire(before: datetime.datetime) -> list[str]:
    """Drop the rooms nobody touched since `before`; their topics."""
    with transaction.atomic():
        stale = list(HeldRoom.objects.filter(touched__lt=before).values_list("topic", flat=True))
        HeldRoom.objects.filter(topic__in=stale).delete()
    return stale
