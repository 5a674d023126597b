"""The one place that picks the backend of the server's shared state.

`shared_state()` is the process's `SharedState` (interfaces.py), built from the settings
on first use: in process memory (memory.py), or in Redis (redis/backend.py) when
settings.REDIS_URL is set. The Redis backend is imported only then, so the base install
runs without the optional `redis` extra; with REDIS_URL but without the extra, building
fails with errors.RedisExtraMissing, which says what to install.

Tests put a state of their own in place with `shared_states.set(state)` (it returns the
one it replaced), as Channels' ChannelLayerManager does for channel layers; they never
patch module globals.
"""

from django.conf import settings

from signal_server.state.errors import RedisExtraMissing
from signal_server.state.interfaces import SharedState
from signal_server.state.memory import MemoryState

# The packages of the `redis` extra (pyproject.toml).
REDIS_EXTRA = ("redis", "msgpack")


def build_from_settings() -> SharedState:
    """A new SharedState as the settings ask for."""
    if not settings.REDIS_URL:
        return MemoryState()
    try:
        from signal_server.state.redis.backend import RedisState
    except ImportError as error:
        missing = (error.name or "").partition(".")[0]
        if missing in REDIS_EXTRA:
            raise RedisExtraMissing(missing) from error
        raise
    return RedisState.from_settings(settings.REDIS_URL, settings.PARLEY_REDIS)


class SharedStateManager:
    """Holds the process's SharedState; builds it from the settings on first use."""

    def __init__(self) -> None:
        self._state: SharedState | None = None

    def get(self) -> SharedState:
        if self._state is None:
            self._state = build_from_settings()
        return self._state

    def set(self, state: SharedState | None) -> SharedState | None:
        """Put `state` in place (None: build from the settings on next use); the old one."""
        old, self._state = self._state, state
        return old


shared_states = SharedStateManager()


def shared_state() -> SharedState:
    """The shared state of this process."""
    return shared_states.get()


def redis_extra_missing() -> str | None:
    """The first package of the `redis` extra that cannot be imported, or None.

    For the system check that stops a start with REDIS_URL but without the extra
    (system_checks.py), before any connection needs the state.
    """
    from importlib.util import find_spec

    for name in REDIS_EXTRA:
        try:
            if find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None
