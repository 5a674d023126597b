"""A real redis-server on a unix socket of its own, without persistence, for the tests
(tests/scaleout/) and the benchmarks (bench/signaling/).

A unix socket in a fresh folder is certain to be free, which a TCP port chosen before
redis-server binds it is not; the same path serves a restarted Redis.

They need the Debian package redis-server (`make install-redis`); without it they fail,
loudly, rather than skip.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisServer:
    def __init__(self):
        self._folder = tempfile.TemporaryDirectory(prefix="parley-redis-")
        self.path = Path(self._folder.name) / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.path}?db=0"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run `make install-redis` (Debian's)")
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.path), "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on {self.path} within {timeout} s")

    def answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(0.5)
                sock.connect(str(self.path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill it (SIGKILL: gone at once, as a crashed Redis would be)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
