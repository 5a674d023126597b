"""The servers under test: start one fresh, stop it after; its memory and CPU from /proc.

Parley on daphne (`manage.py serve`) or on uvicorn, each on a fresh migrated sqlite
database, and PeerJS's `PeerServer` in Node (bench/peerjs_server.mjs), on a free port of
127.0.0.1.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.server import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("daphne", "uvicorn", "peerjs")

# All the load comes from one address, so Parley's per-address caps are raised everywhere.
ADDRESS_CAPS = {
    "PARLEY_MAX_CONNECTIONS_PER_IP": "1000000",
    "PARLEY_MAX_TOPICS_PER_IP": "1000000",
}
RAISED_RATE = {"PARLEY_RATE_PER_SECOND": "1000000", "PARLEY_RATE_BURST": "1000000"}


@dataclass
class Server:
    name: str  # daphne, uvicorn or peerjs
    port: int
    pid: int
    limits: str = ""  # for Parley: "shipped" or "raised" (rate limit)

    @property
    def kind(self) -> str:
        return "peerjs" if self.name == "peerjs" else "parley"

    @property
    def label(self) -> str:
        if self.kind == "peerjs":
            return "PeerJS (node)"
        return f"Parley {self.name}" + (f", rate limit {self.limits}" if self.limits else "")


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


def rss_kib(pid: int) -> int:
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def server_command(name: str, port: int) -> list[str]:
    if name == "daphne":
        serve = ["serve", "--port", str(port), "--verbosity-daphne", "0"]
        return [sys.executable, "manage.py", *serve]
    if name == "uvicorn":
        # The same WebSocket message limit as `manage.py serve` gives daphne.
        frame_limit = int(os.environ.get("PARLEY_MAX_FRAME_BYTES", 32768)) * 2
        command = [
            sys.executable, "-m", "uvicorn", "parley.asgi:application",
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log",
            "--ws-max-size", str(frame_limit), "--backlog", "4096",
        ]  # fmt: skip
        if has_module("uvloop"):
            command += ["--loop", "uvloop"]
        if has_module("httptools"):
            command += ["--http", "httptools"]
        return command
    if name == "peerjs":
        return ["node", "bench/peerjs_server.mjs", str(port)]
    raise ValueError(f"unknown server {name!r}")


@contextmanager
def running(name: str, *, raised_rate: bool = False) -> Iterator[Server]:
    """A fresh server (and, for Parley, a fresh migrated sqlite database), stopped after."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if name != "peerjs":
            env |= {"DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3", **ADDRESS_CAPS}
            if raised_rate:
                env |= RAISED_RATE
            migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
            subprocess.run(migrate, cwd=ROOT, env=env, check=True)
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                server_command(name, port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                wait_for_port(port, process)
                limits = "" if name == "peerjs" else ("raised" if raised_rate else "shipped")
                yield Server(name, port, process.pid, limits)
            finally:
                stop(process)
        text = log_path.read_text(errors="replace").strip()
        if text:
            print(f"  [{name} log] " + text[-2000:].replace("\n", "\n  "), file=sys.stderr)
