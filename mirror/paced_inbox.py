"""One link's frames at a mirror (docs/protocol.md §12), handled in arrival order, at the
operator's entry rate: each frame costs what it makes the mirror do (an `entries` frame
its entries, a `want` the entries it asks for, any other one), waits until the link's
budget has room for it, and so does everything after it. A link that keeps more
than `max_waiting` frames waiting sends faster than any honest member (the mirror keeps
at most a few `want`s open on a link) and is told so (`on_flood`).

    inbox = PacedInbox(rate=1000, burst=5000, cost=..., handle=..., on_flood=...)
    inbox.put(frame); inbox.close()
"""

import asyncio
import collections
import time
from collections.abc import Callable

MAX_WAITING_FRAMES = 128


class PacedInbox:
    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        cost: Callable[[dict], int],
        handle: Callable[[dict], None],
        on_flood: Callable[[], None],
        max_waiting: int = MAX_WAITING_FRAMES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.max_waiting = rate, float(burst), max_waiting
        self._cost, self._handle, self._on_flood, self._clock = cost, handle, on_flood, clock
        self._tokens, self._stamp = float(burst), clock()
        self._frames: collections.deque[dict] = collections.deque()
        self._arrived = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())
        self.flooded = False

    def put(self, frame: dict) -> None:
        if self.flooded:
            return
        if len(self._frames) >= self.max_waiting:
            self.flooded = True
            self._frames.clear()
            self._on_flood()
            return
        self._frames.append(frame)
        self._arrived.set()

    def close(self) -> None:
        self._task.cancel()
        self._frames.clear()

    def _wait_for(self, need: int) -> float:
        """Seconds until `need` tokens are there (0: take them now)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        wanted = min(float(need), self.burst)  # a frame past the burst waits for all of it
        if self._tokens >= wanted:
            self._tokens -= wanted
            return 0.0
        return (wanted - self._tokens) / self.rate

    async def _run(self) -> None:
        while True:
            while not self._frames:
                self._arrived.clear()
                await self._arrived.wait()
            frame = self._frames[0]
            delay = self._wait_for(self._cost(frame))
            if delay > 0:
                await asyncio.sleep(delay)  # the budget refills at a known rate
                continue
            self._frames.popleft()
            self._handle(frame)
