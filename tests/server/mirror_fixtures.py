"""Frames of the mirror tests (docs/protocol.md §12): `mirror-serve` signed by hand, so
that the tests do not trust the server's own message builder, requests and replies.
The fixtures `mirror_key` and `no_mirror_key` are in conftest.py.
"""

import time

from nacl.signing import SigningKey

from signal_server.limits import Limits

from .wire import Client, b64, sealed_blob, unb64

CONTEXT = b"parley-mirror-serve-v1"


def serving_frame() -> dict:
    """`mirror-serving` as the server answers it: the mirror's limits (§12)."""
    return {"type": "mirror-serving", "limits": Limits.from_settings().for_mirror()}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def serve_frame(
    c: Client,
    key: SigningKey,
    *,
    ts: int | None = None,
    connection_key: str | None = None,
    context: bytes = CONTEXT,
) -> dict:
    """`mirror-serve` for `c`, signed by `key`; the arguments sign something else."""
    ts = now_ms() if ts is None else ts
    signed = context + unb64(connection_key or c.key) + ts.to_bytes(8, "big")
    return {
        "type": "mirror-serve",
        "key": b64(bytes(key.verify_key)),
        "ts": ts,
        "sig": b64(key.sign(signed).signature),
    }


async def serve(c: Client, key: SigningKey) -> None:
    """`c` registers as the mirror service."""
    await c.send(serve_frame(c, key))
    assert await c.receive() == serving_frame()


async def ask(c: Client) -> str:
    """`c` sends a mirror request; its blob."""
    blob = sealed_blob(1072)
    await c.send({"type": "mirror", "blob": blob})
    return blob


async def answer(mirror: Client, to: str) -> str:
    """`mirror` replies to connection `to`; the reply's blob."""
    blob = sealed_blob(1072)
    await mirror.send({"type": "mirror-reply", "to": to, "blob": blob})
    return blob
