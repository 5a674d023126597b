"""A client that goes while the server still answers it costs nothing that lasts.

The server's transport raises on a send once the connection is closing or gone (daphne's
autobahn a RuntimeError, uvicorn an OSError or a RuntimeError): the consumer drops the
send quietly, and however its loop ends, the connection no longer counts against its
address. Driven through the ASGI interface directly, as a server would.
"""

import asyncio
import json

import pytest

from signal_server.consumers import SignalConsumer
from signal_server.state.errors import Unavailable

from .wire import Client, new_key, new_topic

ADDRESS = "127.0.0.1"


def scope() -> dict:
    return {
        "type": "websocket",
        "path": "/ws/signal",
        "headers": [],
        "query_string": b"",
        "client": (ADDRESS, 40000),
        "subprotocols": [],
    }


async def run_consumer(messages: list[dict], send_error=None, end=None) -> list:
    """Run one consumer on `messages`; every send or close raises `send_error` (if given).
    After the messages, receive raises `end` if given, else says the client disconnected."""
    incoming = list(messages)
    sent = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        if end is not None:
            raise end
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: dict) -> None:
        sent.append(message)
        if send_error is not None and message["type"] in ("websocket.send", "websocket.close"):
            raise send_error

    await asyncio.wait_for(SignalConsumer.as_asgi()(scope(), receive, send), 5)
    return sent


def frame(payload: dict | str) -> dict:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return {"type": "websocket.receive", "text": text}


@pytest.mark.parametrize(
    "send_error",
    [RuntimeError("Attempt to send on a closed protocol"), ConnectionResetError()],
    ids=["closing", "gone"],
)
async def test_answers_to_a_client_that_went_are_dropped_quietly(send_error, limits):
    limits(MAX_ERRORS=2)
    hello = frame({"type": "hello", "v": 1, "key": new_key()})
    bad = [frame("not json")] * 4  # over MAX_ERRORS: answered, then closed
    sent = await run_consumer([{"type": "websocket.connect"}, hello, *bad], send_error)
    kinds = [message["type"] for message in sent]
    assert kinds[0] == "websocket.accept"
    assert "websocket.close" in kinds  # the close was tried too, and raised quietly


async def test_a_connection_whose_loop_fails_no_longer_counts_against_its_address(limits):
    limits(MAX_CONNECTIONS_PER_IP=1)
    hello = frame({"type": "hello", "v": 1, "key": new_key()})
    with pytest.raises(OSError):
        await run_consumer([{"type": "websocket.connect"}, hello], end=OSError("reset"))
    # The one connection the address may have is free again.
    c = Client(address=ADDRESS)
    connected, _ = await c.open()
    assert connected
    await c.hello()
    await c.disconnect()


async def test_a_join_the_shared_state_could_not_make_does_not_stay_counted(
    limits, fresh_state, monkeypatch
):
    limits(MAX_TOPICS_PER_IP=1)
    real_join = fresh_state.topics.join

    async def join_once_unavailable(*args, **kwargs):
        monkeypatch.setattr(fresh_state.topics, "join", real_join)
        raise Unavailable("the topic registry answered with an error")

    monkeypatch.setattr(fresh_state.topics, "join", join_once_unavailable)
    first = Client(address=ADDRESS)
    await first.open()
    await first.hello()
    await first.send({"type": "join", "topic": new_topic()})
    await first.expect_error("unavailable", ref="join")
    await first.expect_close(4503)
    # The address's one topic membership was given back: another connection may join.
    second = Client(address=ADDRESS)
    await second.open()
    await second.hello()
    await second.join(new_topic())
    await second.disconnect()
