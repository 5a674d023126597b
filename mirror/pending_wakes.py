"""The wakes a mirror holds back until it holds their entries (docs/protocol.md §12): a
member hands a mirror the sealed wake of a member who is away, and the mirror pushes it
once the entry it announces is here, so that whoever is woken finds it even when its
author has gone.

    wakes = PendingWakes(send_wake, short)
    wakes.take(frame, held_ids)     # a `wake` frame: pushed at once, or kept waiting
    wakes.arrived(entries)          # entries now held: their wakes go
"""

import asyncio
import logging
from collections.abc import Callable
from typing import NamedTuple

from parley_peer.blind_log import BlindEntry
from parley_peer.encoding import b64url_decode

logger = logging.getLogger("mirror")

# Wakes for entries not held yet (§12): at most this many per room, for this long.
MAX_PENDING_WAKES = 256
PENDING_WAKE_S = 600.0


class PendingWake(NamedTuple):
    mailbox: bytes  # the mailbox id
    blob: str  # the sealed wake
    since: float  # the loop's time when it came


class PendingWakes:
    def __init__(self, send_wake: Callable[[bytes, str], object], short: str) -> None:
        self._send_wake, self.short = send_wake, short
        # entry id -> the wakes waiting for it, in arrival order; pushed once it is held
        self.waiting: dict[bytes, list[PendingWake]] = {}

    def take(self, frame: dict, held: set[bytes]) -> None:
        entry = b64url_decode(frame["entry"], 32)
        mailbox = b64url_decode(frame["mailbox"], 32)
        if entry in held:
            self._send_wake(mailbox, frame["blob"])
            return
        now = asyncio.get_running_loop().time()
        self._forget_old(now)
        if sum(map(len, self.waiting.values())) >= MAX_PENDING_WAKES:
            # The oldest gives way: a flood of wakes for entries that never come must not
            # keep out the wakes of messages that are on their way.
            oldest = min(self.waiting, key=lambda e: self.waiting[e][0].since)
            self.waiting[oldest].pop(0)
            if not self.waiting[oldest]:
                del self.waiting[oldest]
            logger.info(
                "room %s: too many wakes wait for their entries; the oldest went", self.short
            )
        self.waiting.setdefault(entry, []).append(PendingWake(mailbox, frame["blob"], now))

    def arrived(self, added: list[BlindEntry]) -> None:
        self._forget_old(asyncio.get_running_loop().time())
        for entry in added:
            for wake in self.waiting.pop(entry.id, []):
                self._send_wake(wake.mailbox, wake.blob)

    def _forget_old(self, now: float) -> None:
        for entry in list(self.waiting):
            fresh = [w for w in self.waiting[entry] if now - w.since < PENDING_WAKE_S]
            if fresh:
                self.waiting[entry] = fresh
            else:
                del self.waiting[entry]
