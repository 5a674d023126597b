import os

import pytest

from e2e.redis_server import RedisServer
from signal_server.state.redis.link import RedisLink

PROCESS_TTL = 1  # seconds: a dead "process" below expires within a test


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def new_link(redis_server):
    """`new_link()` starts one "process": its own link, id and heartbeat, on one Redis."""
    prefix = f"t{os.urandom(4).hex()}:"
    links = []

    def make() -> RedisLink:
        link = RedisLink(
            redis_server.url,
            prefix=prefix,
            heartbeat_seconds=0.1,
            process_ttl_seconds=PROCESS_TTL,
            timeout_seconds=0.5,
        )
        links.append(link)
        return link

    yield make
    for link in links:
        await link.stop()
