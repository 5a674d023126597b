"""The mirror service across two real server processes sharing one Redis
(docs/protocol.md §12): a request that comes in at one process reaches the mirror's
connection at the other, and its reply comes back; the registration, its replacement
and its end are seen by both. The mirror speaks through the Python client
(parley_peer/signaling.py), as the mirror service does; members through raw frames.
"""

import asyncio
import os
from contextlib import ExitStack

import pytest
from nacl.signing import SigningKey

from e2e.redis_server import RedisServer
from e2e.server import running_server
from parley_peer.signaling import SignalingClient
from signal_server.limits import Limits

from .test_scaleout import SERVER_ENV, SERVERS, WAIT_SECONDS, Peer, b64, new_address

MIRROR = SigningKey.generate()


def serving_frame() -> dict:
    """`mirror-serving` as the server answers it: the mirror's limits (§12)."""
    return {"type": "mirror-serving", "limits": Limits.from_settings().for_mirror()}


@pytest.fixture(scope="module", params=SERVERS)
def servers(request):
    redis = RedisServer()
    redis.start()
    env = {
        **SERVER_ENV,
        "REDIS_URL": redis.url,
        "PARLEY_MIRROR_KEY": b64(bytes(MIRROR.verify_key)),
        # The Python clients connect without X-Forwarded-For: all from 127.0.0.1.
        "PARLEY_MAX_CONNECTIONS_PER_IP": "32",
    }
    try:
        with ExitStack() as stack:
            yield (
                stack.enter_context(running_server(env, server=request.param)),
                stack.enter_context(running_server(env, server=request.param)),
            )
    finally:
        redis.stop()


@pytest.fixture
async def member():
    """`await member(url)`: a raw connection, said hello; all closed at the end."""
    opened = []

    async def open_member(url: str) -> Peer:
        p = Peer(url, new_address())
        await p.open()
        opened.append(p)
        await p.hello()
        return p

    yield open_member
    for p in opened:
        await p.close()


class Mirror:
    """A mirror service's connection: the Python client, and the frames it gets."""

    def __init__(self, url: str) -> None:
        self.client = SignalingClient(url)
        self.frames: asyncio.Queue[dict] = asyncio.Queue()
        self.client.add_listener(self.frames.put_nowait)

    async def start(self) -> "Mirror":
        await self.client.connect()
        await self.client.serve_mirror(MIRROR)
        assert await self.next() == serving_frame()
        return self

    async def next(self) -> dict:
        return await asyncio.wait_for(self.frames.get(), WAIT_SECONDS)


@pytest.fixture
async def mirror():
    """`await mirror(url)`: a registered mirror connection; all closed at the end."""
    started: list[Mirror] = []

    async def start(url: str) -> Mirror:
        m = Mirror(url)
        started.append(m)
        return await m.start()

    yield start
    for m in started:
        await m.client.close()


async def ask(p: Peer) -> str:
    blob = b64(os.urandom(1072))
    await p.send({"type": "mirror", "blob": blob})
    return blob


async def test_a_request_at_one_process_reaches_the_mirror_at_the_other_and_back(
    servers, member, mirror
):
    one, two = servers
    m = await mirror(one)
    for url in (two, one):  # across processes, then within one
        asker = await member(url)
        blob = await ask(asker)
        assert await m.next() == {
            "type": "mirror-request",
            "from": asker.id,
            "key": asker.key,
            "blob": blob,
        }
        reply = b64(os.urandom(1072))
        assert await m.client.mirror_reply(asker.id, reply)
        assert await asker.expect("mirror-reply") == {"type": "mirror-reply", "blob": reply}
        await asker.expect_nothing()


async def test_the_latest_mirror_wins_and_its_end_is_seen_by_every_process(servers, member, mirror):
    one, two = servers
    first = await mirror(one)
    second = await mirror(two)
    asker = await member(one)
    blob = await ask(asker)
    assert (await second.next())["blob"] == blob
    # The first no longer serves: its reply is refused, wherever the requester is.
    await first.client.mirror_reply(asker.id, b64(os.urandom(1072)))
    error = await first.next()
    assert (error["code"], error["ref"]) == ("not_mirror", "mirror-reply")
    # The second closes: no process has a mirror then.
    await second.client.close()
    for url in (one, two):
        await no_mirror_soon(await member(url))


async def no_mirror_soon(p: Peer) -> None:
    """`p`'s requests are answered `no_mirror` within WAIT_SECONDS: the server ends a
    closed mirror's registration once it has seen the close, which nothing here awaits."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        await ask(p)
        await p.send({"type": "ping"})  # answered after the request, frames are in order
        answer = await p.receive()
        if answer["type"] == "error":
            assert (answer["code"], answer["ref"]) == ("no_mirror", "mirror")
            assert (await p.receive())["type"] == "pong"
            return
        assert answer["type"] == "pong"  # relayed to the closing mirror, and dropped
        assert asyncio.get_running_loop().time() < deadline, "the mirror stayed registered"
        await asyncio.sleep(0.05)
