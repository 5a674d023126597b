"""Requests to /push/subscription for the push registration tests (docs/protocol.md §10):
subscriptions, signed registrations, and a client of the push API from an address of its
own. The `http` and `api` fixtures that use it are in conftest.py.
"""

import json
import os
import time

from parley_peer.wake import MailboxKeys, register_request

from .push_fixtures import client_address
from .wire import b64

PUSH_HOST = "https://fcm.googleapis.com/fcm/send/"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def p256dh() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64(point)


def subscription(endpoint: str | None = None, key: str | None = None, auth: str | None = None):
    return {
        "endpoint": endpoint or PUSH_HOST + b64(os.urandom(12)),
        "keys": {"p256dh": key or p256dh(), "auth": auth or b64(os.urandom(16))},
    }


def body_of(obj) -> bytes:
    return json.dumps(obj).encode()


class Api:
    """The push API from one client address."""

    def __init__(self, client, address: str | None = None):
        self.client = client
        self.address = address or client_address()

    def post(self, body, content_type="application/json", **extra):
        data = body if isinstance(body, bytes) else body_of(body)
        return self.client.post(
            "/push/subscription", data, content_type, REMOTE_ADDR=self.address, **extra
        )

    def delete(self, body):
        data = body if isinstance(body, bytes) else body_of(body)
        return self.client.delete(
            "/push/subscription", data, "application/json", REMOTE_ADDR=self.address
        )


def good_request() -> dict:
    return register_request(MailboxKeys.generate(), subscription(), now_ms())
