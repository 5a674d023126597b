"""When a link fails, dial again (docs/protocol.md §6, "Dialling again"): the rules of
static/app/peers/redial.js, alike."""

import asyncio
import random as _random
from collections.abc import Callable

from parley_peer.dtls_fingerprint import sdp_fingerprint

MAX_REDIALS = 3  # in a row; a link that becomes ready starts the count again

# Reasons that may pass: the network, a slow machine, a lost signal, the other end giving
# up (its channel closed) or a frame before the hello (`unauthenticated`: a browser that
# greeted at once on our channel, whose hello Chromium dropped; docs/protocol.md §6). What
# the peer did wrong beyond doubt or chose is not dialled again.
PASSING_FAILURES = frozenset(
    {
        "timeout",
        "connection_failed",
        "negotiation_failed",
        "certificate_unavailable",
        "channel_closed",
        "unauthenticated",
    }
)


def dials_again(local_connection_key: bytes, remote_connection_key: bytes) -> bool:
    """Only the end whose connection key sorts first (the polite end) dials again, so the
    two never offer at once: aiortc cannot roll an offer back."""
    return local_connection_key < remote_connection_key


def should_redial(
    *, reason: str, we_dial: bool, announced: bool, twin_ready: bool, attempts: int
) -> bool:
    # Not while another ready link reaches the same person: one link per identity is kept
    # (§6, duplicates), and a channel its peer closed as a duplicate is not to be undone.
    if not we_dial or not announced or twin_ready or attempts >= MAX_REDIALS:
        return False
    return reason in PASSING_FAILURES


def redial_delay_s(attempts: int, random: Callable[[], float] = _random.random) -> float:
    """1, 2, 4 s, each ±25 %."""
    return 2**attempts * (0.75 + random() / 2)


def is_fresh_offer(payload: dict, remote_sdp: str | None) -> bool:
    """An offer whose DTLS certificate is not the one this link negotiated comes from a new
    peer connection at the other end: it dialled again, and the old link is finished."""
    description = payload.get("description")
    if not isinstance(description, dict) or description.get("type") != "offer":
        return False
    known = sdp_fingerprint(remote_sdp)
    return known is not None and sdp_fingerprint(description["sdp"]) != known


def dialled_at_once(
    payload: dict, *, polite: bool, initiator: bool, remote_sdp: str | None
) -> bool:
    """An offer that reaches our own dial before its answer: both ends dialled at once
    (§6, collisions). A polite browser rolls its offer back and answers; aiortc cannot roll
    back, so the polite end of an aiortc link gives its dial up and answers with a new link
    instead. The impolite end keeps its dial and ignores the offer, as in the browser."""
    description = payload.get("description")
    if not isinstance(description, dict) or description.get("type") != "offer":
        return False
    return polite and initiator and remote_sdp is None


class RedialTimers:
    """Per connection id: the failed links in a row, and the pending redial's timer."""

    def __init__(self) -> None:
        self._entries: dict[object, tuple[int, asyncio.TimerHandle | None]] = {}

    def attempts(self, connection_id: str) -> int:
        return self._entries.get(connection_id, (0, None))[0]

    def schedule(self, connection_id: str, delay: float, redial: Callable[[str], None]) -> None:
        """`redial(connection_id)` in `delay` seconds, instead of any pending; one attempt more."""
        attempts, timer = self._entries.get(connection_id, (0, None))
        if timer is not None:
            timer.cancel()
        timer = asyncio.get_running_loop().call_later(delay, self._fire, connection_id, redial)
        self._entries[connection_id] = (attempts + 1, timer)

    def _fire(self, connection_id: str, redial: Callable[[str], None]) -> None:
        self._entries[connection_id] = (self.attempts(connection_id), None)
        redial(connection_id)

    def forget(self, connection_id: object) -> None:
        """The link became ready, or the peer left: the count starts again."""
        _, timer = self._entries.pop(connection_id, (0, None))
        if timer is not None:
            timer.cancel()

    def forget_all(self) -> None:
        for connection_id in list(self._entries):
            self.forget(connection_id)
