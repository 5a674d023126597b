"""signal_server/uvicorn_protocol.py: one message parsed ahead of the consumer, at most.

The protocol is driven directly, without a socket: bytes go in through `data_received`
(as uvicorn's transport would deliver them, only while reading is not paused), messages
come out through the ASGI `receive` the application is given, and a stand-in transport
records whether reading is paused. What real clients see of it over real sockets is
tested in test_each_server.py and test_hostile_input.py.
"""

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

from signal_server.uvicorn_protocol import PacedWebSocketProtocol, frame_length

MAX_SIZE = 65536


class StandInTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.closed = False
        self.written: list[bytes] = []

    def write(self, data) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name, default=None):
        return default


def text_frame(text: str) -> bytes:
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=True)


def close_frame() -> bytes:
    return Frame(Opcode.CLOSE, Close(1000, "").serialize()).serialize(mask=True)


def opening_request() -> bytes:
    client = ClientProtocol(parse_uri("ws://127.0.0.1/ws/signal"))
    client.send_request(client.connect())
    return b"".join(client.data_to_send())


# Tiny frames (a hostile flood), an honest signal's size, and frames with a 16-bit length.
TEXTS = [str(n) for n in range(300)] + ["s" * 1400, "x" * 126, "y" * 40_000, "z" * 65_535]


class Connection:
    """The protocol, its stand-in transport, and the ASGI functions its application got."""

    def __init__(self) -> None:
        self.app_called: asyncio.Queue = asyncio.Queue()
        self.finished = asyncio.Event()

        async def app(scope, receive, send):
            self.app_called.put_nowait((receive, send))
            await self.finished.wait()

        config = Config(
            app=app,
            ws_max_size=MAX_SIZE,
            ws_ping_interval=None,
            lifespan="off",
            proxy_headers=False,
            log_config=None,
        )
        self.transport = StandInTransport()
        self.protocol = PacedWebSocketProtocol(
            config=config, server_state=ServerState(), app_state={}
        )
        self.protocol.connection_made(self.transport)

    async def open(self, *pipelined: bytes) -> None:
        """The opening request, then `pipelined` bytes read before the app has run."""
        self.protocol.data_received(opening_request())
        for data in pipelined:
            self.protocol.data_received(data)
        self.receive, self.send = await self.app_called.get()
        assert (await self.receive())["type"] == "websocket.connect"
        await self.send({"type": "websocket.accept"})

    def waiting(self) -> int:
        return self.protocol.queue.qsize()

    async def take(self) -> dict:
        # Only a message already queued: an empty queue here would mean a lost message.
        assert self.waiting() >= 1, "nothing queued for the consumer"
        return await self.receive()


async def test_a_burst_read_at_once_is_parsed_one_message_at_a_time():
    connection = Connection()
    burst = b"".join(text_frame(text) for text in TEXTS)
    await connection.open(burst)
    assert not connection.transport.reading, "the socket is read on while the burst waits"

    received = []
    for _ in TEXTS:
        message = await connection.take()
        received.append(message["text"])
        # At most the next message is parsed; the rest of the burst is still bytes.
        assert connection.waiting() <= 1
        assert connection.transport.reading == (len(received) == len(TEXTS))
    assert received == TEXTS
    assert connection.protocol.unparsed == b""
    connection.finished.set()


@pytest.mark.parametrize("read_size", (1, 2, 7, 1000))
async def test_frames_cut_anywhere_between_reads_arrive_whole_and_in_order(read_size):
    connection = Connection()
    await connection.open()
    stream = b"".join(text_frame(text) for text in TEXTS)
    received, position = [], 0
    while len(received) < len(TEXTS):
        if connection.transport.reading and position < len(stream):
            connection.protocol.data_received(stream[position : position + read_size])
            position += read_size
        else:
            received.append((await connection.take())["text"])
            assert connection.waiting() <= 1
    assert received == TEXTS
    assert connection.transport.reading
    connection.finished.set()


async def test_the_clients_close_reply_among_bytes_read_ends_the_connection():
    connection = Connection()
    unanswered = b"".join(text_frame(text) for text in ("a", "b", "c"))
    await connection.open(unanswered + close_frame())
    assert (await connection.take())["text"] == "a"
    await connection.send({"type": "websocket.close", "code": 4400})
    # The rest is parsed at once: "b" stays queued, unread; "c" is dropped (uvicorn's
    # rule past a close); the client's close reply, read with them, ends the connection.
    assert connection.transport.closed
    assert connection.protocol.unparsed == b""
    connection.finished.set()


@pytest.mark.parametrize("length", (0, 1, 125, 126, 127, 1400, 65_535, 65_536, 2**20))
def test_frame_length_reads_each_length_encoding_and_waits_for_a_cut_header(length):
    frame = Frame(Opcode.BINARY, bytes(length)).serialize(mask=True)
    assert frame_length(frame, 0) == len(frame)
    assert frame_length(b"junk" + frame, 4) == len(frame)
    header_without_mask = len(frame) - length - 4
    for cut in range(header_without_mask):
        assert frame_length(frame[:cut], 0) is None
    unmasked = Frame(Opcode.BINARY, bytes(length)).serialize(mask=False)
    assert frame_length(unmasked, 0) == len(unmasked)
