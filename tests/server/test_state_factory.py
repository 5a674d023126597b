"""The factory of the shared state (state/factory.py): the backend the settings ask for,
built once per process, and replaceable by tests."""

from django.test import override_settings

from signal_server.state.factory import SharedStateManager, build_from_settings
from signal_server.state.memory import MemoryState

# Never connected to: building a Redis state opens no connection.
UNUSED_REDIS_URL = "redis://127.0.0.1:9/0"


def test_without_redis_url_the_state_is_in_memory():
    with override_settings(REDIS_URL=""):
        assert isinstance(build_from_settings(), MemoryState)


async def test_with_redis_url_the_state_is_in_redis_as_the_settings_say():
    from signal_server.state.redis.backend import RedisState

    conf = {
        "PREFIX": "x:",
        "TIMEOUT_SECONDS": 0.25,
        "HEARTBEAT_SECONDS": 3,
        "PROCESS_TTL_SECONDS": 7,
    }
    with override_settings(REDIS_URL=UNUSED_REDIS_URL, PARLEY_REDIS=conf):
        state = build_from_settings()
    assert isinstance(state, RedisState)
    link = state.link
    assert (link.url, link.prefix, link.timeout_seconds) == (UNUSED_REDIS_URL, "x:", 0.25)
    assert (link.heartbeat_seconds, link.process_ttl_seconds) == (3, 7)
    await state.close()


def test_the_manager_builds_once_and_set_swaps_the_state():
    manager = SharedStateManager()
    with override_settings(REDIS_URL=""):
        built = manager.get()
        assert manager.get() is built
        mine = MemoryState()
        assert manager.set(mine) is built
        assert manager.get() is mine
        assert manager.set(None) is mine
        rebuilt = manager.get()
    assert rebuilt is not mine and rebuilt is not built
