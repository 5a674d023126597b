"""PeerLink: one aiortc RTCPeerConnection and its `parley` data channel (protocol §6).

    link = PeerLink(polite=..., initiator=..., on_signal=async_fn(payload),
                    on_open=fn(), on_frame=fn(frame), on_bad_frame=fn(code),
                    on_closed=fn(reason), configuration=ice.rtc_configuration())
    link.start()              # the initiator makes the channel and the offer
    link.signal(payload)      # a payload from a verified envelope (§4), processed in order
    link.send_text(text)      # once open; link.state: connecting | open | closed
    link.authenticated()      # the peer's hello proved its identity: stop the timeout
    link.take_channel(label)  # a side channel the peer opened (on_side_channel(label)
                              # tells), with the messages that came before: (channel, early)
    link.open_channel(label)  # our own side channel (`parley-file`, §11)
    await link.close(reason)

It never sees envelopes or link proofs: the swarm handles those, as in the browser.
"Open" means the certificate check passed and the channel is open; ``local_fingerprint``
and ``remote_fingerprint`` (hex) are then set for the link proof.

aiortc gathers every ICE candidate before ``setLocalDescription`` returns, so our
descriptions carry their candidates and we never trickle. The browser does trickle; its
candidates are added as they come (and wait for the remote description if early).
Candidates with an mDNS ``.local`` host are skipped unless ``resolve_mdns`` is set:
aioice can resolve them, but only by multicast queries on the LAN, and a link to a
browser comes up without them, through the peer-reflexive candidate aioice learns from
the browser's own connectivity checks against our host candidates.

aiortc has no description rollback, so a polite link cannot give way in an offer
collision; it closes with ``negotiation_failed``. The swarm keeps that from happening:
when both ends dial at once, its polite end gives its unanswered dial up and answers with
a new link (``parley_peer.redial.dialled_at_once``).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdatachannel import RTCDataChannel
from aiortc.sdp import candidate_from_sdp

from parley_peer.data_frames import MAX_DATA_FRAME_BYTES, DataFrameError, parse_data_frame
from parley_peer.dtls_fingerprint import remote_certificate_fingerprint, sdp_fingerprint

CONNECT_TIMEOUT_S = 20.0
CERTIFICATE_WAIT_S = 5.0
MAX_EARLY_FRAMES = 32
MAX_BAD_FRAMES = 16
MAX_PENDING_CANDIDATES = 64
CHANNEL_LABEL = "parley"
# Channels besides `parley` that a peer may open, one each (§11); held unread, with at
# most this many early messages, until the owner takes them (once the link is ready).
SIDE_CHANNELS = frozenset({"parley-file"})
MAX_EARLY_SIDE_MESSAGES = 64
logger = logging.getLogger(__name__)


class PeerLink:
    def __init__(
        self,
        *,
        polite: bool,
        initiator: bool,
        on_signal: Callable[[dict], Awaitable[None]],
        on_open: Callable[[], None] = lambda: None,
        on_frame: Callable[[dict], None] = lambda frame: None,
        on_bad_frame: Callable[[str], None] = lambda code: None,
        on_closed: Callable[[str], None] = lambda reason: None,
        on_side_channel: Callable[[str], None] = lambda label: None,
        resolve_mdns: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        configuration: RTCConfiguration | None = None,
    ) -> None:
        self.polite, self.initiator = polite, initiator
        self.state = "connecting"
        self.closed_reason: str | None = None
        self.resolve_mdns = resolve_mdns
        self._on_signal, self._on_open, self._on_frame = on_signal, on_open, on_frame
        self._on_bad_frame, self._on_closed = on_bad_frame, on_closed
        self._on_side_channel = on_side_channel
        self._side_channels: dict[str, tuple[RTCDataChannel, list[str | bytes]]] = {}
        self._side_labels: set[str] = set()  # every side channel the peer ever opened
        # The ICE servers of the rendezvous server (parley_peer/ice.py); none without them,
        # as aiortc would otherwise ask stun.l.google.com by default.
        self.configuration = configuration or RTCConfiguration(iceServers=[])
        self.pc = RTCPeerConnection(self.configuration)
        self.channel: RTCDataChannel | None = None
        self.verified_remote_sdp: str | None = None
        self.certificate_ok = False
        self.checking_certificate = False
        self.local_fingerprint: str | None = None
        self.remote_fingerprint: str | None = None
        self.making_offer = False
        self._pending_candidates: list[dict | None] = []
        self._early_frames: list[str | bytes] = []
        self.bad_frames = 0
        self._signals: asyncio.Queue[dict] = asyncio.Queue()
        self._tasks: set[asyncio.Task] = set()
        self._connect_timeout = connect_timeout
        self._timeout: asyncio.TimerHandle | None = None
        self.pc.on("connectionstatechange", self._on_connection_state)
        self.pc.on("datachannel", self._on_datachannel)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._timeout = loop.call_later(self._connect_timeout, self._close_soon, "timeout")
        self._spawn(self._process_signals())
        if self.initiator:
            self._adopt(self.pc.createDataChannel(CHANNEL_LABEL, ordered=True))
            self._spawn(self._offer())

    def signal(self, payload: dict) -> None:
        """Queue a verified payload; one worker applies them in arrival order."""
        if self.state != "closed":
            self._signals.put_nowait(payload)

    def send_text(self, text: str) -> bool:
        if self.state != "open" or self.channel is None or self.channel.readyState != "open":
            return False
        self.channel.send(text)
        return True

    def take_channel(self, label: str) -> tuple[RTCDataChannel, list[str | bytes]] | None:
        """The peer's side channel ``label`` and the messages it sent before; once."""
        held = self._side_channels.pop(label, None)
        if held is not None:
            held[0].remove_all_listeners("message")  # the owner listens from now on
        return held

    def open_channel(self, label: str) -> RTCDataChannel:
        return self.pc.createDataChannel(label, ordered=True)

    def authenticated(self) -> None:
        # Until the peer proves its identity on the link, the connect timeout keeps running.
        if self._timeout is not None:
            self._timeout.cancel()

    async def close(self, reason: str = "closed") -> None:
        if self.state == "closed":
            return
        self.state, self.closed_reason = "closed", reason
        if self._timeout is not None:
            self._timeout.cancel()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        try:
            if self.channel is not None:
                self.channel.close()
            for channel, _ in self._side_channels.values():
                channel.close()
            self._side_channels.clear()
            await self.pc.close()
        finally:
            self._on_closed(reason)  # the owner must hear of it even if aiortc complains

    # Negotiation.

    async def _offer(self) -> None:
        try:
            self.making_offer = True
            await self.pc.setLocalDescription(await self.pc.createOffer())
            await self._send_local_description()
        finally:
            self.making_offer = False

    async def _send_local_description(self) -> None:
        description = self.pc.localDescription
        await self._on_signal({"description": {"type": description.type, "sdp": description.sdp}})

    async def _process_signals(self) -> None:
        while True:
            payload = await self._signals.get()
            try:
                if "description" in payload:
                    await self._accept_description(payload["description"])
                else:
                    await self._accept_candidate(payload["candidate"])
            except Exception as error:  # aiortc raises plain exceptions on bad SDP
                logger.info("negotiation failed: %r", error)
                self._close_soon("negotiation_failed")
                return

    async def _accept_description(self, description: dict) -> None:
        collision = description["type"] == "offer" and (
            self.making_offer or self.pc.signalingState != "stable"
        )
        if collision and not self.polite:
            return  # the impolite side keeps its own offer (perfect negotiation)
        if collision:
            raise RuntimeError("offer collision, and aiortc cannot roll back")
        # Set before the await: DTLS may complete while setRemoteDescription runs.
        self.verified_remote_sdp = description["sdp"]
        await self.pc.setRemoteDescription(RTCSessionDescription(**description))
        if description["type"] == "offer":
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self._send_local_description()
        waiting, self._pending_candidates = self._pending_candidates, []
        for candidate in waiting:
            await self._accept_candidate(candidate)

    async def _accept_candidate(self, candidate: dict | None) -> None:
        if self.pc.remoteDescription is None:
            if len(self._pending_candidates) < MAX_PENDING_CANDIDATES:
                self._pending_candidates.append(candidate)
            return
        if candidate is None:
            await self.pc.addIceCandidate(None)  # end-of-candidates
            return
        text = candidate["candidate"].removeprefix("candidate:")
        if not text:
            return  # "" is a browser's end-of-generation marker; nothing to add
        parsed = candidate_from_sdp(text)
        if parsed.protocol.lower() != "udp":
            return  # aioice only does UDP; the browser's TCP candidates are of no use
        if parsed.ip.endswith(".local") and not self.resolve_mdns:
            logger.debug("skipping mDNS candidate %s", parsed.ip)
            return
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(parsed)

    # Connection, certificate and channel.

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected" and not self.certificate_ok and not self.checking_certificate:
            self.checking_certificate = True
            self._spawn(self._check_certificate())
        elif state == "failed":
            self._close_soon("connection_failed")
        elif state == "closed":
            self._close_soon("closed")

    async def _check_certificate(self) -> None:
        expected = sdp_fingerprint(self.verified_remote_sdp)
        actual = None
        deadline = asyncio.get_running_loop().time() + CERTIFICATE_WAIT_S
        while expected and actual is None and asyncio.get_running_loop().time() < deadline:
            actual = remote_certificate_fingerprint(self.pc)
            if actual is None:
                await asyncio.sleep(0.05)  # the certificate can lag the connected state
        if expected is None or actual is None:
            return await self.close("certificate_unavailable")
        if actual != expected:
            return await self.close("certificate_mismatch")
        self.local_fingerprint = sdp_fingerprint(self.pc.localDescription.sdp)
        if self.local_fingerprint is None:
            return await self.close("certificate_unavailable")
        self.remote_fingerprint = actual
        self.certificate_ok = True
        self._maybe_open()

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label == CHANNEL_LABEL:
            if self.channel is None:
                self._adopt(channel)
        else:
            self._hold_side_channel(channel)

    def _hold_side_channel(self, channel: RTCDataChannel) -> None:
        # The peer may open its file channel as soon as it sees the link ready, before its
        # hello reached us: hold it unread (a few messages kept) until the owner takes it.
        label = channel.label
        if label not in SIDE_CHANNELS or label in self._side_labels or self.state == "closed":
            channel.close()  # unknown, or a second one
            return
        self._side_labels.add(label)
        early: list[str | bytes] = []

        def hold(data: str | bytes) -> None:
            if len(early) < MAX_EARLY_SIDE_MESSAGES:
                early.append(data)

        channel.on("message", hold)
        self._side_channels[label] = (channel, early)
        self._on_side_channel(label)

    def _adopt(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        channel.on("open", self._maybe_open)
        channel.on("close", lambda: self._close_soon("channel_closed"))
        channel.on("message", self._on_message)
        if channel.readyState == "open":  # an announced channel can arrive already open
            self._maybe_open()

    def _maybe_open(self) -> None:
        if self.state != "connecting" or not self.certificate_ok:
            return
        if self.channel is None or self.channel.readyState != "open":
            return
        self.state = "open"
        self._on_open()
        early, self._early_frames = self._early_frames, []
        for data in early:
            self._on_message(data)

    def _on_message(self, data: str | bytes) -> None:
        if self.state == "connecting":
            # The other side passed its certificate check first: hold its frames (§6),
            # but only what could be a frame, so the wait costs at most 32 x 64 KiB.
            small = isinstance(data, str) and len(data) <= MAX_DATA_FRAME_BYTES
            if small and len(self._early_frames) < MAX_EARLY_FRAMES:
                self._early_frames.append(data)
            return
        if self.state != "open":
            return
        try:
            frame = parse_data_frame(data)
        except DataFrameError as error:
            self._on_bad_frame(error.code)
            self.bad_frames += 1
            if self.bad_frames > MAX_BAD_FRAMES:
                self._close_soon("misbehaving")
            return
        self._on_frame(frame)

    def _close_soon(self, reason: str) -> None:
        if self.state != "closed":
            self._spawn(self.close(reason))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("peer link task failed", exc_info=task.exception())
            with contextlib.suppress(RuntimeError):
                self._close_soon("negotiation_failed")
