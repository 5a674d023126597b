"""Start a real Parley server (daphne via `manage.py serve`) on a port held for it.

The test process binds the port itself and hands the listening socket to the server
(`manage.py serve --fd`), so no other program can take the port between the moment it is
chosen and the moment the server listens, nor between two servers at the same origin.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class HeldPort:
    """A port of 127.0.0.1 this process keeps from first to last.

    A bound socket that never listens holds it: the kernel gives it to no other bind and
    to no outgoing connection, and while no server is up a connection to it is refused,
    as to a server that is down. Each server gets a fresh listening socket on the same
    port (SO_REUSEPORT lets both be bound), which this process closes once the server
    has inherited it.
    """

    def __init__(self):
        self._holder = socket.socket()
        self._holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._holder.bind(("127.0.0.1", 0))
        self.port: int = self._holder.getsockname()[1]

    def listening_socket(self) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(4096)
        return sock

    def close(self) -> None:
        self._holder.close()

    def __enter__(self) -> "HeldPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Return once the server on `port` answers an HTTP request (any status).

    A connection alone proves nothing here: the socket listens before the server runs,
    and the kernel accepts connections into its backlog until the server takes them.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
                sock.sendall(b"HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer on {port} within {timeout} s")


def start_serving(held: HeldPort, command: Callable[[int], list[str]], **popen) -> subprocess.Popen:
    """Start `command(fd)`, a server given a listening socket on `held` as fd, and wait
    until it answers; it is stopped again if it does not."""
    with held.listening_socket() as listening:
        fd = listening.fileno()
        process = subprocess.Popen(command(fd), pass_fds=(fd,), **popen)
    try:
        wait_until_serving(held.port, process)
    except BaseException:
        stop(process)
        raise
    return process


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
    port: HeldPort | None = None,
    server: str = "daphne",
):
    """Yield the base URL of a fresh server with its own empty database.

    root: the project to serve (a copy whose files a test changes); port: a port the
    caller holds, to serve a second server at the same origin; server: daphne or uvicorn
    (`manage.py serve --server`).
    """
    with ExitStack() as stack:
        held = port or stack.enter_context(HeldPort())
        yield from _serve(extra_env, root, held, server)


def _serve(extra_env: dict[str, str] | None, root: Path, held: HeldPort, server: str):
    with tempfile.TemporaryDirectory(prefix="parley-e2e-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            # Its own data folder: whatever `make run` left in the project's (a VAPID
            # key) must not change what the tests see.
            "PARLEY_DATA_DIR": tmp,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        manage = [sys.executable, str(root / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)

        def command(fd: int) -> list[str]:
            return [
                *manage,
                "serve",
                "--fd",
                str(fd),
                "--server",
                server,
                "--verbosity-daphne",
                "0",
            ]

        with open(Path(tmp) / "server.log", "wb") as log:
            process = start_serving(held, command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                yield f"http://127.0.0.1:{held.port}"
            finally:
                stop(process)
