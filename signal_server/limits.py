"""Limits of the rendezvous server (docs/protocol.md §5), per connection and per address.

`Limits.from_settings()` reads `settings.PARLEY_SIGNAL` when a connection opens, so a
test's `override_settings` applies to the connections it opens. `TokenBucket` is the
per-connection rate limit: every frame costs one token, whatever it contains.
`BucketRegistry` holds one bucket per key (a mailbox, a client address) for limits that
many connections or requests share, in this process (the shared state's KeyedBuckets
are these in memory, or their Redis twin: state/).
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
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
    wake_rate_per_second: float
    wake_burst: int
    mailbox_wake_rate_per_second: float
    mailbox_wake_burst: int
    wakes_in_flight: int
    ice_rate_per_second: float
    ice_burst: int
    ice_address_rate_per_second: float
    ice_address_burst: int
    # Of the mirror service's connection, once it has proved the mirror key (§12).
    mirror_topics: int
    mirror_rate_per_second: float
    mirror_burst: int
    mirror_wake_rate_per_second: float
    mirror_wake_burst: int
    mirror_wakes_in_flight: int
    mirror_request_rate_per_second: float
    mirror_request_burst: int
    # The degree of a room's links clients are told to keep (§6, big rooms).
    overlay: tuple[int, int, int] = (8, 6, 12)

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
            wake_rate_per_second=float(conf["WAKE_RATE_PER_SECOND"]),
            wake_burst=int(conf["WAKE_BURST"]),
            mailbox_wake_rate_per_second=float(conf["MAILBOX_WAKE_RATE_PER_SECOND"]),
            mailbox_wake_burst=int(conf["MAILBOX_WAKE_BURST"]),
            wakes_in_flight=int(conf["WAKES_IN_FLIGHT"]),
            ice_rate_per_second=float(conf["ICE_RATE_PER_SECOND"]),
            ice_burst=int(conf["ICE_BURST"]),
            ice_address_rate_per_second=float(conf["ICE_ADDRESS_RATE_PER_SECOND"]),
            ice_address_burst=int(conf["ICE_ADDRESS_BURST"]),
            mirror_topics=int(conf["MIRROR_MAX_TOPICS"]),
            mirror_rate_per_second=float(conf["MIRROR_RATE_PER_SECOND"]),
            mirror_burst=int(conf["MIRROR_BURST"]),
            mirror_wake_rate_per_second=float(conf["MIRROR_WAKE_RATE_PER_SECOND"]),
            mirror_wake_burst=int(conf["MIRROR_WAKE_BURST"]),
            mirror_wakes_in_flight=int(conf["MIRROR_WAKES_IN_FLIGHT"]),
            mirror_request_rate_per_second=float(conf["MIRROR_REQUEST_RATE_PER_SECOND"]),
            mirror_request_burst=int(conf["MIRROR_REQUEST_BURST"]),
            overlay=overlay_degree(conf["OVERLAY_DEGREE"]),
        )

    def for_mirror(self) -> dict:
        """The `limits` of `mirror-serving`: the `welcome` limits the mirror's connection
        has from then on (§12)."""
        return {
            **self.for_client(),
            "topics": self.mirror_topics,
            "rate_per_second": self.mirror_rate_per_second,
            "burst": self.mirror_burst,
        }

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
            "overlay": dict(zip(("target", "low", "high"), self.overlay, strict=True)),
        }


MAX_OVERLAY_DEGREE = 64


def overlay_degree(text: str) -> tuple[int, int, int]:
    """ "target,low,high" as whole numbers with 1 <= low <= target <= high <= 64, the
    range a client accepts; else ValueError (a system check says so at start)."""
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ValueError("PARLEY_OVERLAY_DEGREE is three whole numbers: target,low,high")
    target, low, high = (int(part) for part in parts)
    if not 1 <= low <= target <= high <= MAX_OVERLAY_DEGREE:
        raise ValueError(
            f"PARLEY_OVERLAY_DEGREE needs 1 <= low <= target <= high <= {MAX_OVERLAY_DEGREE}"
        )
    return target, low, high


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
        self._refill()
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def full(self) -> bool:
        """Whether the bucket has refilled completely: forgetting it then changes nothing."""
        self._refill()
        return self._tokens >= self._burst

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now


class BucketRegistry:
    """One token bucket per key, for a limit that many connections or requests share.

    Process-local: with several server processes each has its own registry, so a key
    gets up to one budget per process; the per-mailbox wake budget is therefore in
    Redis when there is one (state/redis/buckets.py, docs/deployment.md). Memory is bounded: buckets
    are kept in least-recently-used order, the ones at the old end that have refilled
    completely are forgotten as new keys come (a fresh bucket is full, so nothing is
    lost), and beyond `max_keys` the least recently used bucket is forgotten even if it
    is not full. That last case resets one key's budget; it takes more keys in use at
    once than an honest deployment has, and refusing new keys instead would let anyone
    who fills the registry stop every limited action for everyone.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def take(self, key: Hashable) -> bool:
        """Spend one of `key`'s tokens; False (and nothing spent) if its bucket is empty."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle()
            bucket = TokenBucket(self._rate, self._burst, self._clock)
            self._buckets[key] = bucket
        else:
            self._buckets.move_to_end(key)
        return bucket.take()

    def _forget_idle(self) -> None:
        # Looks only at the old end, so each call costs O(1) amortised: every bucket is
        # forgotten at most once.
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if not (oldest.full() or len(self._buckets) >= self._max_keys):
                break
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)
