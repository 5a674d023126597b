"""Our own ``parley-file`` channel (docs/protocol.md §11), for whoever serves chunks: the
test peer's FileLink (file_server.py) and a blind mirror's BlindFileLink
(blind_files.py). Control messages wait (at most 1,024) until the channel opens; chunks
go in the order asked, held back while the channel's buffer is above 4 MiB, and resumed
on `bufferedamountlow` (1 MiB).

    sender = FileSender(out, frame_of=lambda item: bytes or None, on_sent=...)
    sender.control(message); sender.add(items); sender.drop(lambda item: ...)
    len(sender.queue); sender.close()

`frame_of(item)` makes the `chunk` frame of a queued item when its turn comes (None: it
is no longer there to send).
"""

import asyncio
import collections
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

HIGH_WATER = 4 * 1024 * 1024  # hold back chunks while this much waits in the channel
LOW_WATER = 1024 * 1024  # ... until it drains to this (`bufferedamountlow`)
MAX_WAITING_CONTROL = 1024  # control messages queued until our channel opens

Item = TypeVar("Item")


class FileSender(Generic[Item]):
    def __init__(
        self,
        out: Any,  # an RTCDataChannel, or anything with its send/on/readyState/bufferedAmount
        frame_of: Callable[[Item], bytes | None],
        on_sent: Callable[[], None] = lambda: None,
    ) -> None:
        self.out, self._frame_of, self._on_sent = out, frame_of, on_sent
        self.queue: collections.deque[Item] = collections.deque()
        self.closed = False
        self._waiting: list[bytes] = []
        self._wake = asyncio.Event()
        out.bufferedAmountLowThreshold = LOW_WATER
        out.on("open", self._on_open)
        out.on("bufferedamountlow", self._wake.set)
        out.on("close", self._wake.set)
        self._task = asyncio.ensure_future(self._pump())

    def control(self, message: bytes) -> None:
        if self.out.readyState == "connecting":
            if len(self._waiting) < MAX_WAITING_CONTROL:
                self._waiting.append(message)
        elif self.out.readyState == "open":
            self.out.send(message)

    def add(self, items: Iterable[Item]) -> None:
        self.queue.extend(items)
        self._wake.set()

    def drop(self, unwanted: Callable[[Item], bool]) -> None:
        self.queue = collections.deque(item for item in self.queue if not unwanted(item))

    def close(self) -> None:
        self.closed = True
        self.queue.clear()
        self._task.cancel()

    def _on_open(self) -> None:
        waiting, self._waiting = self._waiting, []
        for message in waiting:
            self.out.send(message)
        self._wake.set()

    async def _pump(self) -> None:
        """Sends queued chunks in the order asked while the channel's buffer is under
        HIGH_WATER; then waits for `bufferedamountlow` (or more to send, or open)."""
        while not self.closed:
            self._wake.clear()
            if not self.queue or self.out.readyState != "open":
                if self.out.readyState in ("closing", "closed"):
                    return
                await self._wake.wait()
                continue
            if self.out.bufferedAmount > HIGH_WATER:
                await self._wake.wait()
                continue
            frame = self._frame_of(self.queue.popleft())
            if frame is not None:
                self.out.send(frame)
                self._on_sent()
            await asyncio.sleep(0)  # let the transport and other links run between chunks
