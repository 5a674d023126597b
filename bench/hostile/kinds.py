"""Every kind of bad frame, as one hostile connection sends it.

A kind is a name and an async function that opens nothing itself: it gets a connected
`websockets` client (already past `hello` when `HELLO_FIRST` says so) and sends until the
server closes the connection or `max_frames` are sent. Shared by bench/hostile and
tests/transport/test_hostile_input.py, so the test and the benchmark send the same input.
"""

import json
import os
import struct

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.signaling.clients import b64

FRAME_BYTES = 32768  # the protocol's frame limit as shipped (docs/protocol.md §5)
TRANSPORT_BYTES = 2 * FRAME_BYTES  # what manage.py serve lets the transport buffer


def nested_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


TOPIC = b64(bytes(32))
# Frames each kind cycles through. Each is wrong in one way only.
TEXTS = {
    "malformed": ['{"type":"ping"', "not json", '{"type":"ping",}', "\udcff", "[]", "1"],
    "nested": [nested_array(FRAME_BYTES // 2 - 1), nested_object(FRAME_BYTES // 7), "[" * 999],
    "duplicate_keys": ['{"type":"ping","type":"ping"}', '{"type":"join","topic":"a","topic":"b"}'],
    "wrong_types": [
        '{"type":"join","topic":5}',
        '{"type":"signal","topic":[],"to":{},"blob":null}',
        '{"type":"hello","v":"1","key":true}',
        '{"type":7}',
        '{"type":"join","topic":"' + "A" * 44 + '"}',
        '{"type":"ping","v":NaN}',
    ],
    "unknown_types": ['{"type":"shout"}', '{"type":"welcome"}', '{"type":"__proto__"}'],
    "flood": ['{"type":"ping"}'],
}
HELLO_FIRST = {"wrong_types", "unknown_types", "flood", "binary", "nested"}


async def send_texts(ws: ClientConnection, texts: list[str], max_frames: int) -> int:
    sent = 0
    try:
        while sent < max_frames:
            # A lone surrogate cannot be sent as UTF-8: send its bytes as a text frame.
            text = texts[sent % len(texts)]
            if text == "\udcff":
                await ws.send(b"\xff\xfe", text=True)
            else:
                await ws.send(text)
            sent += 1
    except ConnectionClosed:
        pass
    return sent


async def send_binary(ws: ClientConnection, max_frames: int) -> int:
    sent = 0
    try:
        while sent < max_frames:
            await ws.send(os.urandom(64 + sent % 4096))
            sent += 1
    except ConnectionClosed:
        pass
    return sent


async def send_oversized(ws: ClientConnection, max_frames: int, index: int) -> int:
    # Over the protocol's limit (the consumer refuses it, 4009), or, every other
    # connection, over the transport's (the server cuts it before the consumer, 1009).
    over_transport = index % 2
    size = TRANSPORT_BYTES + 1 if over_transport else FRAME_BYTES + 1
    frame = json.dumps({"type": "ping", "pad": "x" * size})
    return await send_texts(ws, [frame], max_frames)


async def send_cut_off(ws: ClientConnection, max_frames: int) -> int:
    # A masked text frame that announces 30,000 bytes, of which 1,000 come; then the TCP
    # connection is aborted without a close handshake.
    header = struct.pack("!BBH", 0x81, 0x80 | 126, 30000) + os.urandom(4)
    ws.transport.write(header + os.urandom(1000))
    ws.transport.abort()
    return 1


async def send_kind(kind: str, ws: ClientConnection, max_frames: int, index: int = 0) -> int:
    """Send bad frames of `kind` on `ws` (the `index`th connection of that kind); how many."""
    if kind == "binary":
        return await send_binary(ws, max_frames)
    if kind == "oversized":
        return await send_oversized(ws, max_frames, index)
    if kind == "cut_off":
        return await send_cut_off(ws, max_frames)
    return await send_texts(ws, TEXTS[kind], max_frames)


KINDS = (
    "malformed",
    "oversized",
    "binary",
    "nested",
    "duplicate_keys",
    "wrong_types",
    "unknown_types",
    "flood",
    "cut_off",
)
