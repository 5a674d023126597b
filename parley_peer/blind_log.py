"""A blind mirror's copy of one room's logs (docs/protocol.md §8, §12).

Per author a contiguous prefix of entries that passed checks 1 to 4 of §7 (layout,
signature over the discovery key, no fork, chain) and 8 (a stub only once due); without
the message key it checks no more. Entries are kept byte for byte until a version 2
entry expires (§7 "Disappearing messages"): then only its stub is kept. One that is due
when it arrives is kept as its stub at once, `strip_due()` strips the others at their
`expires` (the owner writes what it gives to its database, and arms its timer with
`next_expiry()`), and `range` never serves a due entry whole, in case that lags. Time is
the `clock` given (ms since the epoch), so a test can move it.

With the room's control key (§12: members give it for every room) the mirror opens the
control entries (`role`, `remove`, `revoke`, `device`; an entry the control key opens
must be one, of the schema, and version 1; a `device` entry only as its author's first,
with a certificate that verifies, as members check it). In every such room it evaluates
the device revocations (§13, parley_peer/revocations.py: `device` and `revoke` entries);
in a founded room (the founder given too) also the moderation as members do
(parley_peer/moderation.py: `role` and `remove` entries only). A removed member's or a
revoked device's entries from the `upTo` on are taken out of the log (of both, the
smaller cap holds) and refused when they arrive later (`removed`); the owner deletes
what `take_removed()` gives from its database. A room held without a control key takes one
later with `take_control_key()`.

    log = BlindLog(discovery_key, stored_entries, forked_authors, control_key=, founder=)
    result = log.ingest([data, ...])   # added, rejected, gaps, forks, duplicates
    log.heads(); log.range(author, start, end); log.length(author); log.bytes
    log.cap(author); log.caps; log.take_removed(); log.take_control_key(key)
    log.strip_due(); log.next_expiry()
"""

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from parley_peer.encoding import parse_json_utf8
from parley_peer.entry import (
    CONTROL_TYPES,
    ENTRY_VERSION,
    MAX_BODY_BYTES,
    PREV,
    SEQ,
    ZERO_ID,
    EntryError,
    VerifiedEntry,
    check_stub_due,
    decrypt_ciphertext,
    entry_expiry,
    entry_id,
    entry_stub,
    is_due,
    is_entry_body,
    is_stub,
    verify_entry_signature,
)
from parley_peer.errors import EncodingError
from parley_peer.moderation import ControlEntry, Moderation, evaluate_moderation
from parley_peer.revocations import DEVICE, devices_of, evaluate_revocations

Clock = Callable[[], int]


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class BlindEntry:
    author: bytes
    seq: int
    id: bytes
    data: bytes

    @property
    def expires(self) -> int | None:
        """When a version 2 entry expires (ms); None for version 1."""
        return entry_expiry(self.data)

    @property
    def whole(self) -> bool:
        """Not a stub: a version 1 entry, or a version 2 one with its ciphertext."""
        return not is_stub(self.data)

    def stripped(self) -> "BlindEntry":
        """The entry as its stub (a version 2 entry only)."""
        return BlindEntry(self.author, self.seq, self.id, entry_stub(self.data))


@dataclass
class Ingested:
    added: list[BlindEntry] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # reason codes of §7
    gaps: list[tuple[bytes, int]] = field(default_factory=list)  # (author, seq past the end)
    forks: list[bytes] = field(default_factory=list)  # authors found forked now
    duplicates: int = 0


def entry_author_seq(data: bytes) -> tuple[bytes, int]:
    return data[1:SEQ], int.from_bytes(data[SEQ:PREV], "big")


def control_entry(data: bytes, control_key: bytes) -> ControlEntry | None:
    """The entry as a control entry if the control key opens it; EntryError('malformed')
    if it opens but is not one (§7 check 6), or is a `device` entry not at seq 0 or whose
    certificate does not verify (§13)."""
    try:
        plaintext = decrypt_ciphertext(data, control_key)
    except EntryError:
        return None
    try:
        body = parse_json_utf8(plaintext)
    except EncodingError:
        raise EntryError("malformed", "body is not UTF-8 JSON") from None
    valid = len(plaintext) <= MAX_BODY_BYTES and is_entry_body(body)
    # Control entries never expire: a version 2 entry the control key opens is not one.
    if not valid or body["type"] not in CONTROL_TYPES or data[0] != ENTRY_VERSION:
        raise EntryError("malformed", "sealed with the control key, not a control entry")
    author, seq = entry_author_seq(data)
    entry = ControlEntry(author, seq, body["clock"], entry_id(data), body)
    # Else anyone could speak for anyone (§13): members refuse it too.
    if body["type"] == DEVICE and not devices_of([entry]):
        raise EntryError("malformed", "a device entry must be the first, and certified")
    return entry


class BlindLog:
    def __init__(
        self,
        discovery_key: bytes,
        entries: Iterable[BlindEntry] = (),
        forked: Iterable[bytes] = (),
        *,
        control_key: bytes | None = None,
        founder: bytes | None = None,
        clock: Clock = wall_clock_ms,
    ) -> None:
        self.discovery_key = discovery_key
        self.clock = clock
        # (expires, author, seq) of the whole version 2 entries held; some may be gone.
        self._expiring: list[tuple[int, bytes, int]] = []
        self._logs: dict[bytes, list[BlindEntry]] = {}
        self.forked: set[bytes] = set(forked)
        self.ids: set[bytes] = set()  # of every entry held
        self.bytes = 0
        self._control_key = control_key
        # Without the control key there are no control entries, nor a moderation.
        self._founder = founder if control_key is not None else None
        self._control: dict[bytes, ControlEntry] = {}  # id -> a control entry held
        self._removed: list[BlindEntry] = []
        self.moderation = Moderation()
        self.revocations: dict[bytes, int] = {}  # device -> upTo (§13)
        for entry in sorted(entries, key=lambda e: (e.author, e.seq)):
            log = self._logs.setdefault(entry.author, [])
            if entry.seq == len(log):
                self._add(entry, self._opened(entry.data))
        self._moderate(again=True)

    def _control_of(self, data: bytes) -> ControlEntry | None:
        return None if self._control_key is None else control_entry(data, self._control_key)

    def _opened(self, data: bytes) -> ControlEntry | None:
        try:
            return self._control_of(data)
        except EntryError:
            return None  # stored before: it passed then

    def _add(self, entry: BlindEntry, control: ControlEntry | None) -> None:
        self._logs.setdefault(entry.author, []).append(entry)
        self.ids.add(entry.id)
        self.bytes += len(entry.data)
        if control is not None:
            self._control[entry.id] = control
        expires = entry.expires
        if expires is not None and entry.whole:
            heapq.heappush(self._expiring, (expires, entry.author, entry.seq))

    def _held_whole(self, author: bytes, seq: int) -> BlindEntry | None:
        log = self._logs.get(author, [])
        entry = log[seq] if seq < len(log) else None
        return entry if entry is not None and entry.whole else None

    def next_expiry(self) -> int | None:
        """When the next whole version 2 entry held expires (ms), or None."""
        while self._expiring and self._held_whole(*self._expiring[0][1:]) is None:
            heapq.heappop(self._expiring)  # taken out or stripped since
        return self._expiring[0][0] if self._expiring else None

    def strip_due(self, now: int | None = None) -> list[BlindEntry]:
        """Replace every entry due by `now` (the clock's time) with its stub; the stubs."""
        now = self.clock() if now is None else now
        stripped = []
        while self._expiring and self._expiring[0][0] <= now:
            _, author, seq = heapq.heappop(self._expiring)
            entry = self._held_whole(author, seq)
            if entry is None:
                continue
            stub = entry.stripped()
            self._logs[author][seq] = stub
            self.bytes -= len(entry.data) - len(stub.data)
            stripped.append(stub)
        return stripped

    def take_control_key(self, control_key: bytes) -> bool:
        """A room held without its control key takes one (§12): the entries held are
        opened with it, and the revocations they hold take effect. False if the log has
        a control key already (it keeps that one)."""
        if self._control_key is not None:
            return False
        self._control_key = control_key
        for log in self._logs.values():
            for entry in log:
                control = self._opened(entry.data)
                if control is not None:
                    self._control[entry.id] = control
        self._moderate(again=True)
        return True

    def _moderate(self, *, again: bool) -> None:
        """Evaluate the moderation and the revocations again (after control entries
        arrived) and take out what a removal or a revocation does not let count."""
        if self._control_key is None:
            return
        if again:
            control = list(self._control.values())
            if self._founder is not None:
                self.moderation = evaluate_moderation(control, self._founder)
            self.revocations = evaluate_revocations(control)
        for author, up_to in self.caps.items():
            log = self._logs.get(author, [])
            if len(log) <= up_to:
                continue
            cut = log[up_to:]
            del log[up_to:]
            for entry in cut:
                self.ids.discard(entry.id)
                self._control.pop(entry.id, None)
                self.bytes -= len(entry.data)
            self._removed.extend(cut)

    @property
    def caps(self) -> dict[bytes, int]:
        """Author -> how much of their log counts, for the removed members and revoked
        devices only; when both cap an author, the smaller cap holds."""
        caps = dict(self.moderation.caps)
        for device, up_to in self.revocations.items():
            caps[device] = min(up_to, caps.get(device, up_to))
        return caps

    def cap(self, author: bytes) -> int | None:
        """How much of `author`'s log counts: None unless removed or revoked."""
        return self.caps.get(author)

    def take_removed(self) -> list[BlindEntry]:
        removed, self._removed = self._removed, []
        return removed

    def length(self, author: bytes) -> int:
        return len(self._logs.get(author, ()))

    def count(self) -> int:
        return sum(len(log) for log in self._logs.values())

    def heads(self) -> list[tuple[bytes, int, bytes]]:
        """(author, length, id of the last entry) of every author not forked."""
        return [
            (author, len(log), log[-1].id)
            for author, log in self._logs.items()
            if log and author not in self.forked
        ]

    def range(self, author: bytes, start: int, end: int) -> list[bytes]:
        if author in self.forked:
            return []
        now = self.clock()  # a due entry goes as its stub even before strip_due ran
        return [
            entry_stub(entry.data) if entry.whole and is_due(entry.expires, now) else entry.data
            for entry in self._logs.get(author, [])[start:end]
        ]

    def ingest(self, datas: Iterable[bytes], room_bytes_left: int | None = None) -> Ingested:
        """Check and add entries, in seq order per author; after a failure the rest of
        that author's entries in the batch are dropped (§8). With `room_bytes_left`,
        an entry that would pass it is refused (`quota`) and nothing more of the batch
        is added."""
        result = Ingested()
        by_author: dict[bytes, list[tuple[VerifiedEntry, bytes]]] = {}
        for data in datas:
            try:
                verified = verify_entry_signature(data, self.discovery_key)
            except EntryError as error:
                result.rejected.append(error.code)
                continue
            by_author.setdefault(verified.author, []).append((verified, data))
        left = room_bytes_left
        now = self.clock()
        for author, batch in by_author.items():
            for verified, data in sorted(batch, key=lambda item: item[0].seq):
                seq = verified.seq
                code = self._check(verified, result) or self._check_due(verified, now)
                if code == "duplicate":
                    result.duplicates += 1
                    continue
                if code == "gap":
                    result.gaps.append((author, seq))
                    break
                if code is not None:
                    result.rejected.append(code)
                    break
                if is_due(verified.expires, now):
                    data = entry_stub(data)  # due already: only its stub is kept
                if left is not None and len(data) > left:
                    result.rejected.append("quota")
                    return self._moderated(result)
                try:
                    control = self._control_of(data)
                except EntryError as error:
                    result.rejected.append(error.code)
                    break
                entry = BlindEntry(author, seq, verified.id, data)
                self._add(entry, control)
                if left is not None:
                    left -= len(data)
                result.added.append(entry)
        return self._moderated(result)

    def _moderated(self, result: Ingested) -> Ingested:
        """A removed member's (or a revoked device's) entries are taken in first (a
        control entry among them may come earlier in room order and undo the removal),
        then taken out again."""
        self._moderate(again=any(entry.id in self._control for entry in result.added))
        new = {entry.id for entry in result.added}
        # Those taken in by this very call were never the owner's to store.
        self._removed = [entry for entry in self._removed if entry.id not in new]
        kept = [entry for entry in result.added if entry.id in self.ids]
        result.rejected += ["removed"] * (len(result.added) - len(kept))
        result.added = kept
        return result

    @staticmethod
    def _check_due(verified: VerifiedEntry, now: int) -> str | None:
        """Check 8: a stub only once it is due."""
        try:
            check_stub_due(verified, now)
        except EntryError as error:
            return error.code
        return None

    def _check(self, verified: VerifiedEntry, result: Ingested) -> str | None:
        author, seq = verified.author, verified.seq
        log = self._logs.get(author, [])
        if seq < len(log):
            if log[seq].id == verified.id:  # the same entry, whole or as its stub
                return "duplicate"
            if author not in self.forked:
                self.forked.add(author)
                result.forks.append(author)
            return "fork"
        if author in self.forked:
            return "fork"
        if seq > len(log):
            return "gap"
        expected = log[-1].id if log else ZERO_ID
        return None if verified.prev == expected else "broken_chain"
