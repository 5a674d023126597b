"""The failures of the server's shared state, apart from every module that raises them,
so that the checks, the consumer and both backends can share them without importing
each other.
"""

from django.core.exceptions import ImproperlyConfigured


class Unavailable(Exception):
    """Shared state the step needs (Redis, docs/deployment.md) cannot be reached now.

    The consumer answers the frame with `unavailable` and closes the connection with
    4503, so that the client reconnects with backoff.
    """


class RedisExtraMissing(ImproperlyConfigured):
    """REDIS_URL is set, but the optional `redis` extra (redis, msgpack) is not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"REDIS_URL is set, but the Python package {missing!r} of the optional "
            "'redis' extra is not installed: pip install 'parley[redis]', "
            "or unset REDIS_URL to keep the state in this one process's memory."
        )
        self.missing = missing
