"""A blind mirror's copy of one room's logs (docs/protocol.md §8, §12).

Per author a contiguous prefix of entries that passed checks 1 to 4 of §7 (layout,
signature over the discovery key, no fork, chain); without the message key it checks no
more. Entries are kept byte for byte.

    log = BlindLog(discovery_key, stored_entries, forked_authors)
    result = log.ingest([data, ...])   # added, rejected, gaps, forks, duplicates
    log.heads(); log.range(author, start, end); log.length(author); log.bytes
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from parley_peer.entry import PREV, SEQ, ZERO_ID, EntryError, entry_id, verify_entry_signature


@dataclass(frozen=True)
class BlindEntry:
    author: bytes
    seq: int
    id: bytes
    data: bytes


@dataclass
class Ingested:
    added: list[BlindEntry] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # reason codes of §7
    gaps: list[tuple[bytes, int]] = field(default_factory=list)  # (author, seq past the end)
    forks: list[bytes] = field(default_factory=list)  # authors found forked now
    duplicates: int = 0


def entry_author_seq(data: bytes) -> tuple[bytes, int]:
    return data[1:SEQ], int.from_bytes(data[SEQ:PREV], "big")


class BlindLog:
    def __init__(
        self,
        discovery_key: bytes,
        entries: Iterable[BlindEntry] = (),
        forked: Iterable[bytes] = (),
    ) -> None:
        self.discovery_key = discovery_key
        self._logs: dict[bytes, list[BlindEntry]] = {}
        self.forked: set[bytes] = set(forked)
        self.ids: set[bytes] = set()  # of every entry held
        self.bytes = 0
        for entry in sorted(entries, key=lambda e: (e.author, e.seq)):
            log = self._logs.setdefault(entry.author, [])
            if entry.seq == len(log):
                log.append(entry)
                self.ids.add(entry.id)
                self.bytes += len(entry.data)

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
        return [entry.data for entry in self._logs.get(author, [])[start:end]]

    def ingest(self, datas: Iterable[bytes], room_bytes_left: int | None = None) -> Ingested:
        """Check and add entries, in seq order per author; after a failure the rest of
        that author's entries in the batch are dropped (§8). With `room_bytes_left`,
        an entry that would pass it is refused (`quota`) and nothing more of the batch
        is added."""
        result = Ingested()
        by_author: dict[bytes, list[tuple[int, bytes]]] = {}
        for data in datas:
            try:
                verify_entry_signature(data, self.discovery_key)
            except EntryError as error:
                result.rejected.append(error.code)
                continue
            author, seq = entry_author_seq(data)
            by_author.setdefault(author, []).append((seq, data))
        left = room_bytes_left
        for author, batch in by_author.items():
            for seq, data in sorted(batch, key=lambda item: item[0]):
                code = self._check(author, seq, data, result)
                if code == "duplicate":
                    result.duplicates += 1
                    continue
                if code == "gap":
                    result.gaps.append((author, seq))
                    break
                if code is not None:
                    result.rejected.append(code)
                    break
                if left is not None and len(data) > left:
                    result.rejected.append("quota")
                    return result
                entry = BlindEntry(author, seq, entry_id(data), data)
                self._logs.setdefault(author, []).append(entry)
                self.ids.add(entry.id)
                self.bytes += len(data)
                if left is not None:
                    left -= len(data)
                result.added.append(entry)
        return result

    def _check(self, author: bytes, seq: int, data: bytes, result: Ingested) -> str | None:
        log = self._logs.get(author, [])
        if seq < len(log):
            if log[seq].data == data:
                return "duplicate"
            if author not in self.forked:
                self.forked.add(author)
                result.forks.append(author)
            return "fork"
        if author in self.forked:
            return "fork"
        if seq > len(log):
            return "gap"
        prev = data[PREV : PREV + 32]
        expected = log[-1].id if log else ZERO_ID
        return None if prev == expected else "broken_chain"
