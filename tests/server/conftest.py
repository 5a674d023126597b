import os

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from nacl.signing import SigningKey

from e2e.redis_server import RedisServer
from signal_server.state.factory import shared_states
from signal_server.state.memory import MemoryState

from .push_requests import Api
from .wire import Client, b64


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


def redis_state(url: str):
    """A RedisState of its own on `url`, under a key prefix no other test uses."""
    from signal_server.state.redis.backend import RedisState
    from signal_server.state.redis.link import RedisLink

    prefix = f"t{os.urandom(4).hex()}:"
    return RedisState(RedisLink(url, prefix=prefix, heartbeat_seconds=0.5))


@pytest.fixture(autouse=True)
async def fresh_state(request, shared_state):
    """Each test gets its own shared state, put in place through the factory: in memory,
    or in a Redis (a real redis-server, under a key prefix of the test's own) as with
    REDIS_URL, events included."""
    if shared_state == "memory":
        state = MemoryState()
    else:
        state = redis_state(request.getfixturevalue("redis_for_tests").url)
    previous = shared_states.set(state)
    yield state
    shared_states.set(previous)
    await state.close()


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


@pytest.fixture
def mirror_key(settings, tmp_path) -> SigningKey:
    """A fresh mirror key, configured through PARLEY_MIRROR_KEY."""
    key = SigningKey.generate()
    settings.PARLEY_MIRROR_KEY = b64(bytes(key.verify_key))
    settings.PARLEY_MIRROR_KEY_FILE = tmp_path / "no-such-dir" / "mirror.pub"
    return key


@pytest.fixture
def no_mirror_key(settings, tmp_path) -> None:
    """A server without a mirror service: no key in the environment, no key file."""
    settings.PARLEY_MIRROR_KEY = ""
    settings.PARLEY_MIRROR_KEY_FILE = tmp_path / "mirror.pub"
