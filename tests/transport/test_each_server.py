"""What `manage.py serve` promises of each server it offers, over real sockets.

The consumer's behaviour is tested at the ASGI level (tests/server/), the same whatever
serves it; these tests cover what each server's own HTTP and WebSocket layers decide
before or around the consumer: the Origin check, the transport's message limit, that no
proxy header is trusted unless Parley is told to, no per-message deflate, a relay end to
end, and that a client that does not read holds up no other.
"""

import asyncio
import json
import os
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from bench.hostile.load import expect, hello, join_one_topic
from bench.signaling.clients import b64
from e2e.server import running_server

WAIT_SECONDS = 10
FRAME_BYTES = 32768  # the protocol's frame limit as shipped (docs/protocol.md §5)


SERVERS = ("daphne", "uvicorn")


@pytest.fixture(scope="module", params=SERVERS)
def server(request):
    with running_server(server=request.param) as url:
        yield request.param, url


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/ws/signal"


async def open_socket(url: str, **options):
    return await connect(ws_url(url), origin=url, proxy=None, **options)


async def close_code(ws) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT_SECONDS)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006


async def test_a_relay_end_to_end(server):
    _, url = server
    a, b = await open_socket(url), await open_socket(url)
    try:
        a_id, b_id = await hello(a), await hello(b)
        topic = b64(os.urandom(32))
        await a.send(json.dumps({"type": "join", "topic": topic}))
        await expect(a, "peers")
        await b.send(json.dumps({"type": "join", "topic": topic}))
        assert (await expect(b, "peers"))["peers"][0]["id"] == a_id
        assert (await expect(a, "joined"))["peer"]["id"] == b_id
        blob = b64(os.urandom(4144))
        await a.send(json.dumps({"type": "signal", "topic": topic, "to": b_id, "blob": blob}))
        relayed = await expect(b, "signal")
        assert (relayed["from"], relayed["blob"]) == (a_id, blob)
    finally:
        await a.close()
        await b.close()


async def test_a_foreign_origin_is_refused_before_the_upgrade(server):
    _, url = server
    with pytest.raises(InvalidStatus) as refused:
        await connect(ws_url(url), origin="http://evil.example", proxy=None)
    assert refused.value.response.status_code == 403


async def test_frames_over_the_limit_are_refused_by_the_consumer_or_the_transport(server):
    _, url = server
    # Over the protocol's limit but within the transport's: the consumer says so, 4009.
    ws = await open_socket(url)
    await hello(ws)
    await ws.send(json.dumps({"type": "ping", "pad": "x" * FRAME_BYTES}))
    assert (await expect(ws, "error"))["code"] == "frame_too_large"
    assert await close_code(ws) == 4009
    # Over the transport's limit (twice the protocol's): cut before the consumer reads it.
    ws = await open_socket(url, max_size=None)
    await hello(ws)
    await ws.send("x" * (2 * FRAME_BYTES + 1))
    assert await close_code(ws) in (1009, 1006)


@pytest.mark.parametrize("name", SERVERS)
async def test_forwarded_for_is_not_trusted_without_a_trusted_proxy(name):
    # Two connections per address, each claiming another address in X-Forwarded-For: the
    # server's own proxy-header handling must not believe them (uvicorn's would, from
    # 127.0.0.1, were it on).
    with running_server({"PARLEY_MAX_CONNECTIONS_PER_IP": "2"}, server=name) as url:
        claims = [f"203.0.113.{n}" for n in (1, 2, 3)]
        sockets = []
        try:
            for claim in claims:
                headers = {"X-Forwarded-For": claim}
                sockets.append(await open_socket(url, additional_headers=headers))
            for ws in sockets[:2]:
                await hello(ws)
            assert await close_code(sockets[2]) == 4013
        finally:
            for ws in sockets:
                await ws.close()


async def test_no_server_deflates_messages(server):
    # Browsers offer permessage-deflate; sealed blobs do not compress, so accepting it
    # would only cost CPU (uvicorn accepts it unless manage.py serve turns it off).
    _, url = server
    ws = await open_socket(url, extensions=[ClientPerMessageDeflateFactory()])
    try:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        await hello(ws)
    finally:
        await ws.close()


def test_healthz_answers_on_each_server(server):
    _, url = server
    with urllib.request.urlopen(url + "/healthz", timeout=WAIT_SECONDS) as response:
        assert json.loads(response.read()) == {"ok": True, "redis": "not used"}


@pytest.mark.parametrize("name", SERVERS)
async def test_a_client_that_does_not_read_holds_up_nobody(name):
    # B stops reading; A sends it far more than the sockets between them can buffer.
    # uvicorn's send then waits for B's socket: A must not wait with it (its ping is
    # answered), and B loses what does not fit, as on a bad network.
    limits = {"PARLEY_RATE_PER_SECOND": "100000", "PARLEY_RATE_BURST": "100000"}
    with running_server(limits, server=name) as url:
        a = await open_socket(url)
        b = await open_socket(url, max_queue=1)  # its client stops reading when 1 waits
        try:
            await hello(a)
            b_id = await hello(b)
            topic = await join_one_topic(a, b)
            frame = json.dumps(
                {"type": "signal", "topic": topic, "to": b_id, "blob": b64(os.urandom(16432))}
            )
            for _ in range(1000):  # 22 MB
                await a.send(frame)
            await a.send(json.dumps({"type": "ping"}))
            while (await expect_any(a))["type"] != "pong":
                pass
        finally:
            b.transport.abort()
            await a.close()


async def expect_any(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT_SECONDS))
