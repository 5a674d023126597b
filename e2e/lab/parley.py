"""Parley inside the lab: the server on the public network, Python peers in homes.

    origin = start_parley(lab, relay, port=8000, turn=True)   # http://203.0.113.1:8000
    peer = inside_home(home, RoomPeerThread, origin, link, "Monty")

The server is `manage.py serve --host 203.0.113.1` run in the public namespace, with its
own empty database and the ICE settings of issue 16 from the lab's coturn:
`PARLEY_STUN_URLS` always, `PARLEY_TURN_URLS` and `PARLEY_TURN_SECRET` with `turn=True`
(so a second server without TURN shows what users see when there is no relay).

A Python peer behind a home's NAT runs in the test process: `inside_home` builds it on a
thread that first enters the home's network namespace (setns), and every thread it
starts (its event loop, aiortc's) inherits that namespace, so all its sockets live
behind the router while tests drive it as usual.
"""

import ctypes
import os
import sys
import threading
from pathlib import Path

from e2e.lab.netns import LabError, inside, run
from e2e.lab.topology import SERVER_ADDRESS, Home, Lab
from e2e.lab.turn import Relay

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("probe.py")
CLONE_NEWNET = 0x40000000


def parley_environment(relay: Relay, *, turn: bool) -> dict[str, str]:
    """The ICE settings (issue 16 contract) pointing at the lab's coturn."""
    env = {"PARLEY_STUN_URLS": ",".join(relay.stun_urls)}
    if turn:
        env["PARLEY_TURN_URLS"] = ",".join(relay.turn_urls)
        env["PARLEY_TURN_SECRET"] = relay.secret
    return env


def start_parley(
    lab: Lab, relay: Relay, *, port: int, turn: bool, settings: dict[str, str] | None = None
) -> str:
    """Migrate a fresh database, serve Parley on SERVER_ADDRESS:port in the public
    namespace until the lab closes, and wait until it answers; its origin. `settings`:
    more of the server's environment (PARLEY_TURN_TTL_SECONDS, say)."""
    data = lab.directory / f"parley-{port}"
    data.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{data}/db.sqlite3",
        "PARLEY_DATA_DIR": str(data),
        "PARLEY_ALLOWED_HOSTS": SERVER_ADDRESS,
        "PYTHONUNBUFFERED": "1",
        **parley_environment(relay, turn=turn),
        **(settings or {}),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    run(*manage, "migrate", "--noinput", "-v", "0", env=env)
    name = f"parley-{port}"
    argv = [*manage, "serve", "--host", SERVER_ADDRESS, "--port", str(port),
            "--verbosity-daphne", "0"]  # fmt: skip
    process = lab.start(lab.public, argv, name, env=env, cwd=ROOT)
    try:
        run(*inside(lab.public, sys.executable, str(PROBE), "http", SERVER_ADDRESS, str(port)))
    except LabError as error:
        raise LabError(f"{error}\nParley ({process.poll()}):\n{lab.log(name)}") from None
    return f"http://{SERVER_ADDRESS}:{port}"


def inside_home(home: Home, make, *args, **kwargs):
    """`make(*args, **kwargs)` called on a thread inside the home's user namespace."""
    return call_in_namespace(home.user, make, *args, **kwargs)


def call_in_namespace(namespace: str, make, *args, **kwargs):
    outcome: dict = {}

    def enter_and_make() -> None:
        try:
            _enter(namespace)
            outcome["value"] = make(*args, **kwargs)
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    thread = threading.Thread(target=enter_and_make, name=f"in-{namespace}")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


_libc = ctypes.CDLL(None, use_errno=True)


def _enter(namespace: str) -> None:
    """Move the calling thread (only it) into `namespace`'s network."""
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"setns into {namespace}: {os.strerror(code)}")
    finally:
        os.close(fd)
