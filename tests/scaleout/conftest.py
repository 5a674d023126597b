import os

import pytest

from signal_server.redis_link import RedisLink

from .redis_server import redis_server  # noqa: F401

PROCESS_TTL = 1  # seconds: a dead "process" below expires within a test


@pytest.fixture
async def new_link(redis_server):  # noqa: F811
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
