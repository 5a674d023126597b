"""The rendezvous side of the mirror service (docs/protocol.md §12): one connection proves
the mirror key and is registered (the shared state's MirrorDirectory, one for every
process); every `mirror` request goes to it, and its `mirror-reply` frames go back to
the connection that asked.

How a reply finds its requester: the `mirror.request` event that takes a request to the
mirror's consumer also carries the requester's channel name (server-side only; the
mirror's client sees the connection id and key, as `mirror-request {from, key, blob}`).
The mirror's consumer keeps those channel names by connection id, for the requests not
yet answered, in a bounded map (`PendingRequests`). A `mirror-reply {to}` answers one
request of `to` and goes to its channel name like any event between connections
(local_delivery.py, or the relay to another process). So no lookup of connections by id
is needed in the shared state, and the mirror can reach only connections that asked it:
a `to` without an unanswered request is `unreachable`. A requester that closed
meanwhile loses the reply quietly, as a signal sent to a connection that has just left.
A replaced mirror connection (the latest registration wins) answers no more: its
replies are `not_mirror`, and its requesters ask again, to the new one.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from signal_server import frames, local_delivery
from signal_server.checks import check_is_mirror, check_mirror_registered, check_mirror_serve
from signal_server.mirror_key import configured_mirror_key
from signal_server.protocol import (
    MirrorReply,
    MirrorRequest,
    MirrorServe,
    ProtocolError,
    encode_b64url,
    mirror_reply_text,
)
from signal_server.state.interfaces import Event, Member, SharedState

logger = logging.getLogger(__name__)

# Connections with unanswered requests one mirror connection remembers; beyond, the one
# that asked least recently is forgotten (its reply is then `unreachable`). The service
# answers within seconds, and its requesters' own rate limits bound how many can ask.
MAX_PENDING_REQUESTERS = 10_000

SendFrame = Callable[[dict], Awaitable[None]]


@dataclass(slots=True)
class _Requester:
    channel_name: str
    unanswered: int


class PendingRequests:
    """The connections with unanswered requests, by id, least recent asker first."""

    def __init__(self, max_requesters: int = MAX_PENDING_REQUESTERS) -> None:
        self.max_requesters = max_requesters
        self._requesters: OrderedDict[bytes, _Requester] = OrderedDict()

    def add(self, requester: bytes, channel_name: str) -> None:
        known = self._requesters.pop(requester, None)
        unanswered = known.unanswered + 1 if known else 1
        self._requesters[requester] = _Requester(channel_name, unanswered)
        while len(self._requesters) > self.max_requesters:
            self._requesters.popitem(last=False)

    def take(self, requester: bytes) -> str | None:
        """The channel name of `requester` if it has a request unanswered; answers one."""
        known = self._requesters.get(requester)
        if known is None:
            return None
        known.unanswered -= 1
        if known.unanswered == 0:
            del self._requesters[requester]
        return known.channel_name

    def __len__(self) -> int:
        return len(self._requesters)


class MirrorEndpoint:
    """One connection's part in the mirror service: as a requester (any connection after
    hello) and, once it has proved the mirror key, as the service."""

    def __init__(
        self,
        state: SharedState,
        send_frame: SendFrame,
        on_serving: Callable[[], Awaitable[None]],
        serving_limits: dict,
    ) -> None:
        self.directory = state.mirrors
        self.relay = state.relay
        self.send_frame = send_frame  # to this connection's client
        self.on_serving = on_serving  # the first time: the consumer lifts its limits
        self.serving_limits = serving_limits  # what `mirror-serving` tells the service
        self.serving = False  # this connection proved the mirror key
        self.pending = PendingRequests()

    async def handle(self, frame: MirrorServe | MirrorRequest | MirrorReply, me: Member) -> None:
        match frame:
            case MirrorServe():
                await self.serve(frame, me)
            case MirrorRequest():
                await self.request(frame, me)
            case MirrorReply():
                await self.reply(frame, me)

    async def serve(self, frame: MirrorServe, me: Member) -> None:
        """Check the proof, register this connection as the mirror (again: a replaced
        one may take over once more), answer `mirror-serving`."""
        now_ms = time.time_ns() // 1_000_000
        check_mirror_serve(frame, me.key, configured_mirror_key(), now_ms)
        await self.directory.register(me)
        if not self.serving:
            self.serving = True
            await self.on_serving()
        await self.send_frame({"type": "mirror-serving", "limits": self.serving_limits})

    async def request(self, frame: MirrorRequest, me: Member) -> None:
        mirror = check_mirror_registered(await self.directory.current())
        event = {
            "type": "mirror.request",
            "id": me.id,
            "key": me.key,
            "blob": frame.blob,
            "reply_to": me.channel_name,
        }
        await self.deliver_to(mirror.channel_name, event)

    async def reply(self, frame: MirrorReply, me: Member) -> None:
        check_is_mirror(await self.directory.current(), me.id)
        channel_name = self.pending.take(frame.to)
        if channel_name is None:
            raise ProtocolError(
                frames.UNREACHABLE, "no request of that connection is waiting", frame.type
            )
        event = {"type": "mirror.reply", "text": mirror_reply_text(frame.blob)}
        await self.deliver_to(channel_name, event)

    async def request_arrived(self, event: Event) -> None:
        """A request reached this connection's consumer (only one that served is ever
        sent one): hand it to the service."""
        self.pending.add(event["id"], event["reply_to"])
        frame = {
            "type": "mirror-request",
            "from": encode_b64url(event["id"]),
            "key": encode_b64url(event["key"]),
            "blob": event["blob"],
        }
        await self.send_frame(frame)

    async def deliver_to(self, channel_name: str, event: Event) -> None:
        """As the consumer's own deliveries: to this process's inbox, else the relay."""
        try:
            await local_delivery.deliver(channel_name, event, self.relay.publish)
        except local_delivery.ChannelFull:
            logger.debug("channel full, dropped a %s event", event["type"])

    async def close(self, member_id: bytes) -> None:
        """The connection is closing: it serves no more (unless another replaced it)."""
        if self.serving:
            self.serving = False
            await self.directory.unregister(member_id)
