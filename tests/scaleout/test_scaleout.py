"""Two real server processes (daphne via `manage.py serve`) sharing one real Redis.

Clients speak the protocol over real WebSockets (the `websockets` package). The servers
run with short Redis heartbeats so that an outage is seen within a test.
"""

import asyncio
import base64
import json
import os
import tempfile
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from e2e.redis_server import RedisServer
from e2e.server import running_server

# How long anything is waited for: a bound on waiting, not a performance check.
WAIT_SECONDS = 10
QUIET_SECONDS = 0.3
MAILBOX_WAKE_BURST = 2
CONNECTIONS_PER_ADDRESS = 3
TOPICS_PER_ADDRESS = 3
ICE_ADDRESS_BURST = 2
SERVER_ENV = {
    # Each test's clients come from addresses of their own, written by "the proxy".
    "PARLEY_TRUSTED_PROXY_COUNT": "1",
    "PARLEY_MAX_CONNECTIONS_PER_IP": str(CONNECTIONS_PER_ADDRESS),
    "PARLEY_MAX_TOPICS_PER_IP": str(TOPICS_PER_ADDRESS),
    "PARLEY_REDIS_HEARTBEAT_SECONDS": "0.5",
    "PARLEY_REDIS_PROCESS_TTL_SECONDS": "3",
    "PARLEY_MAILBOX_WAKE_BURST": str(MAILBOX_WAKE_BURST),
    "PARLEY_MAILBOX_WAKE_RATE_PER_SECOND": "0.001",
    "PARLEY_ICE_ADDRESS_BURST": str(ICE_ADDRESS_BURST),
    "PARLEY_ICE_ADDRESS_RATE_PER_SECOND": "0.001",
}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class Peer:
    """One WebSocket connection to one server process."""

    def __init__(self, base_url: str, address: str):
        self.base_url = base_url
        self.address = address
        self.ws = None
        self.id: str | None = None
        self.key = b64(os.urandom(32))

    async def open(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://") + "/ws/signal"
        headers = {"X-Forwarded-For": self.address}
        self.ws = await connect(ws_url, origin=self.base_url, additional_headers=headers)

    async def hello(self) -> None:
        await self.send({"type": "hello", "v": 1, "key": self.key})
        self.id = (await self.expect("welcome"))["id"]

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def receive(self) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), WAIT_SECONDS))

    async def expect(self, kind: str) -> dict:
        frame = await self.receive()
        assert frame["type"] == kind, frame
        return frame

    async def expect_nothing(self) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.ws.recv(), QUIET_SECONDS)

    async def join(self, topic: str) -> list[dict]:
        await self.send({"type": "join", "topic": topic})
        frame = await self.expect("peers")
        assert frame["topic"] == topic
        return frame["peers"]

    async def close_code(self) -> int:
        """Wait until the server closes the socket; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT_SECONDS)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006

    async def close(self) -> None:
        await self.ws.close()


# Every test runs on each server `manage.py serve` offers.
SERVERS = ("daphne", "uvicorn")


def two_servers(stack: ExitStack, redis_url: str, server: str) -> tuple[str, str]:
    data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-scaleout-"))
    env = {**SERVER_ENV, "REDIS_URL": redis_url, "PARLEY_DATA_DIR": data_dir}
    return (
        stack.enter_context(running_server(env, server=server)),
        stack.enter_context(running_server(env, server=server)),
    )


@pytest.fixture(scope="module", params=SERVERS)
def servers(request):
    """A Redis and two server processes on it, shared by the tests that do not stop Redis."""
    redis = RedisServer()
    redis.start()
    try:
        with ExitStack() as stack:
            yield two_servers(stack, redis.url, request.param)
    finally:
        redis.stop()


@pytest.fixture
async def peer():
    """`await peer(url)`: a connection to that server, said hello; all closed at the end.

    Each comes from an address of its own unless `address` is given.
    """
    opened = []

    async def open_peer(url: str, hello: bool = True, address: str | None = None) -> Peer:
        p = Peer(url, address or new_address())
        await p.open()
        opened.append(p)
        if hello:
            await p.hello()
        return p

    yield open_peer
    for p in opened:
        await p.close()


def new_address() -> str:
    return "10." + ".".join(str(b) for b in os.urandom(3))


def health(base_url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=WAIT_SECONDS) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


async def test_peers_on_two_processes_meet_relay_and_leave(servers, peer):
    one, two = servers
    topic = b64(os.urandom(32))
    a = await peer(one)
    assert await a.join(topic) == []
    b = await peer(two)
    assert await b.join(topic) == [{"id": a.id, "key": a.key}]
    joined = await a.expect("joined")
    assert joined == {"type": "joined", "topic": topic, "peer": {"id": b.id, "key": b.key}}

    blob = b64(os.urandom(1072))
    await b.send({"type": "signal", "topic": topic, "to": a.id, "blob": blob})
    assert await a.expect("signal") == {
        "type": "signal",
        "topic": topic,
        "from": b.id,
        "key": b.key,
        "blob": blob,
    }
    answer = b64(os.urandom(4144))
    await a.send({"type": "signal", "topic": topic, "to": b.id, "blob": answer})
    assert (await b.expect("signal"))["blob"] == answer

    # A third connection, on the first process, sees both.
    c = await peer(one)
    seen = await c.join(topic)
    assert sorted(p["id"] for p in seen) == sorted([a.id, b.id])
    for p in (a, b):
        assert (await p.expect("joined"))["peer"]["id"] == c.id

    await b.send({"type": "leave", "topic": topic})
    for p in (a, c):
        assert await p.expect("left") == {"type": "left", "topic": topic, "id": b.id}
    # A signal to a connection that left, across processes, is unreachable.
    await a.send({"type": "signal", "topic": topic, "to": b.id, "blob": blob})
    refused = await a.expect("error")
    assert (refused["code"], refused["topic"], refused["to"]) == ("unreachable", topic, b.id)

    await a.close()  # a disconnect is a leave too
    assert await c.expect("left") == {"type": "left", "topic": topic, "id": a.id}


async def test_a_signal_across_processes_needs_a_shared_topic(servers, peer):
    one, two = servers
    a, b = await peer(one), await peer(two)
    t1, t2 = b64(os.urandom(32)), b64(os.urandom(32))
    await a.join(t1)
    await b.join(t2)
    await b.send({"type": "signal", "topic": t2, "to": a.id, "blob": b64(os.urandom(1072))})
    assert (await b.expect("error"))["code"] == "unreachable"
    await a.expect_nothing()


async def test_the_mailbox_wake_budget_holds_across_processes(servers, peer):
    one, two = servers
    mailbox = b64(os.urandom(32))

    async def wake(p: Peer, box: str) -> dict:
        await p.send({"type": "wake", "mailbox": box, "blob": b64(os.urandom(1072))})
        return await p.receive()

    a, b = await peer(one), await peer(two)
    answers = [await wake(p, mailbox) for p in (a, b)]
    assert [f["type"] for f in answers] == ["woken"] * MAILBOX_WAKE_BURST
    # The budget is spent, whichever process the next wake comes to.
    for p in (a, b):
        refused = await wake(p, mailbox)
        assert (refused["type"], refused["code"]) == ("error", "wake_rate_limited")
    assert (await wake(b, b64(os.urandom(32))))["type"] == "woken"


async def test_the_connection_cap_of_an_address_holds_across_processes(servers, peer):
    one, two = servers
    address = new_address()
    for i in range(CONNECTIONS_PER_ADDRESS):
        await peer(servers[i % 2], address=address)
    for url in (one, two):
        refused = await peer(url, hello=False, address=address)
        assert await refused.close_code() == 4013
    # Another address is not affected.
    await peer(two)


async def test_the_topic_cap_of_an_address_holds_across_processes(servers, peer):
    one, two = servers
    address = new_address()
    a = await peer(one, address=address)
    b = await peer(two, address=address)
    topics = [b64(os.urandom(32)) for _ in range(TOPICS_PER_ADDRESS + 1)]
    await a.join(topics[0])
    await b.join(topics[1])
    await a.join(topics[2])
    for p in (a, b):
        await p.send({"type": "join", "topic": topics[3]})
        error = await p.expect("error")
        assert (error["code"], error["ref"]) == ("too_many_topics_per_address", "join")
    await a.send({"type": "leave", "topic": topics[0]})
    await a.send({"type": "ping"})
    await a.expect("pong")  # a connection's frames are handled in order: the leave is done
    assert await b.join(topics[3]) == []


async def test_the_ice_servers_budget_of_an_address_holds_across_processes(servers, peer):
    one, two = servers
    address = new_address()
    a = await peer(one, address=address)
    b = await peer(two, address=address)
    for p in (a, b):
        await p.join(b64(os.urandom(32)))

    async def ask(p: Peer) -> dict:
        await p.send({"type": "ice-servers"})
        return await p.receive()

    assert [(await ask(p))["type"] for p in (a, b)] == ["ice-servers"] * ICE_ADDRESS_BURST
    # Spent, whichever process the next request comes to; each connection has tokens left.
    for p in (a, b):
        refused = await ask(p)
        assert (refused["type"], refused["code"]) == ("error", "ice_rate_limited")
    # Another address is not affected.
    c = await peer(two)
    await c.join(b64(os.urandom(32)))
    assert (await ask(c))["type"] == "ice-servers"


def test_healthz_says_redis_is_ok(servers):
    for url in servers:
        assert health(url) == (200, {"ok": True, "redis": "ok"})


@pytest.mark.parametrize("server", SERVERS)
async def test_redis_going_away_closes_with_4503_and_recovers(peer, server):
    redis = RedisServer()
    redis.start()
    try:
        with ExitStack() as stack:
            one, two = two_servers(stack, redis.url, server)
            topic = b64(os.urandom(32))
            a = await peer(one)
            await a.join(topic)

            redis.stop()
            # The open connection is closed for the client to come back later ...
            assert await a.close_code() == 4503
            # ... a new one is refused, or its join answered `unavailable`, then closed.
            late = await peer(two, hello=False)
            try:
                await late.send({"type": "hello", "v": 1, "key": late.key})
                await late.expect("welcome")
                await late.send({"type": "join", "topic": topic})
                error = await late.expect("error")
                assert (error["code"], error["ref"]) == ("unavailable", "join")
            except ConnectionClosed:
                pass
            assert await late.close_code() == 4503
            for url in (one, two):
                assert health(url) == (503, {"ok": False, "redis": "unreachable"})

            redis.start()  # same port, empty
            for url in (one, two):
                await wait_for_health(url)
            b, c = await peer(one), await peer(two)
            assert await b.join(topic) == []
            assert await c.join(topic) == [{"id": b.id, "key": b.key}]
            assert (await b.expect("joined"))["peer"]["id"] == c.id
            blob = b64(os.urandom(1072))
            await c.send({"type": "signal", "topic": topic, "to": b.id, "blob": blob})
            assert (await b.expect("signal"))["blob"] == blob
    finally:
        redis.stop()


async def wait_for_health(url: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while (await asyncio.to_thread(health, url))[0] != 200:
        assert loop.time() < deadline, f"{url} did not become healthy"
        await asyncio.sleep(0.1)
