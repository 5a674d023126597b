"""daphne as `manage.py serve` runs it: reading paused while a connection's queue is full.

daphne hands each WebSocket message to the application through an unbounded asyncio
queue, and Twisted reads a socket as fast as the client writes. A client that writes
faster than its consumer answers (every hostile one) thus fills the server's memory, and
much of what Python frees then stays with the allocator (bench/README.md, "Hostile
input"). `PausingQueue` gives daphne the backpressure uvicorn has: once `QUEUE_HIGH`
messages wait, the connection's socket is not read until the consumer has taken half of
them, so at most QUEUE_HIGH messages of the transport's size limit wait per connection,
and the client's own sends wait in its kernel buffers instead.

A closed connection is freed only by Python's cyclic garbage collector (autobahn's
protocol and Twisted's Deferreds refer to each other), whose full collections become rare
as the heap grows. So after every 100 connections reaped (or a wave of 10 or more that has
ended), `ParleyServer` runs a full collection and hands the freed pages back to the
system (malloc_trim); bench/README.md, "Hostile input", has what each step keeps.

The access log goes through Python's logging (logger `parley.access`, so it shares the
rate limit of every log line, parley/log_limits.py), and a WebSocket writes one line,
when it closes: daphne's "connecting" and "connected" lines said nothing that line does
not, and tripled what a flood of connections costs in log.
"""

import asyncio
import ctypes
import gc
import logging
from collections.abc import Callable
from functools import partial

from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface
from daphne.server import Server

QUEUE_HIGH = 16  # messages waiting for one connection's consumer before reading pauses
QUEUE_HIGH_BYTES = 65_536  # or this much of their payloads (the transport's message limit)
COLLECT_AFTER_CLOSED = 100  # connections reaped between two full garbage collections
COLLECT_AFTER_WAVE = 10  # or this many, in a second after which none was reaped


def release_free_memory() -> None:
    """Give the pages glibc's malloc holds free back to the system (malloc_trim).

    Large frames (over the protocol's limit, up to the transport's) are malloc'd from the
    heap, and the heap's top cannot shrink past a block still in use, so memory a full
    collection freed stays with the allocator until trimmed (bench/README.md, "Hostile
    input"). No-op where the C library is not glibc.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


_malloc_trim: Callable[[int], int] | None
try:
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None

access_logger = logging.getLogger("parley.access")


class PausingQueue(asyncio.Queue):
    """One connection's messages for its application.

    Full at `high` messages or `high_bytes` of their payloads, whichever comes first; the
    socket is read on once both are back to half. The byte bound matters for large
    messages: sixteen of the transport's largest would otherwise wait per connection.
    """

    def __init__(self, transport, high: int = QUEUE_HIGH, high_bytes: int = QUEUE_HIGH_BYTES):
        super().__init__()
        self.transport = transport
        self.high = high
        self.high_bytes = high_bytes
        self.bytes = 0  # payload bytes waiting
        self.paused = False

    def put_nowait(self, item) -> None:
        super().put_nowait(item)
        self.bytes += payload_size(item)
        if not self.paused and (self.qsize() >= self.high or self.bytes >= self.high_bytes):
            self.paused = True
            self.transport.pauseProducing()

    async def get(self):
        item = await super().get()
        self.bytes -= payload_size(item)
        if self.paused and self.qsize() <= self.high // 2 and self.bytes <= self.high_bytes // 2:
            self.paused = False
            self.transport.resumeProducing()
        return item


def payload_size(message) -> int:
    """The size of a WebSocket message's payload (0 for connect and disconnect)."""
    payload = message.get("text") or message.get("bytes") or ""
    return len(payload)


class LoggingStream:
    """A stream for daphne's AccessLogGenerator that writes each line to `parley.access`."""

    def write(self, text: str) -> None:
        access_logger.info("%s", text.rstrip("\n"))

    def flush(self) -> None:
        pass


class ParleyServer(Server):
    def __init__(self, *args, action_logger=None, **kwargs) -> None:
        if action_logger is not None:
            action_logger = AccessLogGenerator(LoggingStream())
        super().__init__(*args, action_logger=action_logger, **kwargs)
        self.reaped = 0  # connections reaped since the last full collection

    def application_checker(self) -> None:
        """daphne's reaper (every second), then a full collection if many were reaped.

        Each closed connection leaves a reference cycle (autobahn's protocol and Twisted's
        Deferreds) that only the cyclic collector frees, and it rarely runs a full
        collection on its own (when the long-lived objects have grown by a quarter): under
        churn, thousands of dead connections piled up, and the memory they held stayed
        fragmented after they went (bench/README.md, "Hostile input").
        """
        before = len(self.connections)
        super().application_checker()
        reaped_now = before - len(self.connections)
        self.reaped += reaped_now
        # Also once a smaller wave of closes is over, so that its memory goes back too.
        wave_over = reaped_now == 0 and self.reaped >= COLLECT_AFTER_WAVE
        if self.reaped >= COLLECT_AFTER_CLOSED or wave_over:
            self.reaped = 0
            gc.collect()
            release_free_memory()

    def log_action(self, protocol, action, details) -> None:
        if protocol == "websocket" and action in ("connecting", "connected"):
            return
        super().log_action(protocol, action, details)

    def create_application(self, protocol, scope):
        """daphne's own, with a PausingQueue for a WebSocket (a request's body is bounded)."""
        assert "application_instance" not in self.connections[protocol]
        input_queue: asyncio.Queue
        if scope["type"] == "websocket":
            input_queue = PausingQueue(protocol.transport)
        else:
            input_queue = asyncio.Queue()
        scope.setdefault("asgi", {"version": "3.0"})
        application_instance = self.application(
            scope=scope, receive=input_queue.get, send=partial(self.handle_reply, protocol)
        )
        if protocol not in self.connections:
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            application_instance, loop=asyncio.get_event_loop()
        )
        return input_queue


class ParleyDaphne(CommandLineInterface):
    server_class = ParleyServer
