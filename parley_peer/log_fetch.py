"""Copy a room's history from one browser (docs/protocol.md §8), for a test peer that
must know what was posted, e.g. the root and key of a `file` offer (§7), or relay it.

The peer keeps no log of its own: this reads the `heads` a browser sends on a new ready
link, asks (`want`) for every author's entries from the start and collects what comes
back. Entries are opened (signature, decryption, body schema) but not chain-checked:
the browser that sent them already did that. A stub (what stays of an expired version 2
entry, §7 "Disappearing messages") has no body: it is kept once its signature verifies
and it is due (check 8), with `body` None, so that a relayed log has no gaps.
"""

import asyncio
import time
from dataclasses import dataclass

from parley_peer.data_frames import MAX_WANT_SPAN
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.entry import (
    EntryError,
    OpenedEntry,
    VerifiedEntry,
    check_stub_due,
    is_stub,
    verify_entry_signature,
)


@dataclass(frozen=True)
class LoggedEntry:
    data: bytes  # as signed, to relay unchanged
    entry: VerifiedEntry  # an OpenedEntry, but for a stub

    @property
    def body(self) -> dict | None:
        """The entry's body; None for a stub."""
        return self.entry.body if isinstance(self.entry, OpenedEntry) else None


def _opened_or_stub(room_peer, data: bytes) -> VerifiedEntry:
    if not is_stub(data):
        return room_peer.open_entry(data)
    verified = verify_entry_signature(data, room_peer.room_keys.discovery_key)
    check_stub_due(verified, time.time_ns() // 1_000_000)
    return verified


async def fetch_log(room_peer, timeout: float = 10.0) -> list[LoggedEntry]:  # noqa: ASYNC109
    """Every entry the next `heads` frame announces, sorted by (author, seq). Frames of
    other types that arrive meanwhile are dropped (RoomPeer.next_frame)."""
    async with asyncio.timeout(timeout):
        source, frame = await room_peer.next_frame("heads", timeout)
        lengths = {h["author"]: h["length"] for h in frame["heads"]}
        for author, length in lengths.items():
            for start in range(0, length, MAX_WANT_SPAN):
                end = min(length, start + MAX_WANT_SPAN)
                want = {"t": "want", "author": author, "from": start, "to": end}
                await room_peer.send_frame(want, source)
        got: dict[tuple[bytes, int], LoggedEntry] = {}
        while len(got) < sum(lengths.values()):
            _, entries = await room_peer.next_frame("entries", timeout)
            for encoded in entries["entries"]:
                data = b64url_decode(encoded)
                try:
                    opened = _opened_or_stub(room_peer, data)
                except EntryError:
                    continue  # not ours to judge here; the caller sees it missing
                author = b64url_encode(opened.author)
                if opened.seq < lengths.get(author, 0):
                    got[(author, opened.seq)] = LoggedEntry(data, opened)
    return [got[key] for key in sorted(got)]


def file_offers(log: list[LoggedEntry]) -> list[dict]:
    """The bodies of the `file` entries (§7), in log order (stubs have none)."""
    return [item.body for item in log if item.body is not None and item.body["type"] == "file"]
