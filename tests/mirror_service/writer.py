"""One member's own log for the blind-mirror tests: RoomPeers that only sign entries
(their server is never started), each with its seq, prev and a clock the caller sets."""

from parley_peer.room_peer import RoomPeer

OFFLINE = "http://127.0.0.1:9"  # never started: these peers only sign entries
TS = 1_700_000_000_000


class Writer:
    """One author's own log; `expires` makes a version 2 entry (§7 "Disappearing
    messages")."""

    def __init__(self, peer: RoomPeer) -> None:
        self.peer, self.prev, self.seq = peer, None, 0

    @property
    def key(self) -> bytes:
        return self.peer.identity.verify_key.encode()

    def write(self, body: dict, clock: int, expires: int | None = None) -> bytes:
        body = {**body, "ts": TS, "clock": clock}
        entry = self.peer.make_entry(body, self.seq, self.prev, expires=expires)
        self.prev, self.seq = entry.id, self.seq + 1
        return entry.data

    def say(self, text: str, clock: int, expires: int | None = None) -> bytes:
        return self.write({"type": "message", "text": text}, clock, expires)
