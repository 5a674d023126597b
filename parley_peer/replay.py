"""Replay guard for envelopes (docs/protocol.md §4, check 11).

Remembers (sender identity, nonce) pairs of accepted envelopes until their timestamp
leaves the freshness window, after which the stale check rejects a replay anyway.
Memory is bounded: when full, the oldest pair is forgotten and its timestamp becomes a
floor at or below which everything counts as a replay, so forgetting never lets a
replay through (it may reject a late original).
"""

FRESHNESS_PAST_MS = 120_000


class ReplayGuard:
    def __init__(self, window_ms: int = FRESHNESS_PAST_MS, max_entries: int = 10_000) -> None:
        if window_ms < FRESHNESS_PAST_MS:
            raise ValueError("a window shorter than the freshness window lets replays through")
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._window_ms = window_ms
        self._max_entries = max_entries
        self._timestamps: dict[bytes, int] = {}
        self._floor: float = float("-inf")

    def __len__(self) -> int:
        return len(self._timestamps)

    def has(self, sender_identity: bytes, nonce: bytes, timestamp: int, now_ms: int) -> bool:
        self._forget_expired(now_ms)
        return timestamp <= self._floor or sender_identity + nonce in self._timestamps

    def remember(self, sender_identity: bytes, nonce: bytes, timestamp: int, now_ms: int) -> None:
        self._forget_expired(now_ms)
        key = sender_identity + nonce
        self._timestamps.pop(key, None)
        while len(self._timestamps) >= self._max_entries:
            oldest = next(iter(self._timestamps))
            self._floor = max(self._floor, self._timestamps.pop(oldest))
        self._timestamps[key] = timestamp

    def _forget_expired(self, now_ms: int) -> None:
        # Pairs arrive roughly in timestamp order, so expired ones collect at the front.
        horizon = now_ms - self._window_ms
        while self._timestamps:
            oldest = next(iter(self._timestamps))
            if self._timestamps[oldest] >= horizon:
                break
            del self._timestamps[oldest]
