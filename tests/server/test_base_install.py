"""The base install runs without the optional `redis` extra (README, pyproject.toml).

Each test runs Python in a subprocess where `redis`, `msgpack` and `hiredis` cannot be
imported (a sitecustomize.py on PYTHONPATH puts a blocker first on sys.meta_path), as
on a machine where only `pip install parley` ran. There the app imports, `manage.py
check` passes and a frame is relayed through the in-memory state; with REDIS_URL set,
the check and the factory both say which package is missing.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("redis", "msgpack", "hiredis")

SITECUSTOMIZE = f"""
import sys

BLOCKED = {BLOCKED!r}


class BlockRedisExtra:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, BlockRedisExtra())
"""

# Imports every module of signal_server: all but the Redis backend must import.
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import django
django.setup()
import signal_server

failed = []
for info in pkgutil.walk_packages(signal_server.__path__, "signal_server."):
    try:
        importlib.import_module(info.name)
    except ImportError as error:
        failed.append((info.name, error.name))
assert all(name.startswith("signal_server.state.redis.") for name, _ in failed), failed
assert {missing for _, missing in failed} <= {"redis", "msgpack"}, failed
assert failed, "the blocker did not block the Redis backend"
print("imported; only the Redis backend failed:", len(failed))
"""

RELAY_A_FRAME = """
import asyncio, sys
import django
django.setup()
from tests.server.wire import Client, new_topic, sealed_blob


async def relay() -> None:
    a, b = Client(), Client()
    for c in (a, b):
        assert (await c.open())[0]
        await c.hello()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    assert (await a.expect("joined"))["peer"]["id"] == b.id
    blob = sealed_blob()
    await a.signal(topic, b.id, blob)
    relayed = {"type": "signal", "topic": topic, "from": a.id, "key": a.key, "blob": blob}
    assert await b.receive() == relayed
    for c in (a, b):
        await c.disconnect()


asyncio.run(relay())
from signal_server.state.factory import shared_state
assert type(shared_state()).__name__ == "MemoryState"
assert not {"redis", "msgpack"} & set(sys.modules), "the extra was imported"
print("relayed")
"""

BUILD_WITH_REDIS_URL = """
import django
django.setup()
from signal_server.state.errors import RedisExtraMissing
from signal_server.state.factory import build_from_settings

try:
    build_from_settings()
except RedisExtraMissing as error:
    print(error)
else:
    raise AssertionError("a state was built without the redis extra")
"""


@pytest.fixture
def without_redis_extra(tmp_path):
    """run(args, **env) -> CompletedProcess, in a Python that cannot import the extra."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)

    def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "PYTHONPATH", "DJANGO_SETTINGS_MODULE")
        }
        environment |= {
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "parley.settings",
            "PARLEY_DATA_DIR": str(tmp_path / "data"),
            **env,
        }
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def script(text: str) -> list[str]:
    return ["-c", textwrap.dedent(text)]


def test_the_blocker_blocks_the_extra(without_redis_extra):
    done = without_redis_extra(script("import redis"))
    assert done.returncode != 0
    assert "No module named 'redis'" in done.stderr


def test_every_module_but_the_redis_backend_imports(without_redis_extra):
    done = without_redis_extra(script(IMPORT_EVERYTHING))
    assert done.returncode == 0, done.stderr
    assert "only the Redis backend failed" in done.stdout


def test_manage_py_check_passes(without_redis_extra):
    done = without_redis_extra(["manage.py", "check"])
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_a_frame_is_relayed_through_the_memory_state(without_redis_extra):
    done = without_redis_extra(script(RELAY_A_FRAME))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("relayed")


def test_redis_url_without_the_extra_stops_manage_py_check(without_redis_extra):
    done = without_redis_extra(["manage.py", "check"], REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode != 0
    assert "signal_server.E002" in done.stderr
    assert "pip install 'parley[redis]'" in done.stderr


def test_redis_url_without_the_extra_is_a_clear_error_of_the_factory(without_redis_extra):
    done = without_redis_extra(script(BUILD_WITH_REDIS_URL), REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode == 0, done.stderr
    assert "REDIS_URL is set" in done.stdout
    assert "pip install 'parley[redis]'" in done.stdout
