"""Delivery of events between connections: directly within a process.

Each SignalConsumer handles its messages (its own WebSocket's and the events other
connections send it) through an `Inbox` of its own, registered here under its channel
name for as long as the consumer runs. The inbox lets one handler run at a time, in
arrival order, as Channels' dispatch loop did, without a task of its own:

- A message that finds the inbox idle is handled at once, in the task that brought it:
  the consumer's own read loop for its WebSocket, or, for an event, the task of the
  connection that sent it (or the Redis relay's subscriber, for another process's). A
  relay to an idle receiver is thus handled in the sender's task: no queue, no task
  switch, no copy, no serialisation. Only until the handler would wait, though: a send
  to a client that does not read waits for its socket (uvicorn), and no sender may wait
  on another connection's socket, so the handler then goes on in a task of its own
  (`run_until_it_waits`) while the inbox stays busy.
- An event that finds the inbox busy waits in a bounded queue (CAPACITY), and whoever
  holds the inbox handles the queue before letting go. A full queue drops the event with
  ChannelFull: the receiver is not keeping up, and loses it as on a bad network.
- The consumer's own WebSocket messages are never dropped: its read loop waits for its
  turn (and the server stops reading that socket meanwhile), and events that come while
  it waits queue behind it.

Every check at the receiver runs in the receiver's own handler.

A channel name not registered here belongs to another process (with Redis: `deliver`'s
`remote`, state/redis/relay.py) or to a connection that has closed; then the event is
dropped.

An event handler that fails in another connection's task must not end that connection:
the error is logged and the receiver's `on_error` (which closes it) is called instead.
"""

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine

from channels.exceptions import ChannelFull

logger = logging.getLogger(__name__)

CAPACITY = 100  # events waiting for one busy receiver

Handler = Callable[[dict], Awaitable[None]]
Remote = Callable[[str, dict], Awaitable[None]]

# Channel name -> the inbox of the consumer of this process that reads it.
_inboxes: dict[str, "Inbox"] = {}

__all__ = ["ChannelFull", "Inbox", "deliver", "is_local", "new_channel_name"]


def is_local(channel_name: str) -> bool:
    return channel_name in _inboxes


def new_channel_name() -> str:
    """A channel name for a connection of a process that has no Redis relay."""
    return f"local!{secrets.token_hex(12)}"


class Inbox:
    """One consumer's messages, handled one at a time in arrival order."""

    def __init__(
        self,
        channel_name: str,
        handle: Handler,
        *,
        capacity: int = CAPACITY,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.channel_name = channel_name
        self.handle = handle
        self.capacity = capacity
        self.on_error = on_error
        self.busy = False
        self.waiting: deque[dict] = deque()  # events that came while busy
        self.turn: asyncio.Future | None = None  # the owner's read loop, waiting its turn
        self.owner_waiting = False
        self.finishing: asyncio.Task | None = None  # a handler that had to wait (put)
        self.closed = False
        _inboxes[channel_name] = self

    async def handle_own(self, message: dict) -> None:
        """Handle a message of the consumer's own WebSocket; errors reach the caller."""
        while self.busy:
            # Another task is handling an event here; it wakes us when done, and events
            # that come meanwhile queue behind us rather than take the turn (put).
            self.owner_waiting = True
            if self.turn is None or self.turn.done():
                self.turn = asyncio.get_running_loop().create_future()
            await self.turn
        self.owner_waiting = False
        self.busy = True
        try:
            await self.handle(message)
            await self._handle_waiting()
        finally:
            self._let_go()

    def put(self, event: dict) -> None:
        """Handle `event` now if the inbox is idle, else queue it.

        The handler runs in the caller's task only until it would wait (its send finds
        the receiver's socket full: a client that does not read); from there it goes on
        in a task of its own, so that no sender ever waits on another connection's
        socket. The inbox stays busy, and events queue, until that task is done.

        Raises ChannelFull when the queue is full (the receiver is not keeping up).
        Errors of the handler do not reach the caller (see the module's docstring).
        """
        if self.closed:
            return
        if self.busy or self.owner_waiting:
            if len(self.waiting) >= self.capacity:
                raise ChannelFull(self.channel_name)
            self.waiting.append(event)
            return
        self.busy = True
        rest = run_until_it_waits(self._handle_event(event))
        if rest is not None:
            self.finishing = rest  # a reference keeps the task alive

    async def _handle_event(self, event: dict) -> None:
        try:
            await self.handle(event)
            await self._handle_waiting()
        except OSError as error:
            # The receiver's socket is gone (uvicorn's ClientDisconnected is one); its
            # read loop ends with the disconnect and leaves its topics then.
            logger.debug("an event for a closed connection: %r", error)
            self.waiting.clear()
        except asyncio.CancelledError:
            self.waiting.clear()  # the loop is shutting down; nobody would handle them
            raise
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

    def close(self) -> None:
        self.closed = True
        self.waiting.clear()
        if _inboxes.get(self.channel_name) is self:
            del _inboxes[self.channel_name]


def run_until_it_waits(coroutine: Coroutine) -> asyncio.Task | None:
    """Run `coroutine` in the calling task until it first suspends, then as a task.

    None if it finished without suspending (the common case: no task, no switch); else
    the task that finishes it. What Python 3.12's eager tasks do, for 3.11.
    """
    try:
        waiting_for = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_Resumed(coroutine, waiting_for))


class _Resumed:
    """An awaitable that goes on with a coroutine that already suspended once, on what
    it suspended on (a future, or None for a bare yield)."""

    def __init__(self, coroutine: Coroutine, waiting_for) -> None:
        self.coroutine = coroutine
        self.waiting_for = waiting_for

    def __await__(self):
        waiting_for = self.waiting_for
        while True:
            try:
                sent = yield waiting_for
            except BaseException as error:  # handed to the coroutine, as a task would
                try:
                    waiting_for = self.coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting_for = self.coroutine.send(sent)
                except StopIteration as done:
                    return done.value


async def deliver(channel_name: str, event: dict, remote: Remote | None = None) -> None:
    """Hand `event` to the consumer of `channel_name`: directly if it is in this process,
    else through `remote` (the Redis relay) when there is one.

    Raises ChannelFull when a receiver here is not keeping up, and whatever `remote`
    raises.
    """
    inbox = _inboxes.get(channel_name)
    if inbox is not None:
        inbox.put(event)
    elif remote is not None:
        await remote(channel_name, event)
    else:
        logger.debug("no receiver for a %s event; dropped", event["type"])
