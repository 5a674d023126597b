"""A test client that speaks the rendezvous protocol through WebsocketCommunicator.

Values are encoded here with the standard library, not with signal_server's own
encoder, so the tests do not trust the code they check.
"""

import base64
import json
import os

from channels.testing import WebsocketCommunicator

from parley.asgi import application

GOOD_ORIGIN = [(b"origin", b"http://127.0.0.1")]
SEALED_SIZES = (1072, 4144, 16432)
# How long "nothing arrives" is watched for: long enough for an in-memory channel-layer
# hop, which takes a few loop iterations.
QUIET_SECONDS = 0.05


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    return b64(os.urandom(32))


def new_topic() -> str:
    return b64(os.urandom(32))


def new_id() -> str:
    return b64(os.urandom(16))


def sealed_blob(size: int = 1072) -> str:
    """Random bytes of a sealed-envelope size: the server cannot tell them apart."""
    return b64(os.urandom(size))


class Client:
    def __init__(self, headers=GOOD_ORIGIN, address: str | None = "127.0.0.1"):
        self.comm = WebsocketCommunicator(application, "/ws/signal", headers=headers)
        if address is not None:
            # What daphne puts in the scope: the socket peer's address and port.
            self.comm.scope["client"] = (address, 40000 + int.from_bytes(os.urandom(2)) % 20000)
        self.key = new_key()
        self.id: str | None = None
        self.welcome: dict | None = None
        self.gone = False

    async def open(self) -> tuple[bool, object]:
        return await self.comm.connect()

    async def hello(self) -> dict:
        await self.send({"type": "hello", "v": 1, "key": self.key})
        self.welcome = await self.expect("welcome")
        self.id = self.welcome["id"]
        return self.welcome

    async def send(self, frame: dict) -> None:
        await self.comm.send_to(text_data=json.dumps(frame))

    async def send_text(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        """One text or binary frame, empty ones too (send_to refuses those)."""
        if data is None:
            await self.comm.send_input({"type": "websocket.receive", "text": text})
        else:
            await self.comm.send_input({"type": "websocket.receive", "bytes": data})

    async def receive(self) -> dict:
        return await self.comm.receive_json_from(timeout=1)

    async def expect(self, kind: str) -> dict:
        frame = await self.receive()
        assert frame["type"] == kind, frame
        return frame

    async def expect_error(self, code: str, ref: str | None = None) -> dict:
        frame = await self.expect("error")
        assert frame["code"] == code, frame
        assert isinstance(frame["message"], str) and frame["message"]
        assert frame.get("ref") == ref, frame
        return frame

    async def expect_close(self, code: int) -> None:
        message = await self.comm.receive_output(timeout=1)
        assert message == {"type": "websocket.close", "code": code}, message

    async def expect_nothing(self) -> None:
        assert await self.comm.receive_nothing(timeout=QUIET_SECONDS), "unexpected frame"

    async def join(self, topic: str) -> list[dict]:
        await self.send({"type": "join", "topic": topic})
        frame = await self.expect("peers")
        assert frame["topic"] == topic
        return frame["peers"]

    async def leave(self, topic: str) -> None:
        await self.send({"type": "leave", "topic": topic})

    async def signal(self, topic: str, to: str, blob: str) -> None:
        await self.send({"type": "signal", "topic": topic, "to": to, "blob": blob})

    async def disconnect(self) -> None:
        if not self.gone:
            self.gone = True
            await self.comm.disconnect()
