"""`manage.py serve --turn` as `make run` uses it: a development coturn beside the
server, its URLs and a per-run secret in the server's settings, stopped with the server;
and a clear line, not a failure, when coturn cannot run."""

import os
import subprocess
import sys
import time
from pathlib import Path

from e2e.server import HeldPort, start_serving, stop
from parley_peer.signaling import SignalingClient
from signal_server.coturn_process import answers_stun, free_ports

from .turn_client import allocate, close

ROOT = Path(__file__).resolve().parents[2]
# A bound on waiting for coturn to go once the server has, not a performance check.
GONE_WITHIN_S = 15


def serve_turn(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, str, Path]:
    """A server started like `make run` (daphne, --turn), on a port of its own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", **env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=environment, check=True)
    held = HeldPort()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = start_serving(
            held,
            lambda fd: [*manage, "serve", "--fd", str(fd), "--verbosity-daphne", "0", "--turn"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    held.close()
    return process, f"http://127.0.0.1:{held.port}", log_path


async def ice_servers(url: str) -> tuple[list, int | None]:
    client = SignalingClient(url)
    await client.connect()
    try:
        await client.join(os.urandom(32))
        return await client.request_ice_servers()
    finally:
        await client.close()


async def test_serve_turn_runs_a_development_relay_and_stops_it(tmp_path):
    port = next(free_ports())
    process, url, log = serve_turn(tmp_path, PARLEY_TURN_PORT=str(port))
    try:
        servers, expires = await ice_servers(url)
        stun, turn = servers
        assert stun == {"urls": [f"stun:127.0.0.1:{port}"]}
        assert turn["urls"] == [
            f"turn:127.0.0.1:{port}?transport=udp",
            f"turn:127.0.0.1:{port}?transport=tcp",
        ]
        assert isinstance(expires, int)
        # The credential the server minted opens an allocation on that coturn.
        protocol, sock = await allocate(port, turn["username"], turn["credential"])
        await close(protocol, sock)
        assert f"development coturn on 127.0.0.1:{port}" in log.read_text()
    finally:
        stop(process)
    assert coturn_gone(port)


def coturn_gone(port: int) -> bool:
    deadline = time.monotonic() + GONE_WITHIN_S
    while answers_stun("127.0.0.1", port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


async def test_without_coturn_the_server_says_so_and_serves_without_turn(tmp_path):
    process, url, log = serve_turn(tmp_path, PARLEY_TURN_BINARY="parley-no-such-turnserver")
    try:
        assert await ice_servers(url) == ([], None)
        assert "TURN: turnserver is not installed (make install-turn)" in log.read_text()
    finally:
        stop(process)


def test_the_operators_coturn_failing_stops_the_start(tmp_path):
    """With PARLEY_TURN_SECRET set, --turn means the operator's relay: if it cannot start,
    neither does the server (a bad address here), rather than serving without it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        PARLEY_TURN_URLS="turn:127.0.0.1:3478",
        PARLEY_TURN_SECRET="x" * 40,
        PARLEY_TURN_LISTEN_IP="not-an-address",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", "0", "--turn"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "TURN: coturn did not start" in done.stderr
