"""RoomPeerThread: a RoomPeer driven by blocking calls, for sync code such as
Playwright's sync API, which owns the calling thread's event loop. The peer runs on its
own loop in a daemon thread. The API is RoomPeer's (see parley_peer.room_peer) without
``await``; each call has a timeout, so a test fails rather than hangs.
"""

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any

from parley_peer.entry import SignedEntry
from parley_peer.file_server import HeldFile
from parley_peer.log_fetch import LoggedEntry
from parley_peer.room_peer import RoomPeer
from parley_peer.swarm import Peer, Rejection

GRACE_S = 5  # on top of a call's own timeout, for the hop between threads


async def _cancel_leftovers() -> None:
    """aiortc leaves a few internal tasks behind; closing a loop over them would warn."""
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


class RoomPeerThread:
    """RoomPeer on its own event loop in a daemon thread, driven by blocking calls."""

    def __init__(
        self, server_url: str, room: str | bytes, name: str = "Python peer", **options: Any
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="parley-peer", daemon=True
        )
        self._thread.start()

        async def build() -> RoomPeer:  # asyncio objects belong to the loop that makes them
            return RoomPeer(server_url, room, name, **options)

        self.peer: RoomPeer = self._call(build(), 5)
        self.identity, self.room_keys = self.peer.identity, self.peer.room_keys
        self.identity_id = self.peer.identity_id
        self.make_entry, self.open_entry = self.peer.make_entry, self.peer.open_entry
        self.hello_frame = self.peer.hello_frame
        self.message_body = RoomPeer.message_body

    def _call(self, coroutine: Any, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    @property
    def peers(self) -> list[Peer]:
        return self.peer.peers

    @property
    def rejections(self) -> list[Rejection]:
        return list(self.peer.rejections)

    @property
    def closed_peers(self) -> list[Peer]:
        return list(self.peer.closed_peers)

    def diagnosis(self) -> str:
        return self.peer.diagnosis()  # read from this thread: a snapshot, for failure messages

    def start(self, timeout: float = 15.0) -> None:
        self._call(self.peer.start(), timeout)

    def wait_ready(self, count: int = 1, timeout: float = 20.0) -> list[Peer]:
        return self._call(self.peer.wait_ready(count, timeout), timeout + GRACE_S)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        return self._call(self.peer.wait_for(predicate, timeout), timeout + GRACE_S)

    def next_frame(self, t: str | None = None, timeout: float = 10.0) -> tuple[Peer, dict]:
        return self._call(self.peer.next_frame(t, timeout), timeout + GRACE_S)

    def send_frame(self, frame: Any, peer: Peer | None = None) -> int:
        return self._call(self.peer.send_frame(frame, peer), 10)

    def send_raw(self, text: str, peer: Peer | None = None) -> int:
        return self._call(self.peer.send_raw(text, peer), 10)

    def send_entries(self, entries: Iterable[bytes | SignedEntry], peer: Peer | None = None) -> int:
        return self._call(self.peer.send_entries(list(entries), peer), 10)

    def fetch_log(self, timeout: float = 10.0) -> list[LoggedEntry]:
        return self._call(self.peer.fetch_log(timeout), timeout + GRACE_S)

    def hold_file(self, data: bytes, key: bytes, **options: Any) -> HeldFile:
        """The returned HeldFile's counters can be read from this thread (lists that
        only grow); wait on them with ``wait_for``."""

        async def hold() -> HeldFile:  # links and channels belong to the peer's loop
            return self.peer.hold_file(data, key, **options)

        return self._call(hold(), 30)

    def file_barrier(self, peer: Peer, held: HeldFile, timeout: float = 10.0) -> None:
        """Returns once ``held.asked`` counts every chunk ``peer`` asked for before it read
        our probe (see RoomPeer.file_barrier)."""
        self._call(self.peer.file_barrier(peer, held, timeout), timeout + GRACE_S)

    def close_link(self, peer: Peer, reason: str, timeout: float = 10.0) -> None:
        """Close one link as its own failure would (``reason``), the peer staying on."""
        self._call(peer.link.close(reason), timeout)

    def lose_link(self, peer: Peer, reason: str) -> None:
        """Give a link up at this end only (see RoomPeer.lose_link)."""

        async def lose() -> None:  # on the peer's loop, like everything of its swarm
            self.peer.lose_link(peer, reason)

        self._call(lose(), 10)

    def close(self, timeout: float = 15.0) -> None:
        if self._loop.is_closed():
            return
        try:
            self._call(self.peer.close(), timeout)
            self._call(_cancel_leftovers(), timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> "RoomPeerThread":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
