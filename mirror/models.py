"""What a blind mirror service stores (docs/protocol.md §12): per room the capability
(discovery key, membership key and control key; for a founded room the founder too)
and the entries it verified, byte for byte (a version 2 entry as its stub once it has
expired, §7 "Disappearing messages"). Nothing here can be read without the room's
message key, which the service never has. The database overwrites what it deletes
(SQLite `secure_delete`, mirror/apps.py), so an expired ciphertext does not linger.
"""

from django.db import models


class HeldRoom(models.Model):
    # base64url of the discovery key (the rendezvous topic).
    topic = models.CharField(max_length=43, unique=True)
    membership_key = models.BinaryField(max_length=32)
    # What the service reads the room's control entries with (docs/protocol.md §12, §13):
    # null for a room held before requests carried it (a later hold brings it); and a
    # founded room's first admin (§2), null for a room made before founders.
    control_key = models.BinaryField(max_length=32, null=True)
    founder = models.BinaryField(max_length=32, null=True)
    created = models.DateTimeField(auto_now_add=True)
    # When a member last linked to the service in this room, or an entry arrived: a room
    # nobody touched for PARLEY_MIRROR_EXPIRY_DAYS is dropped.
    touched = models.DateTimeField()
    bytes_stored = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"held room {self.topic[:8]}…"


class HeldEntry(models.Model):
    room = models.ForeignKey(HeldRoom, on_delete=models.CASCADE, related_name="entries")
    author = models.BinaryField(max_length=32)
    seq = models.BigIntegerField()
    entry_id = models.BinaryField(max_length=32)
    data = models.BinaryField(max_length=16605)
    # When a whole version 2 entry expires (ms since the epoch): then `data` becomes its
    # stub and this null. Null for every other entry (version 1, stubs).
    expires = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "author", "seq"], name="one_entry_per_seq")
        ]


class ForkedAuthor(models.Model):
    room = models.ForeignKey(HeldRoom, on_delete=models.CASCADE, related_name="forked")
    author = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "author"], name="one_fork_mark_per_author")
        ]


class HeldFile(models.Model):
    """A file a member asked the service to keep (`keep`, §12): its Merkle root and size
    only, which name no content; its chunks arrive from members and are checked against
    the root."""

    room = models.ForeignKey(HeldRoom, on_delete=models.CASCADE, related_name="files")
    root = models.BinaryField(max_length=32)
    size = models.BigIntegerField()
    # The chunk format (§11) the `keep` named: which hash checks the chunks.
    format = models.PositiveSmallIntegerField(default=1)
    # The earliest `expires` (ms) a `keep` gave: the file and its chunks go then.
    expires = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "root"], name="one_file_per_root")]


class HeldChunk(models.Model):
    file = models.ForeignKey(HeldFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.IntegerField()
    ciphertext = models.BinaryField(max_length=131088)
    # The proof's sibling hashes, 32 bytes each, leaf's sibling first (§11).
    proof = models.BinaryField(max_length=768)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="one_chunk_per_index")
        ]
