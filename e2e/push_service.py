"""A fake Web Push service on 127.0.0.1, and what a browser does with what it receives.

The server only pushes to endpoints whose host is allowed (docs/protocol.md §10), so a
test that uses this service lets the server reach it:
``PARLEY_PUSH_INSECURE_HOSTS=127.0.0.1`` (any port), or ``service.host`` for its port.

    with FakePushService() as service:
        sub = make_subscription(service.endpoint())      # a browser's subscription
        ...register sub.as_json() and send a wake...
        [request] = service.requests_for(sub.endpoint)  # what pywebpush POSTed
        data = sub.decrypt(request.body)               # RFC 8291 payload: the blob text
        claims = verify_vapid(request.headers["authorization"], server_vapid_public_key)

API:

- ``FakePushService()``: starts serving on a free port (a thread); ``close()`` or the
  ``with`` block stops it. ``origin`` is ``http://127.0.0.1:<port>``, ``host`` is
  ``127.0.0.1:<port>``.
- ``endpoint()``: a new endpoint URL on the service (a random path).
- ``answer(endpoint, status)``: answer that endpoint (URL or path) with ``status`` (201 by
  default; 404 and 410 mean "subscription gone", 500 a failure) from now on.
- ``requests`` / ``requests_for(endpoint)``: the recorded POSTs (``PushRequest``: ``path``,
  ``headers`` with lower-case names, ``body`` bytes), oldest first.
- ``wait_for_requests(count, timeout)``: for e2e tests, where a push arrives from another
  process; returns the requests or raises TimeoutError.
- ``make_subscription(endpoint)``: a ``BrowserSubscription`` with a fresh P-256 key pair
  and auth secret, as ``PushManager.subscribe`` makes; ``as_json()`` is
  ``PushSubscription.toJSON()``; ``decrypt(body)`` opens a push message for it.
- ``decrypt(body, private_key, auth_secret)``: RFC 8291 ``aes128gcm`` decryption.
- ``verify_vapid(authorization, public_key)``: checks a ``vapid t=...,k=...`` header
  (RFC 8292) against the server's base64url VAPID public key; returns the JWT claims.
"""

import base64
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt

MAX_BODY_BYTES = 65536  # far above a push message (4 KiB at most), below anything harmful


@dataclass(frozen=True)
class PushRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class FakePushService:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._requests: list[PushRequest] = []
        self._statuses: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.origin = f"http://{self.host}"
        # A short poll interval: close() waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-push-service",
            daemon=True,
        )
        self._thread.start()

    def endpoint(self) -> str:
        return f"{self.origin}/push/{secrets.token_urlsafe(16)}"

    def answer(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._statuses[_path(endpoint)] = status

    @property
    def requests(self) -> list[PushRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, endpoint: str) -> list[PushRequest]:
        path = _path(endpoint)
        return [request for request in self.requests if request.path == path]

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[PushRequest]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} push requests arrived")
            return list(self._requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "FakePushService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _record(self, request: PushRequest) -> int:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
            return self._statuses.get(request.path, 201)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self.send_error(413)
                    return
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = service._record(PushRequest(self.path, headers, body))
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{secrets.token_hex(8)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass  # tests read the recorded requests, not stderr

        return Handler


@dataclass(frozen=True)
class BrowserSubscription:
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(raw)

    @property
    def auth(self) -> str:
        return _b64url(self.auth_secret)

    def as_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, body: bytes) -> bytes:
        return decrypt(body, self.private_key, self.auth_secret)


def make_subscription(endpoint: str) -> BrowserSubscription:
    return BrowserSubscription(
        endpoint, ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16)
    )


def decrypt(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """The plaintext of an RFC 8291 push message (`Content-Encoding: aes128gcm`)."""
    return http_ece.decrypt(
        body, private_key=private_key, auth_secret=auth_secret, version="aes128gcm"
    )


def verify_vapid(authorization: str, public_key: str) -> dict:
    """The JWT claims of a `vapid t=<jwt>,k=<key>` header signed by `public_key`.

    Raises InvalidSignature if the header names another key or its token does not verify.
    """
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise InvalidSignature(f"not a vapid Authorization header: {scheme}")
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    if parts.get("k") != public_key:
        raise InvalidSignature("signed with another VAPID key")
    return vapid_jwt.decode(parts["t"], public_key)


def _path(endpoint: str) -> str:
    return urlsplit(endpoint).path if "://" in endpoint else endpoint


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
