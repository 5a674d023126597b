"""One Parley server as `make run` starts it (`manage.py serve`), with its log in a file.

On a free port of 127.0.0.1, a fresh migrated sqlite database, the per-address caps
raised (all the load comes from one address, as from behind a large NAT) and every other
limit as shipped. stdout and stderr go to one file, so that what the server logs can be
counted (`log_size`); `log_text` still reads it once the server has stopped.
"""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.server import HeldPort, start_serving, stop

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_CAPS = {
    "PARLEY_MAX_CONNECTIONS_PER_IP": "1000000",
    "PARLEY_MAX_TOPICS_PER_IP": "1000000",
}


@dataclass
class RunningServer:
    name: str
    port: int
    pid: int
    log_path: Path
    final_log: str | None = None  # the whole log, once the server has stopped

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.pid}")

    def log_text(self) -> str:
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> tuple[int, int]:
        """Bytes and lines the server has logged so far."""
        data = self.log_path.read_bytes()
        return len(data), data.count(b"\n")


@contextmanager
def running(name: str, extra_env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """`manage.py serve --server name`, at its default verbosity (as `make run`)."""
    with HeldPort() as held, tempfile.TemporaryDirectory(prefix="parley-hostile-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "PYTHONUNBUFFERED": "1",
            **ADDRESS_CAPS,
            **(extra_env or {}),
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            process = start_serving(
                held,
                lambda fd: [*manage, "serve", "--fd", str(fd), "--server", name],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            server = RunningServer(name, held.port, process.pid, log_path)
            try:
                yield server
            finally:
                stop(process)
                server.final_log = log_path.read_text(errors="replace")
