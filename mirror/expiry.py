"""When the mirror service strips expired entries and forgets expired files (docs/protocol.md
§7 "Disappearing messages", §12): at the moment the next one is due, not on a round.

    timer = ExpiryTimer(clock, sweep)
    task = asyncio.ensure_future(timer.run())
    timer.arm(expires)      # something that expires then arrived: wake up earlier if need be

`sweep(now)` does what is due by `now` (ms, from `clock`, the service's one clock, which
tests replace) and returns when it is next needed (ms) or None. The timer sleeps until
then, at most MAX_SLEEP_S (so a wall clock set forward is noticed), and `arm` wakes it
when an earlier expiry arrives.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

MAX_SLEEP_S = 60.0
RETRY_S = 5.0  # after a sweep that failed (its database, say)
logger = logging.getLogger("mirror")


class ExpiryTimer:
    def __init__(
        self, clock: Callable[[], int], sweep: Callable[[int], Awaitable[int | None]]
    ) -> None:
        self._clock, self._sweep = clock, sweep
        self.next: int | None = None  # when the timer wakes next (ms), if it knows
        self._woken = asyncio.Event()

    def arm(self, expires: int | None) -> None:
        if expires is not None and (self.next is None or expires < self.next):
            self.next = expires
            self._woken.set()

    async def run(self) -> None:
        while True:
            self._woken.clear()
            try:
                self.next = await self._sweep(self._clock())
            except Exception:  # the timer goes on: what failed is tried again soon
                logger.exception("sweeping what expired failed")
                self.next = self._clock() + int(RETRY_S * 1000)
            if self._woken.is_set():
                continue  # something earlier came while it swept
            delay = MAX_SLEEP_S
            if self.next is not None:
                delay = min(delay, max(0.0, (self.next - self._clock()) / 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), delay)
