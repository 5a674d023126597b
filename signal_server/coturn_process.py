"""The coturn process: `Coturn` runs turnserver on a TurnConfig (coturn.py), and
`start_beside_server` is what `manage.py serve --turn` does.

`Coturn` writes the configuration into a private temporary folder (0700; the secret is
in it), starts turnserver without Parley's environment, waits until it answers STUN on
UDP and accepts TCP, and on Linux has it killed when its parent dies, so a server killed
outright leaves no relay behind. The folder goes when it stops.
"""

import contextlib
import ctypes
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

from signal_server.coturn import TurnConfig, TurnConfigError

# STUN Binding request: type 0x0001, length 0, the magic cookie, a transaction id.
MAGIC_COOKIE = b"\x21\x12\xa4\x42"


def turnserver_binary() -> str | None:
    return shutil.which(settings.PARLEY_COTURN["BINARY"])


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started coturn dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Coturn:
    """One turnserver process with its own private folder; `with Coturn(config):`."""

    def __init__(self, config: TurnConfig, binary: str | None = None, log=None):
        self.config = config
        found = binary or turnserver_binary()
        if found is None:
            raise FileNotFoundError("turnserver (Debian package coturn) is not installed")
        self.binary: str = found
        self.log = log if log is not None else subprocess.DEVNULL
        self.process: subprocess.Popen | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    def start(self, timeout: float = 10.0) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="parley-turn-")
        folder = Path(self._folder.name)  # mode 0700: the secret is in the file below
        conf = folder / "turnserver.conf"
        conf.write_text(self.config.config_text(folder), encoding="utf-8")
        conf.chmod(0o600)
        # The operator's binary (settings) and a file this process just wrote.
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=coturn_env(),
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (only prctl, before exec)
        )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> None:
        """Until coturn answers STUN on UDP and accepts TCP on its port."""
        host = self.config.listening_ips[0] if self.config.listening_ips else "127.0.0.1"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited with {self.process.returncode}")
            if answers_stun(host, self.config.port) and accepts_tcp(host, self.config.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"turnserver did not answer on {host}:{self.config.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> "Coturn":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def answers_stun(host: str, port: int, timeout: float = 0.2) -> bool:
    transaction = secrets.token_bytes(12)
    request = b"\x00\x01\x00\x00" + MAGIC_COOKIE + transaction
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            answer = sock.recv(2048)
        except OSError:
            return False
    return answer[:2] == b"\x01\x01" and answer[4:20] == MAGIC_COOKIE + transaction


def accepts_tcp(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_is_free(host: str, port: int) -> bool:
    """Whether both UDP and TCP `port` of `host` can be bound now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as udp, socket.socket(family) as tcp:
            udp.bind((host, port))
            tcp.bind((host, port))
    except OSError:
        return False
    return True


def free_ports(host: str = "127.0.0.1") -> Iterator[int]:
    """Ports the kernel offers that are free for UDP and TCP alike (for a coturn to bind:
    it cannot inherit sockets, so a caller tries the next one if it was taken since)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        with socket.socket(family) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
        if port_is_free(host, port):
            yield port


def loopback_urls(host: str, port: int) -> tuple[list[str], list[str]]:
    """The STUN and TURN URLs of a coturn on `host:port` without TLS."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [f"stun:{where}"], [f"turn:{where}?transport=udp", f"turn:{where}?transport=tcp"]


def coturn_env() -> dict[str, str]:
    """The environment coturn runs in: the server's, without its settings (the secret is
    in the configuration file, readable by this user only, not in coturn's environment)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_"))}


def loopback_address(host: str) -> str | None:
    """`host` as a loopback IP address coturn can listen on, or None if it is not one."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        return host if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


def start_beside_server(host: str, say: Callable[[str], object]) -> Coturn | None:
    """coturn for `manage.py serve --turn`, or None (and why, through `say`) without it.

    With PARLEY_TURN_SECRET set, the operator's configuration runs as it is, and a
    failure to start stops the server (CoturnFailed). Without it, on a loopback `host`
    (make run), a development relay: a random secret for this run only, coturn on
    `host` at PARLEY_TURN_PORT or, if that is taken, a free port, and the STUN and TURN
    URLs pointing there put in the settings (and the environment, for uvicorn's workers)
    before the server starts. Anything else serves without TURN, and says so.
    """
    if turnserver_binary() is None:
        say(
            "TURN: turnserver is not installed (make install-turn); serving without STUN "
            "or TURN, so only devices on one network can connect."
        )
        return None
    if settings.PARLEY_TURN_SECRET:
        coturn = Coturn(TurnConfig.from_settings())
        try:
            coturn.start()
        except (RuntimeError, OSError, TurnConfigError) as error:
            raise CoturnFailed(f"TURN: coturn did not start: {error}") from error
        say(f"TURN: coturn on port {coturn.config.port} (UDP and TCP), PARLEY_TURN_* settings")
        return coturn
    loopback = loopback_address(host)
    if loopback is None:
        say(
            "TURN: PARLEY_TURN_SECRET is not set and the server is not on loopback; set "
            "PARLEY_TURN_SECRET and PARLEY_TURN_URLS (docs/deployment.md, TURN). Serving "
            "without TURN."
        )
        return None
    wanted = int(settings.PARLEY_COTURN["PORT"])
    candidates = [wanted] if port_is_free(loopback, wanted) else []
    ports = free_ports(loopback)
    candidates += [next(ports) for _ in range(3)]
    secret = new_secret()
    last_error: Exception | None = None
    for port in candidates:
        config = TurnConfig.from_settings(
            secret=secret,
            listening_ips=(loopback,),
            relay_ip=loopback,
            port=port,
            allow_loopback_peers=True,
        )
        coturn = Coturn(config)
        try:
            coturn.start()
        except (RuntimeError, OSError) as error:
            last_error = error
            continue
        stun, turn = loopback_urls(loopback, port)
        for name, value in (
            ("PARLEY_STUN_URLS", stun),
            ("PARLEY_TURN_URLS", turn),
            ("PARLEY_TURN_SECRET", secret),
        ):
            setattr(settings, name, value)
            os.environ[name] = value if isinstance(value, str) else ",".join(value)
        moved = "" if port == wanted else f" ({wanted} is taken)"
        say(
            f"TURN: development coturn on {loopback}:{port}{moved}, UDP and TCP, secret new for "
            "this run."
        )
        return coturn
    say(f"TURN: coturn did not start ({last_error}); serving without STUN or TURN.")
    return None


class CoturnFailed(Exception):
    """The operator's coturn did not start."""
