"""Fixtures of the push tests: a VAPID key in a temporary data directory, a fake push
service the server may reach, and fresh process-wide push limits.

Import the ones a module uses by name (pytest finds fixtures in the test module).
"""

import os

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from e2e.push_service import FakePushService
from signal_server.push import vapid, views


@pytest.fixture
def vapid_key(settings, tmp_path):
    """A VAPID key file in a fresh PARLEY_DATA_DIR; the environment key is unset."""
    settings.PARLEY_DATA_DIR = tmp_path / "data"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    key = vapid.generate_key()
    vapid.write_key_file(key, replace=False)
    return key


@pytest.fixture
def push_service(settings):
    """A fake push service on 127.0.0.1 that the server is allowed to push to."""
    with FakePushService() as service:
        settings.PARLEY_PUSH_INSECURE_HOSTS = [service.host]
        yield service


@pytest.fixture(autouse=False)
def fresh_push_limits():
    """Per-address registration buckets of this test only (the per-mailbox wake buckets
    are in the shared state, which conftest.fresh_state makes anew for every test)."""
    views._registration_buckets.cache_clear()
    yield
    views._registration_buckets.cache_clear()


def client_address() -> str:
    """An address no other test uses, so rate limits of other tests do not apply."""
    return "10." + ".".join(str(b) for b in os.urandom(3))


@pytest.fixture
async def release_db_connections():
    """Close the database connection that asgiref's shared sync thread opened.

    The consumer and async views use the database on that one thread, which outlives
    the test. Left open, the next test's consumer would find it there when Channels
    closes stale connections on disconnect, and pytest-django refuses database access
    in tests without the django_db mark.
    """
    yield
    await sync_to_async(_forget_connections)()


def _forget_connections() -> None:
    for connection in connections.all(initialized_only=True):
        connection.close()
        del connections[connection.alias]
