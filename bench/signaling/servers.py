"""The servers under test: start one fresh, stop it after; its memory and CPU from /proc.

Parley through `manage.py serve`, each on a fresh migrated sqlite database: on daphne, on
uvicorn, and on uvicorn with 2 worker processes sharing a fresh redis-server (whose CPU
and memory count as the server's); the floor (bench/signaling/floor_app.py, a relay with
no checks at all on uvicorn: the most this stack can do); PeerJS's `PeerServer` in Node
(bench/peerjs_server.mjs). Each on a port of 127.0.0.1 held for it (e2e/server.py).
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from e2e.redis_server import RedisServer
from e2e.server import HeldPort, start_serving, stop

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("daphne", "uvicorn", "uvicorn-2", "floor", "peerjs")
PARLEY_SERVERS = ("daphne", "uvicorn", "uvicorn-2")
LABELS = {
    "daphne": "Parley daphne",
    "uvicorn": "Parley uvicorn",
    "uvicorn-2": "Parley uvicorn, 2 processes + Redis",
    "floor": "floor: bare ASGI relay, uvicorn",
    "peerjs": "PeerJS (node)",
}

# All the load comes from one address, so Parley's per-address caps are raised everywhere.
ADDRESS_CAPS = {
    "PARLEY_MAX_CONNECTIONS_PER_IP": "1000000",
    "PARLEY_MAX_TOPICS_PER_IP": "1000000",
}
RAISED_RATE = {"PARLEY_RATE_PER_SECOND": "1000000", "PARLEY_RATE_BURST": "1000000"}


@dataclass
class Server:
    name: str  # one of SERVERS
    port: int
    pid: int
    limits: str = ""  # for Parley: "shipped" or "raised" (rate limit)
    helpers: list[int] = field(default_factory=list)  # measured with it (redis-server)

    @property
    def kind(self) -> str:
        """The protocol its clients speak: PeerJS's, or Parley's (the floor speaks it too)."""
        return "peerjs" if self.name == "peerjs" else "parley"

    @property
    def pids(self) -> list[int]:
        return [self.pid, *self.helpers]

    @property
    def label(self) -> str:
        return LABELS[self.name] + (f", rate limit {self.limits}" if self.limits else "")


def process_tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pids: list[int]) -> int:
    total = 0
    for member in (tree_member for pid in pids for tree_member in process_tree(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for member in (tree_member for pid in pids for tree_member in process_tree(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def server_command(name: str, fd: int) -> list[str]:
    """How to start server `name` on the listening socket it inherits as `fd`."""
    serve = [sys.executable, "manage.py", "serve", "--fd", str(fd)]
    if name == "daphne":
        return [*serve, "--verbosity-daphne", "0"]
    if name == "uvicorn":
        return [*serve, "--server", "uvicorn"]
    if name == "uvicorn-2":
        return [*serve, "--server", "uvicorn", "--workers", "2"]
    if name == "floor":
        # uvicorn as `manage.py serve --server uvicorn` runs it, on the bare relay.
        return [
            sys.executable, "-m", "uvicorn", "bench.signaling.floor_app:app",
            "--fd", str(fd), "--loop", "uvloop", "--http", "httptools",
            "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
            "--log-level", "warning", "--no-access-log", "--lifespan", "off",
        ]  # fmt: skip
    if name == "peerjs":
        return ["node", "bench/peerjs_server.mjs", str(fd)]
    raise ValueError(f"unknown server {name!r}")


@contextmanager
def running(
    name: str, *, raised_rate: bool = False, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A fresh server (and, for Parley, a fresh migrated sqlite database), stopped after.

    `extra_env` is added to a Parley server's environment (settings such as
    PARLEY_FLOOD_STRIKES)."""
    with ExitStack() as stack:
        held = stack.enter_context(HeldPort())
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-bench-"))
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        helpers = []
        if name in PARLEY_SERVERS:
            env |= {"DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3", **ADDRESS_CAPS}
            if raised_rate:
                env |= RAISED_RATE
            env |= extra_env or {}
            if name == "uvicorn-2":
                redis = RedisServer()
                redis.start()
                stack.callback(redis.stop)
                env["REDIS_URL"] = redis.url
                helpers.append(redis.process.pid)
            migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
            subprocess.run(migrate, cwd=ROOT, env=env, check=True)
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            command = partial(server_command, name)
            process = start_serving(
                held, command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                limits = ("raised" if raised_rate else "shipped") if name in PARLEY_SERVERS else ""
                yield Server(name, held.port, process.pid, limits, helpers)
            finally:
                stop(process)
        text = log_path.read_text(errors="replace").strip()
        if text:
            print(f"  [{name} log] " + text[-2000:].replace("\n", "\n  "), file=sys.stderr)
