"""uvicorn's WebSocket protocol, parsing a connection's frames only as its consumer reads.

uvicorn (websockets-sansio) hands all it reads from a socket at once, up to 256 KiB, to
the WebSocket parser, and queues every message the parser finds for the consumer before
it pauses reading. A hostile client that writes 400 small frames without waiting thus
gets 400 messages queued at once (an ASGI dict and a str each: some 400 bytes of small
Python objects per 10-byte frame), and they wait there while the server works through
the connections it is behind on. bench/hostile saw some 1,300 such connections alive at
once although its client had only 16 open, and CPython's allocator kept much of the
arenas they had filled once they were freed (bench/README.md, "Hostile input").

`PacedWebSocketProtocol` keeps the bytes it read as they came (one buffer per
connection) and gives the parser one frame at a time, stopping as soon as a frame has
queued a message for the consumer. The next frame is parsed when the consumer has taken
that message, and the socket is read again only once every whole frame read has been.
So a connection holds at most one parsed message ahead of its consumer, plus the bytes of
what it read; the kernel keeps the rest in the socket's buffer, as uvicorn's own
backpressure already had it do.

Only a frame's length is read here (RFC 6455 §5.2: the header's 7-bit length, or the 16-
or 64-bit one after it, and 4 bytes of mask), to know where to cut. Everything else is
uvicorn's and websockets' own code, unchanged: the same bytes reach the same parser in the
same order, so nothing changes for a client.
"""

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENDED_LENGTH_BYTES = {126: 2, 127: 8}  # a 7-bit length of 126 or 127 says more follow
MASK_BIT = 0x80
MASK_BYTES = 4
END_OF_REQUEST = b"\r\n\r\n"


def frame_length(data: bytes, start: int) -> int | None:
    """Bytes in the WebSocket frame that begins at `start`, header included; None while
    the header's length fields have not all arrived."""
    if len(data) - start < 2:
        return None
    second = data[start + 1]
    length, header = second & 0x7F, 2
    extended = EXTENDED_LENGTH_BYTES.get(length, 0)
    if extended:
        if len(data) - start < header + extended:
            return None
        length = int.from_bytes(data[start + header : start + header + extended], "big")
        header += extended
    if second & MASK_BIT:
        header += MASK_BYTES
    return header + length


class PacedWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unparsed = b""  # bytes read from the socket, not yet given to the parser
        self.parsed_to = 0  # how much of `unparsed` has been
        self.frame_left = 0  # bytes of a frame the parser has begun, still to give it

    @property
    def has_unparsed(self) -> bool:
        return self.parsed_to < len(self.unparsed)

    def data_received(self, data: bytes) -> None:
        if self.has_unparsed:
            self.unparsed = self.unparsed[self.parsed_to :] + data
        else:
            self.unparsed = data
        self.parsed_to = 0
        # Past its close uvicorn drops every message, so there is nothing to wait for.
        if self.queue.empty() or self.close_sent:
            self.parse_some()
        else:
            # A message waits already (the opening handshake's, which does not pause
            # reading): keep the bytes until the consumer has taken it.
            self.pause_reading_for_consumer()

    def parse_some(self) -> None:
        """Parse frame after frame until one queues a message, or no whole frame is left."""
        while self.has_unparsed and not self.transport.is_closing():
            end = self.end_of_next_piece()
            if end is None:
                break  # a frame whose header is cut short: the rest comes with the next read
            piece = self.unparsed[self.parsed_to : end]
            self.parsed_to = end
            queued_before = self.queue.qsize()
            # uvicorn's own handling: the parser, then each event it found (a data
            # message is queued for the consumer and pauses reading).
            super().data_received(piece)
            if self.queue.qsize() > queued_before and not self.close_sent:
                break
        if not self.has_unparsed:
            self.unparsed, self.parsed_to = b"", 0
        elif not self.queue.empty():
            self.pause_reading_for_consumer()

    def end_of_next_piece(self) -> int | None:
        """Where the next piece for the parser ends: the rest of the opening request, or of
        the current frame, as far as it has been read."""
        start, read = self.parsed_to, len(self.unparsed)
        if not self.handshake_initiated:
            end_of_request = self.unparsed.find(END_OF_REQUEST, start)
            return read if end_of_request < 0 else end_of_request + len(END_OF_REQUEST)
        if not self.frame_left:
            length = frame_length(self.unparsed, start)
            if length is None:
                return None
            self.frame_left = length
        take = min(self.frame_left, read - start)
        self.frame_left -= take
        return start + take

    def pause_reading_for_consumer(self) -> None:
        if not self.read_paused and not self.transport.is_closing():
            self.read_paused = True
            self.transport.pause_reading()

    async def receive(self):
        message = await self.queue.get()
        if self.queue.empty():
            self.parse_some()
        # Everything read is parsed and taken (but a header cut short): read on.
        if self.read_paused and self.queue.empty():
            self.read_paused = False
            self.transport.resume_reading()
        return message

    async def send(self, message) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self.has_unparsed:
            # Past the close uvicorn drops what the client sends until its close reply,
            # which may be among the bytes read already.
            self.parse_some()

    def connection_lost(self, exc: Exception | None) -> None:
        self.unparsed, self.parsed_to = b"", 0
        super().connection_lost(exc)
