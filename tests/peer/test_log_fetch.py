"""parley_peer.log_fetch: a test peer copies a browser's history through `heads`, `want`
and `entries` (docs/protocol.md §8) and finds the file offers in it. The browser is
played by a stub that answers `want` from a log made with the room's keys."""

import time

from parley_peer.encoding import b64url_encode
from parley_peer.entry import entry_stub
from parley_peer.keys import new_room_secret
from parley_peer.log_fetch import fetch_log, file_offers
from parley_peer.room_peer import RoomPeer, entry_frames

OFFER = {
    "name": "notes.txt",
    "size": 5,
    "mime": "text/plain",
    "chunk": 131072,
    "root": b64url_encode(b"\x01" * 32),
    "key": b64url_encode(b"\x02" * 32),
}


def log_of(author: RoomPeer, bodies: list[dict]) -> list:
    entries, prev = [], None
    for seq, body in enumerate(bodies):
        entry = author.make_entry({**body, "ts": 0, "clock": seq + 1}, seq=seq, prev=prev)
        entries.append(entry)
        prev = entry.id
    return entries


async def test_the_whole_history_is_fetched_and_its_file_offers_found():
    secret = new_room_secret()
    reader = RoomPeer("http://127.0.0.1:9", secret, "Mallory")  # never started
    ada = RoomPeer("http://127.0.0.1:9", secret, "Ada")
    chat = [{"type": "message", "text": f"line {i}"} for i in range(600)]  # two `want`s
    log = log_of(ada, [{"type": "join", "name": "Ada"}, *chat, {"type": "file", **OFFER}])
    author = b64url_encode(ada.identity.verify_key.encode())
    asked = []

    async def browser(frame, peer=None):  # answers `want` as a browser does, in batches
        asked.append((frame["from"], frame["to"]))
        wanted = [entry.data for entry in log[frame["from"] : frame["to"]]]
        for entries in entry_frames(reversed(wanted)):  # any order within a frame
            reader.frames.put_nowait(("ada", entries))
        return 1

    reader.send_frame = browser
    heads = {"t": "heads", "heads": [{"author": author, "length": len(log), "head": "x"}]}
    reader.frames.put_nowait(("ada", {"t": "typing", "active": True}))  # skipped
    reader.frames.put_nowait(("ada", heads))
    fetched = await fetch_log(reader)
    assert asked == [(0, 512), (512, len(log))]
    assert [item.data for item in fetched] == [entry.data for entry in log]
    assert [item.entry.seq for item in fetched] == list(range(len(log)))
    assert file_offers(fetched) == [{"type": "file", "ts": 0, "clock": len(log), **OFFER}]


async def test_stubs_of_expired_entries_are_fetched_without_a_body():
    """§7 "Disappearing messages": a stub is part of the log (a relay must keep the chain)
    but has nothing to read; file_offers passes it by."""
    secret = new_room_secret()
    reader = RoomPeer("http://127.0.0.1:9", secret, "Mallory")  # never started
    ada = RoomPeer("http://127.0.0.1:9", secret, "Ada")
    now = time.time_ns() // 1_000_000
    expired, soon = 1_000_000, now + 3_600_000  # ms: long gone, and in an hour
    log, prev = [], None
    for seq, (body, expires) in enumerate([
        ({"type": "file", **OFFER}, expired),
        ({"type": "message", "text": "later"}, soon),
        ({"type": "file", **OFFER}, None),
    ]):  # fmt: skip
        ts = now if expires == soon else 0
        entry = ada.make_entry({**body, "ts": ts, "clock": seq + 1}, seq, prev, expires=expires)
        log.append(entry.data)
        prev = entry.id
    log[0] = entry_stub(log[0])  # what a browser holds of it now

    async def browser(frame, peer=None):
        for entries in entry_frames(log[frame["from"] : frame["to"]]):
            reader.frames.put_nowait(("ada", entries))
        return 1

    reader.send_frame = browser
    author = b64url_encode(ada.identity.verify_key.encode())
    heads = {"t": "heads", "heads": [{"author": author, "length": 3, "head": "x"}]}
    reader.frames.put_nowait(("ada", heads))
    fetched = await fetch_log(reader, timeout=5)
    assert [item.data for item in fetched] == log
    assert fetched[0].body is None and fetched[0].entry.stub
    assert fetched[1].body == {"type": "message", "text": "later", "ts": now, "clock": 2}
    assert fetched[1].entry.expires == soon
    assert file_offers(fetched) == [{"type": "file", "ts": 0, "clock": 3, **OFFER}]
