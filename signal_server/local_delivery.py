"""Local delivery: events between connections of one process skip the channel layer.

Each SignalConsumer handles its messages (its own WebSocket's and the events other
connections send it) through an `Inbox` of its own, registered here under its channel
name for as long as the consumer runs. The inbox lets one handler run at a time, in
arrival order, as Channels' dispatch loop did, without a task of its own:

- A message that finds the inbox idle is handled at once, in the task that brought it:
  the consumer's own read loop for its WebSocket, or, for an event, the task of the
  connection that sent it. A relay to an idle receiver is thus handled in the sender's
  task: no queue, no task switch, no copy, no serialisation.
- An event that finds the inbox busy waits in a bounded queue, and whoever holds the
  inbox handles the queue before letting go. The queue's capacity is the channel
  layer's for the channel (100 by default); a full queue drops the event with
  ChannelFull, as the channel layer does when a receiver is not reading.
- The consumer's own WebSocket messages are never dropped: its read loop waits for its
  turn (and the server stops reading that socket meanwhile).

Every check at the receiver runs as before, in the receiver's own handler.

Only a channel name not registered here goes through the channel layer, and only when
the layer is shared by several processes (Redis): with the in-memory layer every
connection is in this process, so such a receiver has closed and the event is dropped.
With a shared layer each inbox also has a pump task that hands the consumer's events
from the channel layer to the inbox like any other sender.

An event handler that fails in another connection's task must not end that connection:
the error is logged and the receiver's `on_error` (which closes it) is called instead.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 100
LOST = {"type": "shared.lost"}

Handler = Callable[[dict], Awaitable[None]]

# Channel name -> the inbox of the consumer of this process that reads it.
_inboxes: dict[str, "Inbox"] = {}


def is_shared(layer) -> bool:
    """Whether the channel layer reaches other processes (anything but in-memory)."""
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


def is_local(channel_name: str) -> bool:
    return channel_name in _inboxes


def capacity_of(layer, channel_name: str) -> int:
    get_capacity = getattr(layer, "get_capacity", None)
    return get_capacity(channel_name) if get_capacity else DEFAULT_CAPACITY


class Inbox:
    """One consumer's messages, handled one at a time in arrival order."""

    def __init__(
        self,
        channel_name: str,
        handle: Handler,
        *,
        capacity: int = DEFAULT_CAPACITY,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.channel_name = channel_name
        self.handle = handle
        self.capacity = capacity
        self.on_error = on_error
        self.busy = False
        self.waiting: deque[dict] = deque()  # events that came while busy
        self.turn: asyncio.Future | None = None  # the owner's read loop, waiting its turn
        self.pump: asyncio.Task | None = None
        self.closed = False
        _inboxes[channel_name] = self

    async def handle_own(self, message: dict) -> None:
        """Handle a message of the consumer's own WebSocket; errors reach the caller."""
        while self.busy:
            # Another connection's task is handling an event here; it wakes us when done.
            if self.turn is None or self.turn.done():
                self.turn = asyncio.get_running_loop().create_future()
            await self.turn
        self.busy = True
        try:
            await self.handle(message)
            await self._handle_waiting()
        finally:
            self._let_go()

    async def put(self, event: dict) -> None:
        """Handle `event` now if the inbox is idle, else queue it.

        Raises ChannelFull when the queue is full (the receiver is not keeping up).
        Errors of the handler do not reach the caller (see the module's docstring).
        """
        if self.closed:
            return
        if self.busy:
            if len(self.waiting) >= self.capacity:
                raise ChannelFull(self.channel_name)
            self.waiting.append(event)
            return
        self.busy = True
        try:
            await self.handle(event)
            await self._handle_waiting()
        except OSError as error:
            # The receiver's socket is gone (uvicorn's ClientDisconnected is one); its
            # read loop ends with the disconnect and leaves its topics then.
            logger.debug("an event for a closed connection: %r", error)
            self.waiting.clear()
        except Exception as error:
            self._failed(error)
        finally:
            self._let_go()

    async def _handle_waiting(self) -> None:
        # Nothing suspends between the last look at the queue and letting go, so no event
        # is left in the queue of an idle inbox.
        while self.waiting and not self.closed:
            await self.handle(self.waiting.popleft())

    def _let_go(self) -> None:
        self.busy = False
        if self.turn is not None and not self.turn.done():
            self.turn.set_result(None)
        self.turn = None

    def _failed(self, error: Exception) -> None:
        logger.error("an event handler failed", exc_info=error)
        self.waiting.clear()
        if self.on_error is not None:
            self.on_error(error)

    def pump_from(self, layer_receive: Callable[[], Awaitable[dict]]) -> None:
        """Hand over what the shared channel layer brings for this consumer, until closed."""
        self.pump = asyncio.create_task(self._pump(layer_receive))

    async def _pump(self, layer_receive: Callable[[], Awaitable[dict]]) -> None:
        while not self.closed:
            try:
                event = await layer_receive()
            except Exception as error:
                # A channels_redis receive raises when Redis is gone; that becomes one
                # `shared.lost` event, which closes the connection with 4503 (consumers.py).
                logger.warning("the channel layer failed: %r", error)
                self.waiting.clear()  # makes room: `shared.lost` is never dropped
                await self.put(LOST)
                return
            try:
                await self.put(event)
            except ChannelFull:
                logger.debug("inbox full, dropped a %s event", event.get("type"))

    def close(self) -> None:
        self.closed = True
        self.waiting.clear()
        if _inboxes.get(self.channel_name) is self:
            del _inboxes[self.channel_name]
        if self.pump is not None and self.pump is not asyncio.current_task():
            self.pump.cancel()


async def deliver(layer, channel_name: str, event: dict) -> None:
    """Hand `event` to the consumer of `channel_name`: directly if it is in this process.

    Raises ChannelFull when the receiver is not keeping up; with a shared layer, whatever
    the layer's send raises.
    """
    inbox = _inboxes.get(channel_name)
    if inbox is not None:
        await inbox.put(event)
    elif is_shared(layer):
        await layer.send(channel_name, event)
    else:
        logger.debug("no receiver for a %s event; dropped", event["type"])
