"""The rendezvous WebSocket consumer (docs/protocol.md §3).

Every frame goes the same way: take a token, parse (`protocol.parse_frame`), check
(`checks.check_*`), do (`do_*`, which sends). A failed step sends one error frame and
changes nothing. Frames to another connection go to that connection's own consumer,
addressed by channel name: directly when it is in this process (local_delivery.py),
else through the shared state's relay to its process. No Channels channel layer is used.
From accept to close a connection counts against its address's caps (addresses.py); one
over the cap is closed at once.
A `wake` is pushed in a task of its own (push/sender.py), answered with `woken` when the
push services have answered, so a slow push service never holds up relaying.
`ice-servers` is answered with the STUN/TURN servers and a fresh TURN credential
(ice_servers.py), within a per-connection and a per-address budget (checks.py). The
mirror frames are handled by mirror_relay.py; the mirror's connection gets its limits here.

The topics, the per-address caps, the per-mailbox wake budget, the per-address ICE
budget, the mirror's registration and the relay to other processes are the process's
shared state (state/interfaces.py, from state.factory.shared_state()): in memory, or
with settings.REDIS_URL in Redis, shared by every server process. The consumer uses
either alike. A frame that needs the shared state while it is unreachable
(errors.Unavailable) is answered `unavailable` and the connection is closed with 4503;
so is every connection of the process when the state reports itself lost (the relay's
`watch`: Redis gone or emptied, its subscription lost), and a new connection is refused
with 4503 until it is back (`check_ready`). The clients reconnect with backoff and join
again.

Nothing here logs per frame or logs blob content.
"""

import asyncio
import json
import logging
import secrets
import time

from channels.exceptions import ChannelFull
from django.conf import settings

from signal_server import addresses, frames, local_delivery
from signal_server.checks import (
    ConnectionRefused,
    check_address_can_connect,
    check_address_can_join,
    check_can_join,
    check_hello_order,
    check_ice_budget,
    check_joined,
    check_mirror_budget,
    check_reachable,
    check_wake_budget,
)
from signal_server.ice_servers import ice_servers_answer
from signal_server.limits import Limits, TokenBucket
from signal_server.mirror_relay import MirrorEndpoint
from signal_server.protocol import (
    Frame,
    Hello,
    IceServers,
    Join,
    Leave,
    MirrorReply,
    MirrorRequest,
    MirrorServe,
    Ping,
    ProtocolError,
    Signal,
    Wake,
    encode_b64url,
    parse_frame,
    signal_text,
)
from signal_server.push.sender import push_wake
from signal_server.state.errors import Unavailable
from signal_server.state.factory import shared_state
from signal_server.state.interfaces import Member
from signal_server.websocket_base import InboxWebsocketConsumer

logger = logging.getLogger(__name__)


class SignalConsumer(InboxWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member: Member | None = None
        self.topics: set[bytes] = set()
        self.errors = 0
        self.strikes = 0
        self.closed = False
        self.idle_watch: asyncio.Task | None = None
        # The address this connection is counted against; None until it is counted.
        self.address: str | None = None
        # Its topic memberships counted against that address: all of them, but none once
        # it serves as the mirror (memberships are numbers there, whichever topics).
        self.counted_topics = 0
        # Wakes waiting for the push services; a reference keeps each task alive.
        self.wakes: set[asyncio.Task] = set()
        self.closing: asyncio.Task | None = None

    def open_inbox(self) -> local_delivery.Inbox:
        """This connection's inbox, under a channel name of the shared state's relay."""
        self.state = shared_state()
        self.relay = self.state.relay
        self.channel_name = self.relay.new_channel_name()
        return local_delivery.Inbox(self.channel_name, self.dispatch, on_error=self.event_failed)

    def event_failed(self, error: BaseException) -> None:
        """An event handler failed in another connection's task: close this connection."""
        self.close_soon(frames.CLOSE_INTERNAL_ERROR)

    async def connect(self) -> None:
        self.limits = Limits.from_settings()
        self.registry = self.state.topics
        self.addresses = self.state.addresses
        self.bucket = TokenBucket(self.limits.rate_per_second, self.limits.burst)
        self.topic_limit = self.limits.topics
        self.mirror = MirrorEndpoint(
            self.state, self.send_frame, self.serve_as_mirror, self.limits.for_mirror()
        )
        self.wake_bucket = TokenBucket(self.limits.wake_rate_per_second, self.limits.wake_burst)
        self.wakes_in_flight = self.limits.wakes_in_flight
        self.mailbox_wakes = self.state.buckets(
            "wake", self.limits.mailbox_wake_rate_per_second, self.limits.mailbox_wake_burst
        )
        self.ice_bucket = TokenBucket(self.limits.ice_rate_per_second, self.limits.ice_burst)
        self.address_ice = self.state.buckets(
            "ice", self.limits.ice_address_rate_per_second, self.limits.ice_address_burst
        )
        self.address_mirror = self.state.buckets(
            "mirror",
            self.limits.mirror_request_rate_per_second,
            self.limits.mirror_request_burst,
        )
        self.last_frame = time.monotonic()
        address = addresses.client_address(self.scope, settings.PARLEY_TRUSTED_PROXY_COUNT)
        # Accepted before the cap is checked, so that a refused client gets a close code
        # to back off on rather than an HTTP 403 it cannot tell from a bad origin.
        await self.accept()
        cap = self.limits.connections_per_address
        try:
            await self.relay.check_ready()
            # Counted here unless the address is at the cap already (then nothing is).
            connections = await self.addresses.add_connection(address, cap)
            check_address_can_connect(connections, cap)
        except (ConnectionRefused, Unavailable) as refusal:
            logger.info("refusing a connection: %s", refusal)
            self.closed = True
            await self.close(getattr(refusal, "close_code", frames.CLOSE_TRY_AGAIN_LATER))
            return
        await self.do_connect(address)

    async def do_connect(self, address: str) -> None:
        self.address = address
        self.idle_watch = asyncio.create_task(self.watch_idle())
        self.relay.watch(self.shared_state_lost)

    async def disconnect(self, code: int) -> None:
        await self.shut_down()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.closed:
            return
        self.last_frame = time.monotonic()
        # Paid before parsing, so that malformed frames cost the sender as much as good ones.
        if not self.bucket.take():
            await self.reject_dropped_frame()
            return
        try:
            if text_data is None:
                raise ProtocolError(frames.BAD_JSON, "binary frames are not accepted")
            frame = parse_frame(text_data, self.limits.frame_bytes)
            check_hello_order(frame, said_hello=self.member is not None)
            await self.handle(frame)
        except ProtocolError as error:
            await self.reject(error)
        except Unavailable as outage:
            await self.unavailable(outage, ref=frame.type)

    async def handle(self, frame: Frame) -> None:
        match frame:
            case Hello():
                await self.do_hello(frame.key)
            case Join():
                check_can_join(self.topics, frame.topic, self.topic_limit)
                if frame.topic not in self.topics and not self.mirror.serving:
                    # Counted here unless the address is at its cap (then nothing is); a
                    # join that then fails (Unavailable) closes the connection, which
                    # gives back what counted_topics holds.
                    cap = self.limits.topics_per_address
                    memberships = await self.addresses.add_topic(self.counted_address, cap)
                    check_address_can_join(self.topics, frame.topic, memberships, cap)
                    self.counted_topics += 1
                await self.do_join(frame.topic)
            case Leave():
                check_joined(self.topics, frame.topic, frame.type)
                await self.do_leave(frame.topic)
            case Signal():
                check_joined(self.topics, frame.topic, frame.type)
                receiver = await check_reachable(self.registry, self.me.id, frame.to, frame.topic)
                await self.do_signal(frame, receiver)
            case Ping():
                await self.send_frame({"type": "pong"})
            case Wake():
                await check_wake_budget(
                    len(self.wakes),
                    self.wakes_in_flight,
                    self.wake_bucket,
                    self.mailbox_wakes,
                    frame.mailbox,
                )
                self.start_wake(frame)
            case IceServers():
                await check_ice_budget(
                    self.topics, self.ice_bucket, self.address_ice, self.counted_address
                )
                await self.send_frame(ice_servers_answer())
            case MirrorRequest():
                await check_mirror_budget(self.address_mirror, self.counted_address)
                await self.mirror.handle(frame, self.me)
            case MirrorServe() | MirrorReply():
                await self.mirror.handle(frame, self.me)

    # Frames other than hello come only after it (check_hello_order), and only on a
    # connection that was counted (a refused one is closed before its first frame).

    @property
    def me(self) -> Member:
        if self.member is None:
            raise RuntimeError("a frame other than hello was handled before hello")
        return self.member

    @property
    def counted_address(self) -> str:
        if self.address is None:
            raise RuntimeError("a frame was handled on a connection that was not counted")
        return self.address

    async def do_hello(self, key: bytes) -> None:
        connection_id = secrets.token_bytes(frames.CONNECTION_ID_BYTES)
        self.member = Member(id=connection_id, key=key, channel_name=self.channel_name)
        self.id_text = encode_b64url(connection_id)
        self.key_text = encode_b64url(key)
        await self.send_frame(
            {
                "type": "welcome",
                "v": frames.PROTOCOL_VERSION,
                "id": self.id_text,
                "limits": self.limits.for_client(),
            }
        )

    async def do_join(self, topic: bytes) -> None:
        first_time = topic not in self.topics
        joined = await self.registry.join(self.me, topic, self.limits.sample)
        self.topics.add(topic)
        peers = [{"id": encode_b64url(m.id), "key": encode_b64url(m.key)} for m in joined.sample]
        await self.send_frame({"type": "peers", "topic": encode_b64url(topic), "peers": peers})
        if first_time:
            me = self.me
            event = {"type": "topic.joined", "topic": topic, "id": me.id, "key": me.key}
            for other in joined.announce_to:
                await self.deliver(other, event)

    async def do_leave(self, topic: bytes) -> None:
        self.topics.discard(topic)
        await self.uncount_topic()
        await self.announce_left(
            topic, await self.registry.leave(self.me.id, topic, self.limits.sample)
        )

    async def do_signal(self, frame: Signal, receiver: Member) -> None:
        # The frame the receiver sends is made once, here; the receiver still checks that
        # it is in the topic (relay_signal).
        text = signal_text(encode_b64url(frame.topic), self.id_text, self.key_text, frame.blob)
        await self.deliver(receiver, {"type": "relay.signal", "topic": frame.topic, "text": text})

    async def uncount_topic(self) -> None:
        if self.counted_topics:
            await self.addresses.remove_topic(self.counted_address)
            self.counted_topics -= 1

    async def serve_as_mirror(self) -> None:
        """The mirror service links to every room it holds (§12): its own limits, and its
        topics no longer count against its address."""
        self.bucket = TokenBucket(self.limits.mirror_rate_per_second, self.limits.mirror_burst)
        self.topic_limit = self.limits.mirror_topics
        self.wake_bucket = TokenBucket(
            self.limits.mirror_wake_rate_per_second, self.limits.mirror_wake_burst
        )
        self.wakes_in_flight = self.limits.mirror_wakes_in_flight
        while self.counted_topics:
            await self.uncount_topic()

    def start_wake(self, frame: Wake) -> None:
        task = asyncio.create_task(self.do_wake(frame.mailbox, frame.blob))
        self.wakes.add(task)
        task.add_done_callback(self.wakes.discard)

    async def do_wake(self, mailbox: bytes, blob: str) -> None:
        # A wake accepted before the connection closes is still pushed: its sender may
        # close the tab right after the message that caused it.
        try:
            delivered = await push_wake(mailbox, blob)
        except Exception:
            logger.exception("a wake could not be pushed")
            delivered = 0
        if not self.closed:
            await self.send_frame(
                {"type": "woken", "mailbox": encode_b64url(mailbox), "delivered": delivered}
            )

    async def announce_left(self, topic: bytes, others: list[Member]) -> None:
        event = {"type": "topic.left", "topic": topic, "id": self.me.id}
        for other in others:
            await self.deliver(other, event)

    async def deliver(self, member: Member, event: dict) -> None:
        try:
            await local_delivery.deliver(member.channel_name, event, self.relay.publish)
        except ChannelFull:
            # The receiver is not reading; it loses this frame as it would on a bad network.
            logger.debug("channel full, dropped a %s event", event["type"])
        # The relay's publish raises Unavailable while Redis is known to be gone.

    # Events from other connections' consumers, read only (one event may go to several
    # receivers of this process). Each is re-checked against this connection's own
    # topics, which may have changed while the event travelled.

    async def relay_signal(self, event: dict) -> None:
        if not self.closed and event["topic"] in self.topics:
            await self.send_text(event["text"])

    async def topic_joined(self, event: dict) -> None:
        if not self.closed and event["topic"] in self.topics:
            peer = {"id": encode_b64url(event["id"]), "key": encode_b64url(event["key"])}
            topic = encode_b64url(event["topic"])
            await self.send_frame({"type": "joined", "topic": topic, "peer": peer})

    async def topic_left(self, event: dict) -> None:
        if not self.closed and event["topic"] in self.topics:
            topic, peer_id = encode_b64url(event["topic"]), encode_b64url(event["id"])
            await self.send_frame({"type": "left", "topic": topic, "id": peer_id})

    async def mirror_request(self, event: dict) -> None:
        if not self.closed:
            await self.mirror.request_arrived(event)

    async def mirror_reply(self, event: dict) -> None:
        if not self.closed:
            await self.send_text(event["text"])

    # Errors, limits and closing.

    async def reject(self, error: ProtocolError) -> None:
        await self.send_error(error)
        if error.code == frames.BAD_VERSION:
            await self.close_with(frames.CLOSE_BAD_VERSION)
        elif error.code == frames.FRAME_TOO_LARGE:
            await self.close_with(frames.CLOSE_FRAME_TOO_LARGE)
        elif error.code not in frames.UNCOUNTED_ERRORS:
            self.errors += 1
            if self.errors > self.limits.max_errors:
                logger.info("closing a connection that sent too many bad frames")
                await self.close_with(frames.CLOSE_TOO_MANY_ERRORS)

    async def unavailable(self, outage: Unavailable, ref: str) -> None:
        """The shared state is unreachable: say so, then close with 4503 so the client
        retries."""
        logger.info("closing a connection: %s", outage)
        if not self.closed:
            message = "the server cannot reach its shared state; retry later"
            await self.send_error(ProtocolError(frames.UNAVAILABLE, message, ref))
            await self.close_with(frames.CLOSE_TRY_AGAIN_LATER)

    def shared_state_lost(self) -> None:
        """The shared state was lost (Redis gone or emptied): so are this connection's topics."""
        self.close_soon(frames.CLOSE_TRY_AGAIN_LATER)

    def close_soon(self, code: int) -> None:
        """Close with `code` in a task of its own (from a callback, or another's task); once."""
        if not self.closed and self.closing is None:
            self.closing = asyncio.create_task(self.close_if_open(code))

    async def close_if_open(self, code: int) -> None:
        if not self.closed:
            await self.close_with(code)

    async def reject_dropped_frame(self) -> None:
        self.strikes += 1
        await self.send_error(ProtocolError(frames.RATE_LIMITED, "too many frames; dropped"))
        if self.strikes > self.limits.flood_strikes:
            logger.info("closing a flooding connection")
            await self.close_with(frames.CLOSE_FLOOD)

    async def watch_idle(self) -> None:
        # Sleeps until the deadline of the last frame seen, so a busy connection costs
        # one wake-up per idle period rather than one timer per frame.
        while True:
            wait = self.last_frame + self.limits.idle_seconds - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self.close_with(frames.CLOSE_IDLE)

    async def close_with(self, code: int) -> None:
        await self.shut_down()
        await self.close(code)

    async def shut_down(self) -> None:
        """Leave every topic, uncount the connection and stop the idle watch; once."""
        if self.closed:
            return
        self.closed = True
        if self.idle_watch is not None and self.idle_watch is not asyncio.current_task():
            self.idle_watch.cancel()
        self.relay.unwatch(self.shared_state_lost)
        try:
            if self.member is not None:
                await self.mirror.close(self.member.id)
            if self.address is not None:
                await self.addresses.remove_connection(self.address, topics=self.counted_topics)
            if self.member is not None:
                for topic, others in (
                    await self.registry.leave_all(self.member.id, self.limits.sample)
                ).items():
                    await self.announce_left(topic, others)
        except Unavailable:
            # Redis is gone: the others are told when their own connections close, and
            # what Redis kept of this connection expires with the process's old id
            # (state/redis/link.py: an outage gives the process a new one).
            logger.info("could not leave the topics of a closing connection: Redis is gone")
        self.topics.clear()

    async def send_error(self, error: ProtocolError) -> None:
        frame = {"type": "error", "code": error.code, "message": error.message}
        if error.ref is not None:
            frame["ref"] = error.ref
        frame.update(error.about)
        await self.send_frame(frame)

    async def send_frame(self, frame: dict) -> None:
        await self.send_text(json.dumps(frame, separators=(",", ":")))
