"""Start a real Parley server (daphne via `manage.py serve`) on a free port."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Ask a server to stop, and make it if it will not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(
    extra_env: dict[str, str] | None = None,
    *,
    root: Path = ROOT,
    port: int | None = None,
    server: str = "daphne",
):
    """Yield the base URL of a fresh server with its own empty database.

    root: the project to serve (a copy whose files a test changes); port: a fixed port,
    to serve a second version at the same origin; server: daphne or uvicorn
    (`manage.py serve --server`).
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="parley-e2e-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        manage = [sys.executable, str(root / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        process = subprocess.Popen(
            [*manage, "serve", "--port", str(port), "--server", server, "--verbosity-daphne", "0"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
            log.close()
