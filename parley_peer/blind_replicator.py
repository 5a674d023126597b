"""Log replication over one link, for a blind mirror (docs/protocol.md §8, §12): the
rules of static/app/room/replicator.js for a holder that writes nothing of its own.

    replicator = BlindReplicator(log, send, on_entries)
    replicator.start()             # our heads, on a new ready link
    replicator.receive(frame)      # a heads/want/entries frame that passed its schema
    replicator.announce(authors)   # after entries arrived on another link

`on_entries(frame_entries)` gets the decoded entries of an `entries` frame and returns
what the owner made of them (BlindLog.ingest, with its quota): the owner stores them.
At most one `want` per author is open on the link, and the next starts at the new local
length, so no entry crosses a link twice; `want` is answered from what is held. At most
8 authors' wants are open on a link at once (the others wait their turn), so what an
honest member sends back at any moment is bounded, and at most 4,096 authors are
remembered per link.
"""

from collections.abc import Callable

from parley_peer.blind_log import BlindLog, Ingested
from parley_peer.data_frames import MAX_HEADS, MAX_WANT_SPAN
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.errors import EncodingError
from parley_peer.room_peer import entry_frames

MAX_OPEN_WANTS = 8
MAX_REMOTE_AUTHORS = 4096


class BlindReplicator:
    def __init__(
        self,
        log: BlindLog,
        send: Callable[[dict], object],
        on_entries: Callable[[list[bytes]], Ingested],
    ) -> None:
        self.log, self._send, self._on_entries = log, send, on_entries
        self.remote_length: dict[bytes, int] = {}  # what the peer holds or was sent
        self._wanted: dict[bytes, int] = {}  # author -> end of the open want
        self._past_cap: dict[bytes, int] = {}  # removed author -> peer's length when asked
        self.strikes = 0  # entries that failed their checks (the owner closes the link)

    def start(self) -> None:
        self.send_heads(None, even_if_empty=True)

    def announce(self, authors: set[bytes] | None = None) -> None:
        self.send_heads(authors)
        for author in list(self.remote_length):
            self._request(author)

    def receive(self, frame: dict) -> None:
        kind = frame["t"]
        if kind == "heads":
            for head in frame["heads"]:
                author = b64url_decode(head["author"], 32)
                self._note(author, head["length"])
                self._request(author)
        elif kind == "want":
            author = b64url_decode(frame["author"], 32)
            datas = self.log.range(author, frame["from"], frame["to"])
            self._send_entries(datas)
            if datas:
                self._note(author, frame["from"] + len(datas))
        elif kind == "entries":
            self._receive_entries(frame["entries"])

    def _receive_entries(self, texts: list[str]) -> None:
        datas = []
        for text in texts:
            try:
                datas.append(b64url_decode(text))
            except EncodingError:
                self.strikes += 1
        result = self._on_entries(datas)
        # A removed member's entry (§7 "Moderation") or a revoked device's (§13) is not
        # the relaying member's fault.
        self.strikes += sum(code not in ("fork", "quota", "removed") for code in result.rejected)
        for entry in result.added:
            self._note(entry.author, entry.seq + 1)
        for author, seq in result.gaps:
            self._note(author, seq + 1)
        for author in result.forks:
            self._wanted.pop(author, None)
        for author, cap in self.log.caps.items():
            # Asked for once on this link, then taken out: not asked for again until
            # the peer holds more of that log.
            if self.remote_length.get(author, 0) > cap and self.log.length(author) <= cap:
                self._past_cap[author] = self.remote_length[author]
                self._wanted.pop(author, None)
        touched = {entry.author for entry in result.added} | {a for a, _ in result.gaps}
        for author in touched:
            self._request(author)
        for author in list(self.remote_length):  # wants that waited for a free slot
            if len(self._wanted) >= MAX_OPEN_WANTS:
                break
            self._request(author)

    def _note(self, author: bytes, length: int) -> None:
        if author not in self.remote_length and len(self.remote_length) >= MAX_REMOTE_AUTHORS:
            return
        if length > self.remote_length.get(author, 0):
            self.remote_length[author] = length

    def _request(self, author: bytes) -> None:
        if author in self.log.forked:
            self._wanted.pop(author, None)
            return
        local = self.log.length(author)
        open_end = self._wanted.get(author)
        if open_end is not None:
            if local < open_end:
                return
            del self._wanted[author]
        remote = self.remote_length.get(author, 0)
        if remote <= local or len(self._wanted) >= MAX_OPEN_WANTS:
            return
        if remote <= self._past_cap.get(author, 0):
            return
        end = min(remote, local + MAX_WANT_SPAN)
        self._wanted[author] = end
        self._send({"t": "want", "author": b64url_encode(author), "from": local, "to": end})

    def send_heads(self, authors: set[bytes] | None, *, even_if_empty: bool = False) -> None:
        heads = [
            {"author": b64url_encode(author), "length": length, "head": b64url_encode(head)}
            for author, length, head in self.log.heads()
            if authors is None or author in authors
        ]
        if not heads and even_if_empty:
            self._send({"t": "heads", "heads": []})
        for i in range(0, len(heads), MAX_HEADS):
            self._send({"t": "heads", "heads": heads[i : i + MAX_HEADS]})

    def _send_entries(self, datas: list[bytes]) -> None:
        for frame in entry_frames(datas):
            self._send(frame)
