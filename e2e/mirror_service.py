"""A rendezvous server with a blind mirror service beside it (docs/protocol.md §12), for
the mirror tests: the service runs as `manage.py mirror` would for an operator, with a
database and a data folder of its own that the tests can search afterwards.

    with mirrored_server() as (url, mirror):
        ...; mirror.restart(); mirror.entries() -> [(topic, author, seq, data)]
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from e2e.server import ROOT, running_server

READY_LINE = "serving as the mirror of"


class MirrorProcess:
    def __init__(self, server_url: str, folder: Path, env: dict[str, str] | None = None) -> None:
        self.server_url, self.folder = server_url, folder
        self.database = folder / "mirror.sqlite3"
        self.log_path = folder / "mirror.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "PARLEY_DATA_DIR": str(folder),
            "PARLEY_MIRROR_KEY_FILE": str(folder / "mirror.pub"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=self.env, check=True)
        self.command = [*manage, "mirror", "--server", server_url]

    def start(self, timeout: float = 30.0) -> None:
        """Start it and return once it serves as the server's mirror (its log says so)."""
        already = self.log().count(READY_LINE)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while self.log().count(READY_LINE) == already:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the mirror did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def entries(self) -> list[tuple[str, bytes, int, bytes]]:
        """(topic, author, seq, entry bytes) of everything the service stored."""
        with sqlite3.connect(self.database) as db:
            rows = db.execute(
                "SELECT r.topic, e.author, e.seq, e.data FROM mirror_heldentry e"
                " JOIN mirror_heldroom r ON r.id = e.room_id ORDER BY r.topic, e.author, e.seq"
            ).fetchall()
        return [(topic, bytes(author), seq, bytes(data)) for topic, author, seq, data in rows]

    def room_count(self) -> int:
        with sqlite3.connect(self.database) as db:
            return db.execute("SELECT count(*) FROM mirror_heldroom").fetchone()[0]

    def chunk_count(self) -> int:
        with sqlite3.connect(self.database) as db:
            return db.execute("SELECT count(*) FROM mirror_heldchunk").fetchone()[0]

    def chunks(self) -> list[bytes]:
        """The ciphertext of every file chunk the service stored."""
        with sqlite3.connect(self.database) as db:
            rows = db.execute("SELECT ciphertext FROM mirror_heldchunk").fetchall()
        return [bytes(ciphertext) for (ciphertext,) in rows]

    def raw_database(self) -> bytes:
        """The database's bytes on disk, its journal's too: what a disk would show."""
        paths = [self.database, *self.folder.glob(self.database.name + "-*")]
        return b"".join(path.read_bytes() for path in paths if path.exists())

    def stored_files(self) -> list[Path]:
        """Every file the service wrote: its database, its log and its keys."""
        return [path for path in self.folder.iterdir() if path.is_file()]


@contextmanager
def mirrored_server(
    mirror_env: dict[str, str] | None = None, server_env: dict[str, str] | None = None
):
    with tempfile.TemporaryDirectory(prefix="parley-mirror-") as folder:
        public_key = Path(folder) / "mirror.pub"
        env = {"PARLEY_MIRROR_KEY_FILE": str(public_key), **(server_env or {})}
        with running_server(env) as url:
            mirror = MirrorProcess(url, Path(folder), mirror_env)
            mirror.start()
            try:
                yield url, mirror
            finally:
                mirror.stop()
