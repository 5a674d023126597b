"""Local delivery: events between connections of one process skip the channel layer.

Every SignalConsumer reads its channel-layer events from an `Inbox` of its own, a
bounded queue registered here under its channel name for as long as the consumer runs.
`deliver` hands an event for a channel name registered in this process straight to that
inbox: no copy, no serialisation, and none of the in-memory channel layer's costs (it
walks every channel on every receive to expire messages, which made opening connections
quadratic). The receiving consumer takes the event from its inbox in its own task and
dispatches it to the same handler as before, so every check at the receiver still runs,
handlers of one consumer never overlap, and events keep their order per receiver.

Only a channel name not registered here goes through the channel layer, and only when
the layer is shared by several processes (Redis): with the in-memory layer every
connection is in this process, so such a receiver has closed and the event is dropped.
With a shared layer each inbox also has a pump task that moves the consumer's events from
the channel layer into the inbox, so the two sources arrive as one stream.

A full inbox (the receiver is not reading) drops the event as the channel layer does
with ChannelFull: its capacity is the layer's capacity for the channel (100 by default),
so a slow receiver costs at most that many events of memory.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 100
LOST = {"type": "shared.lost"}

# Channel name -> the inbox of the consumer of this process that reads it.
_inboxes: dict[str, "Inbox"] = {}


def is_shared(layer) -> bool:
    """Whether the channel layer reaches other processes (anything but in-memory)."""
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


def is_local(channel_name: str) -> bool:
    return channel_name in _inboxes


class Inbox:
    """The events for one consumer: from this process directly, from others by a pump."""

    def __init__(
        self, channel_name: str, layer, layer_receive: Callable[[], Awaitable[dict]]
    ) -> None:
        self.channel_name = channel_name
        get_capacity = getattr(layer, "get_capacity", None)
        capacity = get_capacity(channel_name) if get_capacity else DEFAULT_CAPACITY
        self.queue: asyncio.Queue[dict] = asyncio.Queue(capacity)
        self.pump: asyncio.Task | None = None
        if is_shared(layer):
            self.pump = asyncio.create_task(self.pump_from(layer_receive))
        _inboxes[channel_name] = self

    async def get(self) -> dict:
        return await self.queue.get()

    def put(self, event: dict) -> None:
        """Queue `event`, or raise ChannelFull when the receiver is not reading."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            raise ChannelFull(self.channel_name) from None

    async def pump_from(self, layer_receive: Callable[[], Awaitable[dict]]) -> None:
        # A channels_redis receive raises when Redis is gone; that becomes one
        # `shared.lost` event, which closes the connection with 4503 (consumers.py).
        while True:
            try:
                event = await layer_receive()
            except Exception as error:
                logger.warning("the channel layer failed: %r", error)
                self.put_lost()
                return
            try:
                self.put(event)
            except ChannelFull:
                logger.debug("inbox full, dropped a %s event", event.get("type"))

    def put_lost(self) -> None:
        """`shared.lost` is never dropped: the oldest event makes room for it."""
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(LOST)

    def close(self) -> None:
        if _inboxes.get(self.channel_name) is self:
            del _inboxes[self.channel_name]
        if self.pump is not None:
            self.pump.cancel()


async def deliver(layer, channel_name: str, event: dict) -> None:
    """Hand `event` to the consumer of `channel_name`: directly if it is in this process.

    Raises ChannelFull when the receiver is not reading; with a shared layer, whatever
    the layer's send raises.
    """
    inbox = _inboxes.get(channel_name)
    if inbox is not None:
        inbox.put(event)
    elif is_shared(layer):
        await layer.send(channel_name, event)
    else:
        logger.debug("no receiver for a %s event; dropped", event["type"])
