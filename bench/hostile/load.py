"""The clients of bench/hostile: hostile connections of one kind, and an honest pair.

Both talk only to 127.0.0.1. A hostile connection says hello when its kind needs it,
sends its bad frames without waiting for answers (a task drains what the server says),
then closes, or aborts, and the next one opens, until the kind's time or frame budget is
spent. The honest pair joins one topic and relays a signal one way then the other, paced
under the rate limit, checking every blob that arrives.
"""

import asyncio
import json
import os
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.hostile.kinds import HELLO_FIRST, b64, send_kind

FRAMES_PER_CONNECTION = 400
HONEST_BLOB_BYTES = 1072  # the smallest sealed size (docs/protocol.md §4)
HONEST_INTERVAL = 0.1  # 10 signals/s per end, half the shipped rate limit
WAIT_SECONDS = 10


async def open_socket(port: int) -> ClientConnection:
    url = f"http://127.0.0.1:{port}"
    return await connect(
        url.replace("http", "ws") + "/ws/signal",
        origin=url,
        proxy=None,
        open_timeout=WAIT_SECONDS,
        close_timeout=2,
        ping_interval=None,
        max_size=2**20,
        compression=None,
    )


async def expect(ws: ClientConnection, kind: str) -> dict:
    """The next frame the server sends, which must be of `kind`."""
    frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT_SECONDS))
    assert frame["type"] == kind, frame
    return frame


async def hello(ws: ClientConnection) -> str:
    """Say hello with a new connection key; the connection id the server gave."""
    await ws.send(json.dumps({"type": "hello", "v": 1, "key": b64(os.urandom(32))}))
    return (await expect(ws, "welcome"))["id"]


async def join_one_topic(a: ClientConnection, b: ClientConnection) -> str:
    """Both (past hello) join a new topic; `a` has been told of `b`. The topic."""
    topic = b64(os.urandom(32))
    for ws in (a, b):
        await ws.send(json.dumps({"type": "join", "topic": topic}))
        await expect(ws, "peers")
    await expect(a, "joined")
    return topic


@dataclass
class HostileTally:
    connections: int = 0
    frames: int = 0
    refused: int = 0  # connections the server would not open (or closed before hello)
    close_codes: dict[int, int] = field(default_factory=dict)


async def drain(ws: ClientConnection) -> None:
    try:
        async for _ in ws:
            pass
    except ConnectionClosed:
        pass


async def one_hostile_connection(port: int, kind: str, index: int, tally: HostileTally) -> None:
    try:
        ws = await open_socket(port)
    except (OSError, InvalidHandshake, TimeoutError):
        tally.refused += 1
        return
    tally.connections += 1
    reader = None
    try:
        if kind in HELLO_FIRST:
            await hello(ws)
        reader = asyncio.create_task(drain(ws))
        tally.frames += await send_kind(kind, ws, FRAMES_PER_CONNECTION, index)
        if kind != "cut_off":
            await ws.close()
    except (ConnectionClosed, AssertionError, TimeoutError):
        pass
    finally:
        if reader is not None:
            await asyncio.wait([reader], timeout=WAIT_SECONDS)
            reader.cancel()
        ws.transport.abort()
        received = ws.protocol.close_rcvd
        code = received.code if received else 1006
        tally.close_codes[code] = tally.close_codes.get(code, 0) + 1


async def hostile(
    port: int, kind: str, connections: int, seconds: float, max_frames: int
) -> HostileTally:
    """`connections` at a time send `kind` for `seconds`, or until `max_frames` are sent."""
    tally = HostileTally()
    deadline = time.monotonic() + seconds
    opened = 0

    async def worker() -> None:
        nonlocal opened
        while time.monotonic() < deadline and tally.frames < max_frames:
            opened += 1
            await one_hostile_connection(port, kind, opened, tally)

    await asyncio.gather(*(worker() for _ in range(connections)))
    return tally


@dataclass
class HonestPair:
    """Two connections in one topic relaying a blob back and forth, checking each."""

    port: int
    relayed: int = 0
    damaged: int = 0
    lost: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        a, b = await open_socket(self.port), await open_socket(self.port)
        try:
            a_id, b_id = await hello(a), await hello(b)
            topic = await join_one_topic(a, b)
            while not self.stop.is_set():
                # Both ways in turn, so that neither end is closed as idle in a long run.
                await self.relay_once(a, b, b_id, topic)
                await asyncio.sleep(HONEST_INTERVAL)
                await self.relay_once(b, a, a_id, topic)
                await asyncio.sleep(HONEST_INTERVAL)
        finally:
            await a.close()
            await b.close()

    async def relay_once(self, a: ClientConnection, b: ClientConnection, to: str, topic: str):
        blob = b64(os.urandom(HONEST_BLOB_BYTES))
        await a.send(json.dumps({"type": "signal", "topic": topic, "to": to, "blob": blob}))
        try:
            frame = await expect(b, "signal")
        except (TimeoutError, AssertionError):
            self.lost += 1
            return
        if frame["blob"] == blob:
            self.relayed += 1
        else:
            self.damaged += 1
