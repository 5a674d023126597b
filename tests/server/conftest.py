import os

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings

from e2e.redis_server import RedisServer
from signal_server import addresses, topics

from .push_requests import Api
from .wire import Client


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "also_on_redis: run the test twice, with the state in memory and in a real Redis",
    )


def pytest_generate_tests(metafunc):
    # Overrides the `shared_state` fixture below for the tests so marked.
    if metafunc.definition.get_closest_marker("also_on_redis"):
        metafunc.parametrize("shared_state", ["memory", "redis"])


@pytest.fixture
def shared_state() -> str:
    """Where the topics, address caps, wake budgets and channel layer live."""
    return "memory"


@pytest.fixture(scope="session")
def redis_for_tests():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
async def fresh_state(monkeypatch, request, shared_state):
    """Each test gets its own registries: in memory, or in a Redis (a real redis-server,
    under a key prefix of the test's own) as with REDIS_URL, events included."""
    if shared_state == "memory":
        monkeypatch.setattr(topics, "registry", topics.TopicRegistry())
        monkeypatch.setattr(addresses, "registry", addresses.AddressRegistry())
        yield
        return
    from signal_server import limits, redis_addresses, redis_link, redis_relay, redis_topics

    redis = request.getfixturevalue("redis_for_tests")
    prefix = f"t{os.urandom(4).hex()}:"
    link = redis_link.RedisLink(redis.url, prefix=prefix, heartbeat_seconds=0.5)
    relay = redis_relay.RedisRelay(link)
    monkeypatch.setattr(redis_link, "_link", link)
    monkeypatch.setattr(redis_relay, "_relay", relay)
    monkeypatch.setattr(limits, "_mailbox_wakes", {})
    monkeypatch.setattr(topics, "registry", redis_topics.RedisTopicRegistry(link))
    monkeypatch.setattr(addresses, "registry", redis_addresses.RedisAddressRegistry(link))
    with override_settings(REDIS_URL=redis.url):
        yield
    await relay.stop()
    await link.stop()


@pytest.fixture
def limits():
    """Call `limits(SAMPLE_SIZE=5, ...)` to run the rest of the test with these limits."""
    overrides = []

    def apply(**changes):
        override = override_settings(PARLEY_SIGNAL={**settings.PARLEY_SIGNAL, **changes})
        override.enable()
        overrides.append(override)

    yield apply
    for override in reversed(overrides):
        override.disable()


@pytest.fixture
async def client():
    """`await client()` opens a connection and says hello; `client(hello=False)` doesn't.

    Every connection is closed at the end of the test, which also surfaces an exception
    raised inside its consumer.
    """
    opened = []

    async def open_client(hello: bool = True) -> Client:
        c = Client()
        opened.append(c)
        connected, _ = await c.open()
        assert connected
        if hello:
            await c.hello()
        return c

    yield open_client
    for c in opened:
        await c.disconnect()


@pytest.fixture
def http():
    """A Django test client for the HTTP views."""
    # Not `client`: that fixture (above) opens WebSocket connections.
    return HttpClient()


@pytest.fixture
def api(http):
    """The push API (/push/subscription) from a client address of its own."""
    return Api(http)
