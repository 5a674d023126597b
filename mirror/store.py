"""Every database access of the mirror service (mirror/models.py), synchronous: the
service calls them through `sync_to_async`, one at a time (Django's ORM is synchronous,
and SQLite takes one writer).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mirror.models import ForkedAuthor, HeldChunk, HeldEntry, HeldFile, HeldRoom
from parley_peer.blind_files import BlindFile
from parley_peer.blind_log import BlindEntry
from parley_peer.encoding import b64url_decode
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
            file = BlindFile(bytes(held.root), held.size, held.format)
            for chunk in held.chunks.all():
                proof = bytes(chunk.proof)
                nodes = [proof[i : i + 32] for i in range(0, len(proof), 32)]
                file.chunks[chunk.index] = (bytes(chunk.ciphertext), nodes)
            files.append(file)
        rooms.append(StoredRoom(_capability(room), room.touched, entries, forked, files))
    return rooms


def hold(capability: MirrorCapability, max_rooms: int) -> bool:
    """Keep the room; True if it is new. Refuses `full` and `wrong_key`."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=capability.topic).first()
        if room is not None:
            if _capability(room) != capability:
                raise StoreRefusal("wrong_key")
            return False
        if HeldRoom.objects.count() >= max_rooms:
            raise StoreRefusal("full")
        HeldRoom.objects.create(
            topic=capability.topic,
            membership_key=capability.membership_key,
            control_key=capability.control_key,
            founder=capability.founder,
            touched=timezone.now(),
        )
        return True


def drop(capability: MirrorCapability) -> None:
    """Forget the room and its entries. Refuses `not_held` and `wrong_key`."""
    with transaction.atomic():
        room = HeldRoom.objects.filter(topic=capability.topic).first()
        if room is None:
            raise StoreRefusal("not_held")
        if _capability(room) != capability:
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
                HeldEntry(room=room, author=e.author, seq=e.seq, entry_id=e.id, data=e.data)
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
        for entry in removed:
            HeldEntry.objects.filter(room=room, author=entry.author, seq=entry.seq).delete()
        HeldRoom.objects.filter(pk=room.pk).update(
            bytes_stored=F("bytes_stored") - sum(len(e.data) for e in removed)
        )


def keep_file(topic: str, root: bytes, size: int, version: int) -> None:
    room = HeldRoom.objects.filter(topic=topic).first()
    if room is not None:
        HeldFile.objects.get_or_create(
            room=room, root=root, defaults={"size": size, "format": version}
        )


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
