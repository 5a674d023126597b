"""Rendezvous client (docs/protocol.md §3) over the ``websockets`` library.

    client = SignalingClient("http://127.0.0.1:8000")
    client.add_listener(lambda frame: ...)   # every S->C frame after `welcome`, as a dict
    await client.connect()                   # fresh connection key, hello, wait for welcome
    await client.join(topic); await client.signal(topic, to, blob); await client.close()
    servers, expires = await client.request_ice_servers()   # once joined (parley_peer/ice.py)

    # The mirror service (§12): register this connection, then answer requests.
    await client.serve_mirror(mirror_key)    # nacl.signing.SigningKey; SignalingError if refused
    await client.mirror_reply(frame["from"], sealed_reply)   # for a `mirror-request` frame
    # A member: ask the mirror; its answer arrives as a `mirror-reply` frame.
    await client.request_mirror(sealed_request)

Like the browser's SignalingClient it knows nothing about rooms or envelopes, and it
paces its frames under 90% of the server's token bucket (§3) so that a burst of
handshakes is delayed rather than dropped. Unlike it, it does not reconnect: a closed
socket sets ``closed`` and the owner decides what to do. A new connection (``connect()``
again, or a new client) is a new connection id and key, which the server knows nothing
of: the owner calls ``serve_mirror`` again on it.
"""

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from nacl.public import PrivateKey
from nacl.signing import SigningKey
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from parley_peer.encoding import b64url_encode

PROTOCOL_VERSION = 1
PING_INTERVAL_S = 25  # §5: clients ping every 25 s, well inside the 90 s idle timeout
PACE_SHARE = 0.9
MIRROR_SERVE_CONTEXT = b"parley-mirror-serve-v1"  # §12, what the mirror key signs
logger = logging.getLogger(__name__)

Listener = Callable[[dict], None]


class SignalingError(Exception):
    """The server refused us (an `error` frame before `welcome`) or went away."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def signal_endpoint(server_url: str) -> tuple[str, str]:
    """(WebSocket URL, Origin) for a server base URL such as http://127.0.0.1:8000.

    The server only upgrades requests whose Origin is one of its allowed hosts, so we
    present the origin a page served by that server would have.
    """
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) server URL: {server_url!r}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws/signal", f"{parts.scheme}://{parts.netloc}"


class Pacer:
    """A token bucket a little smaller than the server's, so we never hit its limit."""

    def __init__(self, rate_per_second: float, burst: float) -> None:
        self.rate = max(rate_per_second * PACE_SHARE, 0.1)
        self.capacity = max(burst * PACE_SHARE, 1.0)
        self.tokens = self.capacity
        self.last = time.monotonic()
        self.lock = asyncio.Lock()  # FIFO: frames leave in the order they were sent

    async def take(self) -> None:
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class SignalingClient:
    def __init__(
        self,
        server_url: str,
        *,
        open_timeout: float = 10.0,
        connection_key: PrivateKey | None = None,
    ) -> None:
        self.url, self.origin = signal_endpoint(server_url)
        self.open_timeout = open_timeout
        self.connection_key: PrivateKey | None = None  # fresh for every connection (§1)
        # A key chosen by the caller, for the first connection only: a test that needs
        # this end to sort first (§6, dialling again) picks it rather than draws it.
        self._given_key = connection_key
        self.connection_id: str | None = None
        self.limits: dict = {}
        # The latest server `error` frames, for tests and logs (a long-lived client, the
        # mirror service, must not keep them all).
        self.errors: collections.deque[dict] = collections.deque(maxlen=256)
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._listeners: list[Listener] = []
        self._socket: ClientConnection | None = None
        self._tasks: list[asyncio.Task] = []
        self._pacer: Pacer | None = None  # from `welcome` on; `hello` goes unpaced
        self._ice_lock = asyncio.Lock()

    @property
    def public_key(self) -> bytes:
        if self.connection_key is None:
            raise RuntimeError("not connected")
        return self.connection_key.public_key.encode()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    async def connect(self) -> None:
        self.connection_key, self._given_key = self._given_key or PrivateKey.generate(), None
        # proxy=None: the rendezvous server is local; an environment proxy must not see it.
        # ping_interval=None: the server's idle timer only counts protocol frames (§3 ping).
        self._socket = await connect(
            self.url,
            origin=Origin(self.origin),
            proxy=None,
            open_timeout=self.open_timeout,
            ping_interval=None,
            max_size=2**20,
        )
        try:
            frame = await self._hello()
        except BaseException:
            await self._socket.close()
            raise
        self.connection_id = frame["id"]
        self.limits = frame.get("limits", {})
        self._pacer = Pacer(
            float(self.limits.get("rate_per_second") or 20), float(self.limits.get("burst") or 100)
        )
        # Open again after an earlier connection of this client closed.
        self.closed.clear()
        self.close_code = None
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._ping())]

    async def _hello(self) -> dict:
        key = b64url_encode(self.public_key)
        await self._send({"type": "hello", "v": PROTOCOL_VERSION, "key": key})
        async with asyncio.timeout(self.open_timeout):
            while True:
                frame = json.loads(await self._socket.recv())
                if frame.get("type") == "welcome":
                    return frame
                if frame.get("type") == "error":
                    raise SignalingError(frame.get("code", "error"), frame.get("message", ""))

    async def join(self, topic: bytes) -> None:
        await self._send({"type": "join", "topic": b64url_encode(topic)})

    async def leave(self, topic: bytes) -> None:
        await self._send({"type": "leave", "topic": b64url_encode(topic)})

    async def signal(self, topic: bytes, to: str, blob: str) -> bool:
        """Relay a sealed envelope; False when the socket is already gone."""
        return await self._send(
            {"type": "signal", "topic": b64url_encode(topic), "to": to, "blob": blob}
        )

    async def ping(self) -> None:
        await self._send({"type": "ping"})

    async def request_ice_servers(self, timeout: float = 5.0) -> tuple[list, int | None]:  # noqa: ASYNC109
        """(servers, expires) from the server's `ice-servers` answer (§3), unchecked
        (parley_peer.ice.parse_answer checks it). Raises SignalingError for an error
        frame about it (`ice_rate_limited`, `not_joined`), TimeoutError after `timeout`
        seconds, ConnectionError when the socket is gone. One request at a time."""
        async with self._ice_lock:
            answer: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

            def catch(frame: dict) -> None:
                # `unknown_type` carries no ref; this client sends no other unknown
                # type, so it is the answer of a server that predates the frame.
                about_ice = frame["type"] == "ice-servers" or (
                    frame["type"] == "error"
                    and (frame.get("ref") == "ice-servers" or frame.get("code") == "unknown_type")
                )
                if about_ice and not answer.done():
                    answer.set_result(frame)

            self.add_listener(catch)
            try:
                if not await self._send({"type": "ice-servers"}):
                    raise ConnectionError("the rendezvous socket is closed")
                async with asyncio.timeout(timeout):
                    frame = await answer
            finally:
                self.remove_listener(catch)
        if frame["type"] == "error":
            raise SignalingError(frame.get("code", "error"), frame.get("message", ""))
        return frame.get("servers"), frame.get("expires")

    async def serve_mirror(
        self,
        mirror_key: SigningKey,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        rate_per_second: float | None = None,
        burst: int | None = None,
    ) -> None:
        """Register this connection as the server's mirror service (§12): `mirror-serve`
        signed with `mirror_key`, then wait for `mirror-serving`. From then on the server
        sends this connection every `mirror-request` (to the listeners, as other frames).

        Raises SignalingError with the server's code (`bad_mirror`: not the server's
        mirror key, a clock more than 60 s off, or a server without a mirror service),
        `timeout` when no answer came within `timeout` seconds, or `closed` when the
        socket went. Once per connection: after a reconnect, call it again.

        `mirror-serving` states the connection's new limits, and its frames are paced
        under them from then on (`rate_per_second`, `burst`: to pace otherwise).
        """
        ts = time.time_ns() // 1_000_000
        message = MIRROR_SERVE_CONTEXT + self.public_key + ts.to_bytes(8, "big")
        frame = {
            "type": "mirror-serve",
            "key": b64url_encode(bytes(mirror_key.verify_key)),
            "ts": ts,
            "sig": b64url_encode(mirror_key.sign(message).signature),
        }
        answer: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

        def catch(frame: dict) -> None:
            about_serve = frame["type"] == "mirror-serving" or (
                frame["type"] == "error"
                and (frame.get("ref") == "mirror-serve" or frame.get("code") == "unknown_type")
            )
            if about_serve and not answer.done():
                answer.set_result(frame)

        self.add_listener(catch)
        try:
            if not await self._send(frame):
                raise SignalingError("closed", "the rendezvous socket is closed")
            closed = asyncio.ensure_future(self.closed.wait())
            try:
                done, _ = await asyncio.wait(
                    (answer, closed), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                closed.cancel()
        finally:
            self.remove_listener(catch)
        if answer not in done:
            if closed in done:
                raise SignalingError("closed", "the rendezvous socket closed")
            raise SignalingError("timeout", f"no answer to mirror-serve within {timeout} s")
        reply = answer.result()
        if reply["type"] == "error":
            raise SignalingError(reply.get("code", "error"), reply.get("message", ""))
        limits = reply.get("limits")
        if isinstance(limits, dict):
            self.limits = {**self.limits, **limits}
        self._pacer = Pacer(
            rate_per_second or float(self.limits.get("rate_per_second") or 20),
            burst or float(self.limits.get("burst") or 100),
        )

    async def wake(self, mailbox: bytes, blob: str) -> bool:
        """Ask the server to push a sealed wake (§3 `wake`, §10); its `woken` answer
        reaches the listeners. False when the socket is already gone."""
        return await self._send({"type": "wake", "mailbox": b64url_encode(mailbox), "blob": blob})

    async def mirror_reply(self, to: str, blob: str) -> bool:
        """Answer a `mirror-request` from connection `to` (its `from`) with a sealed reply
        (base64url, 1072 bytes); False when the socket is already gone."""
        return await self._send({"type": "mirror-reply", "to": to, "blob": blob})

    async def request_mirror(self, blob: str) -> bool:
        """Send a sealed request (base64url, 1072 bytes) to the server's mirror service;
        False when the socket is already gone. The answer comes to the listeners as a
        `mirror-reply` frame, or an `error` with ref `mirror` (`no_mirror`)."""
        return await self._send({"type": "mirror", "blob": blob})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._socket is not None:
            await self._socket.close()
            self.close_code = self._socket.close_code
        self.closed.set()

    async def _send(self, frame: dict) -> bool:
        if self._socket is None:
            raise RuntimeError("not connected")
        if self._pacer is not None:
            await self._pacer.take()
        try:
            await self._socket.send(json.dumps(frame, separators=(",", ":")))
        except ConnectionClosed:
            return False
        return True

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for text in self._socket:
                try:
                    frame = json.loads(text)
                except ValueError:
                    continue  # the server only sends JSON; anything else is ignored
                if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                    continue
                if frame["type"] == "error":
                    logger.info("server error frame: %s", frame)
                    self.errors.append(frame)
                for listener in list(self._listeners):
                    try:
                        listener(frame)
                    except Exception:  # one bad listener must not stop the socket
                        logger.exception("signaling listener failed on a %s frame", frame["type"])
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._socket.close_code
            self.closed.set()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL_S)
            if not await self._send({"type": "ping"}):
                return
