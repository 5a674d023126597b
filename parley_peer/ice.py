"""The ICE servers of the Python peer: asked of the rendezvous server, given to every link.

    ice = IceConfig(signaling, has_links=lambda: bool(swarm.peers))
    await ice.refresh()               # `ice-servers` (protocol §3); never raises, <= 5 s
    pc = RTCPeerConnection(ice.rtc_configuration())
    ice.start_renewal(); await ice.stop()

As the browser does: ask once joined, before dialling or answering anyone; ask again at
3/4 of the time to `expires` while there are links; go on with the servers already held
(or none) when the answer does not come within 5 s or the server says `ice_rate_limited`.
The answer comes from a server, so it is checked like any outside input (`parse_answer`):
at most 8 servers, URLs aiortc can parse, short strings, or it is not used. `relay_only`
is aiortc's `iceTransportPolicy: "relay"`, for tests that a link goes through TURN.

aiortc uses the first STUN URL and the first TURN URL it can use (udp or tcp transport);
the others are ignored, which the server's order (UDP first) suits.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy
from aiortc.rtcicetransport import parse_stun_turn_uri

from parley_peer.signaling import SignalingClient, SignalingError

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 5.0
RENEW_AT_SHARE = 0.75
MAX_SERVERS = 8
MAX_URLS = 8
MAX_TEXT = 512
# A renewal never comes sooner than this: as the time left shrinks after refusals, asks
# come closer, but not in a loop.
MIN_RENEW_S = 10.0
# Once the credential has expired (every renewal refused, or a server that answers with
# an expiry in the past), a minute apart: each refusal counts toward the server's close.
EXPIRED_RETRY_S = 60.0


class BadAnswer(ValueError):
    """An `ice-servers` answer that does not follow §3."""


@dataclass(frozen=True)
class IceServers:
    servers: tuple[RTCIceServer, ...] = ()
    expires: int | None = None


def _short_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise BadAnswer(f"{name} is not a string of 1-{MAX_TEXT} characters")
    return value


def parse_server(entry: object) -> RTCIceServer:
    if not isinstance(entry, dict) or not set(entry) <= {"urls", "username", "credential"}:
        raise BadAnswer("a server is not {urls, username?, credential?}")
    urls = entry.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not 0 < len(urls) <= MAX_URLS:
        raise BadAnswer(f"urls is not a list of 1-{MAX_URLS} URLs")
    for url in urls:
        try:
            parse_stun_turn_uri(_short_text(url, "a URL"))
        except ValueError as error:
            raise BadAnswer(f"{url!r} is not a STUN or TURN URL") from error
    if not any(url.startswith(("turn:", "turns:")) for url in urls):
        return RTCIceServer(urls=list(urls))
    # A TURN server is usable only with its credential (as the browser's schema says).
    username = _short_text(entry.get("username"), "username")
    credential = _short_text(entry.get("credential"), "credential")
    return RTCIceServer(urls=list(urls), username=username, credential=credential)


def parse_answer(frame: dict) -> IceServers:
    servers, expires = frame.get("servers"), frame.get("expires")
    if not isinstance(servers, list) or len(servers) > MAX_SERVERS:
        raise BadAnswer(f"servers is not a list of at most {MAX_SERVERS}")
    if expires is not None and (
        not isinstance(expires, int) or isinstance(expires, bool) or expires <= 0
    ):
        raise BadAnswer("expires is neither a unix time in seconds nor null")
    parsed = tuple(parse_server(entry) for entry in servers)
    if expires is None and any(server.username is not None for server in parsed):
        raise BadAnswer("a TURN credential without an expiry")
    return IceServers(parsed, expires)


class IceConfig:
    """This peer's ICE servers, renewed before their TURN credential expires."""

    def __init__(
        self,
        signaling: SignalingClient,
        *,
        has_links: Callable[[], bool] = lambda: True,
        relay_only: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signaling = signaling
        self.has_links = has_links
        self.relay_only = relay_only
        self.clock = clock
        self.current = IceServers()
        self._renewal: asyncio.Task | None = None

    def rtc_configuration(self) -> RTCConfiguration:
        policy = RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL
        return RTCConfiguration(iceServers=list(self.current.servers), iceTransportPolicy=policy)

    async def refresh(self) -> IceServers:
        """Ask the server; on any failure keep what is held (never raises, <= 5 s)."""
        try:
            servers, expires = await self.signaling.request_ice_servers(ANSWER_TIMEOUT_S)
            self.current = parse_answer({"servers": servers, "expires": expires})
        # No answer in time, a malformed one, an error frame (`ice_rate_limited`,
        # `not_joined`), or the socket gone: links are still made, with what is held.
        except (TimeoutError, BadAnswer, SignalingError, ConnectionError) as problem:
            logger.info("keeping the ICE servers held: %s", problem)
        return self.current

    def renew_in(self) -> float | None:
        """Seconds until the next renewal, or None when nothing expires."""
        if self.current.expires is None:
            return None
        left = self.current.expires - self.clock()
        if left <= 0:
            return EXPIRED_RETRY_S
        return max(MIN_RENEW_S, left * RENEW_AT_SHARE)

    def start_renewal(self) -> None:
        if self._renewal is None:
            self._renewal = asyncio.create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            wait = self.renew_in()
            if wait is None:
                return
            await asyncio.sleep(wait)
            # Without links nothing is asked; once the time has come, renew_in() is
            # MIN_RENEW_S, so the first check with links again asks.
            if self.has_links():
                await self.refresh()

    async def stop(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal
            self._renewal = None
