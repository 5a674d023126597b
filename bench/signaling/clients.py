"""The load clients: one WebSocket client of either server, Parley's protocol or PeerJS's."""

import base64
import json
import os
import resource
import time
import uuid

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State
from websockets.typing import Origin

from parley_peer.signaling import Pacer


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Lost(Exception):
    """An envelope did not arrive (an error frame instead, or nothing in time)."""


class Client:
    """One WebSocket client of either server: open, send to a peer, receive from one."""

    kind = ""

    def __init__(self, port: int) -> None:
        self.port = port
        self.id = ""
        self.ws: ClientConnection | None = None
        self.pacer: Pacer | None = None
        self.error_frames = 0
        self.last_send = 0.0

    async def _connect(self, url: str, origin: str | None) -> None:
        self.ws = await connect(
            url,
            origin=Origin(origin) if origin else None,
            proxy=None,
            open_timeout=60,
            ping_interval=None,
            max_size=2**20,
            compression=None,
        )

    async def send_json(self, frame: dict) -> None:
        self.last_send = time.monotonic()
        await self.ws.send(json.dumps(frame, separators=(",", ":")))

    async def recv_json(self) -> dict:
        return json.loads(await self.ws.recv())

    @property
    def open(self) -> bool:
        return self.ws is not None and self.ws.state is State.OPEN

    def abort(self) -> None:
        if self.ws is not None:
            self.ws.transport.abort()


class ParleyClient(Client):
    kind = "parley"

    async def start(self, topic: str) -> None:
        """hello with a fresh connection key, welcome, join `topic`, its `peers` answer."""
        url = f"ws://127.0.0.1:{self.port}/ws/signal"
        await self._connect(url, f"http://127.0.0.1:{self.port}")
        await self.send_json({"type": "hello", "v": 1, "key": b64(os.urandom(32))})
        welcome = await self._expect("welcome")
        self.id = welcome["id"]
        limits = welcome.get("limits", {})
        self.pacer = Pacer(float(limits["rate_per_second"]), float(limits["burst"]))
        self.topic = topic
        await self.pace()
        await self.send_json({"type": "join", "topic": topic})
        await self._expect("peers")

    async def _expect(self, kind: str) -> dict:
        while True:
            frame = await self.recv_json()
            if frame["type"] == kind:
                return frame
            if frame["type"] == "error":
                raise RuntimeError(f"server error: {frame}")

    async def pace(self) -> None:
        await self.pacer.take()

    async def send_to(self, peer: str, blob: str, _kind: str) -> None:
        await self.send_json({"type": "signal", "topic": self.topic, "to": peer, "blob": blob})

    async def receive(self) -> tuple[str, str]:
        while True:
            frame = await self.recv_json()
            if frame["type"] == "signal":
                return frame["from"], frame["blob"]
            if frame["type"] == "error":
                self.error_frames += 1
                raise Lost(frame.get("code", "error"))

    async def keepalive(self) -> None:
        await self.pace()
        await self.send_json({"type": "ping"})


class PeerJSClient(Client):
    kind = "peerjs"

    async def start(self, topic: str) -> None:  # PeerJS has no topics
        self.id = str(uuid.uuid4())
        token = b64(os.urandom(8))
        url = f"ws://127.0.0.1:{self.port}/peerjs?key=peerjs&id={self.id}&token={token}"
        await self._connect(url, None)
        frame = await self.recv_json()
        if frame.get("type") != "OPEN":
            raise RuntimeError(f"PeerJS did not open: {frame}")

    async def pace(self) -> None:
        return None

    async def send_to(self, peer: str, blob: str, kind: str) -> None:
        await self.send_json({"type": kind, "dst": peer, "payload": blob})

    async def receive(self) -> tuple[str, str]:
        while True:
            frame = await self.recv_json()
            if frame.get("type") in ("OFFER", "ANSWER"):
                return frame["src"], frame["payload"]
            if frame.get("type") in ("ERROR", "EXPIRE", "LEAVE", "ID-TAKEN"):
                self.error_frames += 1
                raise Lost(frame["type"])

    async def keepalive(self) -> None:
        await self.send_json({"type": "HEARTBEAT"})


def new_client(kind: str, port: int) -> Client:
    return ParleyClient(port) if kind == "parley" else PeerJSClient(port)
