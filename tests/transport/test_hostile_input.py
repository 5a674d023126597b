"""Hostile input on each server that `manage.py serve` offers, as `make run` starts it.

Several connections send each kind of bad frame of bench/hostile/kinds.py (malformed,
oversized, binary, deeply nested, duplicate keys, wrong types, unknown types, a flood
past the rate limit, a frame cut off by an aborted connection) while an honest pair
stays connected. Then: the pair still relays, the server logged no traceback, and at most
one line per closed connection. What it costs in memory is measured by bench/hostile,
not here.
"""

import asyncio
import json
import os

import pytest

from bench.hostile.kinds import KINDS, b64
from bench.hostile.load import (
    HostileTally,
    expect,
    hello,
    join_one_topic,
    one_hostile_connection,
    open_socket,
)
from bench.hostile.server import running

CONNECTIONS_PER_KIND = 3


async def relay(a, b, to: str, topic: str) -> None:
    blob = b64(os.urandom(1072))
    await a.send(json.dumps({"type": "signal", "topic": topic, "to": to, "blob": blob}))
    assert (await expect(b, "signal"))["blob"] == blob


@pytest.mark.parametrize("name", ("daphne", "uvicorn"))
async def test_bad_frames_from_many_connections_leave_no_traceback_and_little_log(name):
    with running(name) as server:
        # What the server logged while starting (and answering the readiness probe).
        started_lines = server.log_size()[1]
        a, b = await open_socket(server.port), await open_socket(server.port)
        await hello(a)
        b_id = await hello(b)
        topic = await join_one_topic(a, b)
        await relay(a, b, b_id, topic)

        tally = HostileTally()
        for kind in KINDS:
            await asyncio.gather(
                *(
                    one_hostile_connection(server.port, kind, index, tally)
                    for index in range(CONNECTIONS_PER_KIND)
                )
            )
        assert tally.connections == len(KINDS) * CONNECTIONS_PER_KIND

        await relay(a, b, b_id, topic)
        await a.close()
        await b.close()
    # The server has stopped: everything it had to say is in the log.
    log = server.log_text()
    for sign in ("Traceback", "Exception inside application", "Exception in ASGI application"):
        assert sign not in log, log[-3000:]
    closed_connections = tally.connections + 2
    assert log.count("\n") - started_lines <= closed_connections, log[-3000:]
