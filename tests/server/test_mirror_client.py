"""The Python rendezvous client's mirror calls (parley_peer/signaling.py), which the
mirror service uses: `serve_mirror`, `request_mirror`, `mirror_reply`, against a real
server (daphne via `manage.py serve`, the state in memory) and, for the answers a real
server never gives, a fake one."""

import asyncio
import base64
import json
import os

import pytest
from nacl.signing import SigningKey
from websockets.asyncio.server import serve as websocket_server

from e2e.server import running_server
from parley_peer.signaling import SignalingClient, SignalingError

MIRROR = SigningKey.generate()
WAIT_SECONDS = 10


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def server_url():
    env = {"PARLEY_MIRROR_KEY": b64(bytes(MIRROR.verify_key))}
    with running_server(env) as url:
        yield url


class Frames:
    """Every frame a client's listeners get, to wait on."""

    def __init__(self, client: SignalingClient) -> None:
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        client.add_listener(self.queue.put_nowait)

    async def next(self) -> dict:
        return await asyncio.wait_for(self.queue.get(), WAIT_SECONDS)


@pytest.fixture
async def connected(server_url):
    """`await connected()`: a SignalingClient said hello to the server; closed at the end."""
    clients = []

    async def make() -> SignalingClient:
        client = SignalingClient(server_url)
        await client.connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_a_request_and_its_reply_travel_between_two_clients(connected):
    mirror, member = await connected(), await connected()
    await mirror.serve_mirror(MIRROR)
    mirror_frames, member_frames = Frames(mirror), Frames(member)
    request = b64(os.urandom(1072))
    assert await member.request_mirror(request)
    assert await mirror_frames.next() == {
        "type": "mirror-request",
        "from": member.connection_id,
        "key": b64(member.public_key),
        "blob": request,
    }
    reply = b64(os.urandom(1072))
    assert await mirror.mirror_reply(member.connection_id, reply)
    assert await member_frames.next() == {"type": "mirror-reply", "blob": reply}


async def test_serving_with_another_key_raises_bad_mirror(connected):
    client = await connected()
    with pytest.raises(SignalingError) as refused:
        await client.serve_mirror(SigningKey.generate())
    assert refused.value.code == "bad_mirror"


async def test_a_request_without_a_mirror_is_answered_no_mirror(connected):
    member = await connected()
    frames = Frames(member)
    assert await member.request_mirror(b64(os.urandom(1072)))
    error = await frames.next()
    assert (error["type"], error["code"], error["ref"]) == ("error", "no_mirror", "mirror")


async def test_a_reconnect_must_serve_again(connected):
    mirror, member = await connected(), await connected()
    await mirror.serve_mirror(MIRROR)
    await mirror.close()
    await mirror.connect()  # a new connection, unknown to the server as a mirror
    assert not mirror.closed.is_set() and mirror.close_code is None
    frames = Frames(member)
    await member.request_mirror(b64(os.urandom(1072)))
    assert (await frames.next())["code"] == "no_mirror"
    await mirror.serve_mirror(MIRROR)
    mirror_frames = Frames(mirror)
    await member.request_mirror(b64(os.urandom(1072)))
    assert (await mirror_frames.next())["from"] == member.connection_id


async def test_serving_can_pace_under_the_mirror_limits(connected):
    client = await connected()
    assert client._pacer is not None and client._pacer.capacity == pytest.approx(90)
    await client.serve_mirror(MIRROR, rate_per_second=400, burst=2000)
    assert client._pacer.capacity == pytest.approx(1800)
    assert client._pacer.rate == pytest.approx(360)


async def fake_server(answer_serve) -> tuple[str, asyncio.AbstractServer]:
    """A rendezvous server that welcomes, then answers `mirror-serve` with `answer_serve`
    (a frame, None for silence, or "close")."""

    async def handle(socket) -> None:
        await socket.recv()
        welcome = {"type": "welcome", "v": 1, "id": b64(os.urandom(16)), "limits": {}}
        await socket.send(json.dumps(welcome))
        async for text in socket:
            if json.loads(text).get("type") != "mirror-serve":
                continue
            if answer_serve == "close":
                await socket.close()
            elif answer_serve is not None:
                await socket.send(json.dumps(answer_serve))

    server = await websocket_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "timeout"),
        ("close", "closed"),
        ({"type": "error", "code": "unknown_type", "message": "?"}, "unknown_type"),
        (
            {"type": "error", "code": "bad_mirror", "message": "?", "ref": "mirror-serve"},
            "bad_mirror",
        ),
    ],
)
async def test_serve_mirror_raises_when_no_mirror_serving_comes(answer, code):
    url, server = await fake_server(answer)
    client = SignalingClient(url)
    try:
        await client.connect()
        with pytest.raises(SignalingError) as refused:
            await client.serve_mirror(MIRROR, timeout=0.3)
        assert refused.value.code == code
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


async def test_other_errors_do_not_answer_mirror_serve():
    # An error about another frame (a late `no_mirror`, say) is not the answer.
    url, server = await fake_server({"type": "error", "code": "no_mirror", "ref": "mirror"})
    client = SignalingClient(url)
    try:
        await client.connect()
        with pytest.raises(SignalingError) as refused:
            await client.serve_mirror(MIRROR, timeout=0.3)
        assert refused.value.code == "timeout"
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
