"""Events for connections of other server processes, over Redis pub/sub (with REDIS_URL).

Each process subscribes to one Redis channel of its own, `<prefix>relay:<inbox id>`, and
names its connections `<inbox id>!<random>`: the channel names the topic registry stores
with each member. An event for a connection of another process is published to that
process's channel as msgpack `[channel name, event]`; the process's one subscriber task
hands it to the connection's inbox (local_delivery.py) like an event from a connection
of its own, and every check at the receiver runs as before.

Publishing is fire and forget: a process that is gone, or not subscribed at that moment,
loses the event, as a bad network would (the topic registry forgets the members of dead
processes, link.py). If the subscription fails, the process cannot hear the
others: the link is told (every connection is closed with 4503, as for any outage) and
the subscriber connects again after a short pause.

This replaces channels_redis, whose Lua script per send and blocking pop per receive
cost about 0.6 ms of CPU per relay across processes (bench/README.md).
"""

import asyncio
import logging
import secrets

import msgpack
import redis.asyncio as redis

from signal_server import local_delivery
from signal_server.state.errors import Unavailable
from signal_server.state.interfaces import Event, OnLost
from signal_server.state.redis.link import RedisLink

logger = logging.getLogger(__name__)

RESUBSCRIBE_SECONDS = 0.5
# Events waiting for their pipelined PUBLISH; more are dropped (the relay is behind).
MAX_PENDING = 10_000
# A published message is one event: a signal frame's text plus a few ids, far below this.
MAX_MESSAGE_BYTES = 64 * 1024
# The events consumers send each other (consumers.py), field by field.
EVENT_FIELDS: dict[str, dict[str, type]] = {
    "relay.signal": {"topic": bytes, "text": str},
    "topic.joined": {"topic": bytes, "id": bytes, "key": bytes},
    "topic.left": {"topic": bytes, "id": bytes},
    "mirror.request": {"id": bytes, "key": bytes, "blob": str, "reply_to": str},
    "mirror.reply": {"text": str},
}


class RedisRelay:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.inbox_id = secrets.token_hex(8)
        self.channel = link.key("relay", self.inbox_id)
        self._listening: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self._outgoing: list[tuple[str, bytes]] = []  # (Redis channel, message) to publish
        self._flushing: asyncio.Task[None] | None = None

    def new_channel_name(self) -> str:
        """A name for a new connection of this process; starts the subscriber."""
        self._start()
        return f"{self.inbox_id}!{secrets.token_hex(8)}"

    async def ready(self) -> bool:
        """Whether this process hears the others, waiting up to the link's timeout for its
        subscription (just started, or being renewed after an outage)."""
        self._start()
        try:
            await asyncio.wait_for(self.subscribed.wait(), self.link.timeout_seconds)
        except TimeoutError:
            return False
        return True

    async def check_ready(self) -> None:
        """interfaces.EventRelay: Redis answered lately and this process hears the others."""
        if not self.link.healthy:
            raise Unavailable("Redis was unreachable at the last heartbeat")
        if not await self.ready():
            # Events from the other processes would not reach a new connection.
            raise Unavailable("the relay is not subscribed to Redis")

    def watch(self, on_lost: OnLost) -> None:
        """Call `on_lost()` on an outage of Redis or of this subscription (link.py)."""
        self.link.watch(on_lost)

    def unwatch(self, on_lost: OnLost) -> None:
        self.link.unwatch(on_lost)

    async def health(self) -> tuple[bool, str]:
        if await self.link.ping() and await self.ready():
            return True, "ok"
        return False, "unreachable"

    def _start(self) -> None:
        if self._listening is None or self._listening.done():
            self._listening = asyncio.get_running_loop().create_task(self._listen_forever())

    async def publish(self, channel_name: str, event: Event) -> None:
        """Send `event` to the process of `channel_name`.

        Queued, and sent with whatever else this loop turn queued in one pipelined round
        trip: one PUBLISH at a time cost twice as much CPU per relay. Raises Unavailable
        while Redis is known to be gone; a batch that fails is lost with the outage,
        which closes every connection of the process (link.py).
        """
        inbox_id = channel_name.partition("!")[0]
        if inbox_id == self.inbox_id:
            return  # a connection of this process that has closed (it is not local now)
        if not self.link.healthy:
            raise Unavailable("the server's shared state (Redis) is unreachable")
        if len(self._outgoing) >= MAX_PENDING:
            logger.debug("the relay is behind, dropped a %s event", event["type"])
            return
        payload = msgpack.packb([channel_name, event], use_bin_type=True)
        self._outgoing.append((self.link.key("relay", inbox_id), payload))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    @property
    def pending(self) -> int:
        return len(self._outgoing)

    async def _flush(self) -> None:
        while self._outgoing:
            batch, self._outgoing = self._outgoing, []
            pipe = self.link.client.pipeline(transaction=False)
            for channel, payload in batch:
                pipe.publish(channel, payload)
            try:
                await self.link.call(pipe.execute())
            except Unavailable:
                logger.warning("lost %d relayed events: Redis is unreachable", len(batch))

    async def _listen_forever(self) -> None:
        while True:
            # A client of its own: a subscribed connection waits for messages without a
            # socket timeout (the link's heartbeat notices a Redis that is gone). TCP
            # keepalive only over TCP: redis-py refuses the option for a unix:// URL.
            over_tcp = not self.link.url.startswith("unix:")
            client = redis.Redis.from_url(
                self.link.url,
                socket_connect_timeout=self.link.timeout_seconds,
                health_check_interval=10,
                **({"socket_keepalive": True} if over_tcp else {}),
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                async for message in pubsub.listen():
                    try:
                        await self._hand_over(message.get("data"))
                    except Exception:
                        # One bad event must not cost the subscription (and with it
                        # every connection of the process).
                        logger.exception("a relayed event could not be handed over")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("the relay subscription to Redis failed: %r", error)
                self.link.lost_contact()
            finally:
                self.subscribed.clear()
                await pubsub.aclose()
                await client.aclose()
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _hand_over(self, data: object) -> None:
        event = decode(data)
        if event is None:
            logger.warning("dropped a malformed relay message")
            return
        channel_name, body = event
        try:
            await local_delivery.deliver(channel_name, body)
        except local_delivery.ChannelFull:
            logger.debug("inbox full, dropped a %s event", body["type"])

    async def stop(self) -> None:
        """Stop the subscriber and the sender (tests)."""
        tasks = [task for task in (self._listening, self._flushing) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._listening = self._flushing = None


def decode(data: object) -> tuple[str, Event] | None:
    """[channel name, event] from a published message, or None if it is not one."""
    if not isinstance(data, bytes) or len(data) > MAX_MESSAGE_BYTES:
        return None
    try:
        message = msgpack.unpackb(data, raw=False)
    except (ValueError, msgpack.UnpackException):
        return None
    if not (isinstance(message, list) and len(message) == 2):
        return None
    channel_name, event = message
    if not (isinstance(channel_name, str) and isinstance(event, dict)):
        return None
    kind = event.get("type")
    fields = EVENT_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None or set(event) != {"type", *fields}:
        return None
    if not all(isinstance(event[name], kind) for name, kind in fields.items()):
        return None
    return channel_name, event
