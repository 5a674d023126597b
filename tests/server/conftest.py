import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import override_settings

from signal_server import addresses, topics

from .wire import Client


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    """Each test gets its own registries and in-memory channel layer."""
    monkeypatch.setattr(topics, "registry", topics.TopicRegistry())
    monkeypatch.setattr(addresses, "registry", addresses.AddressRegistry())
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


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
