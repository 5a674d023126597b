"""Limits of the rendezvous server (docs/protocol.md §5), per connection and per address.

`Limits.from_settings()` reads `settings.PARLEY_SIGNAL` when a connection opens, so a
test's `override_settings` applies to the connections it opens. `TokenBucket` is the
per-connection rate limit: every frame costs one token, whatever it contains.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class Limits:
    frame_bytes: int
    topics: int
    sample: int
    rate_per_second: float
    burst: int
    flood_strikes: int
    max_errors: int
    idle_seconds: float
    connections_per_address: int
    topics_per_address: int

    @classmethod
    def from_settings(cls) -> "Limits":
        conf = settings.PARLEY_SIGNAL
        return cls(
            frame_bytes=int(conf["MAX_FRAME_BYTES"]),
            topics=int(conf["MAX_TOPICS_PER_CONNECTION"]),
            sample=int(conf["SAMPLE_SIZE"]),
            rate_per_second=float(conf["RATE_PER_SECOND"]),
            burst=int(conf["RATE_BURST"]),
            flood_strikes=int(conf["FLOOD_STRIKES"]),
            max_errors=int(conf["MAX_ERRORS"]),
            idle_seconds=float(conf["IDLE_SECONDS"]),
            connections_per_address=int(conf["MAX_CONNECTIONS_PER_IP"]),
            topics_per_address=int(conf["MAX_TOPICS_PER_IP"]),
        )

    def for_client(self) -> dict:
        """The `limits` object of the `welcome` frame: what a client must stay within.

        The per-address caps are left out: a client cannot tell how much of them the
        other connections from its address already use.
        """
        return {
            "frame_bytes": self.frame_bytes,
            "topics": self.topics,
            "sample": self.sample,
            "rate_per_second": self.rate_per_second,
            "burst": self.burst,
            "idle_seconds": self.idle_seconds,
        }


class TokenBucket:
    """Holds up to `burst` tokens, refilled at `rate` tokens per second; starts full."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> bool:
        """Spend one token; False (and nothing spent) if the bucket is empty."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
