"""coturn beside Parley: a hardened turnserver.conf from the settings, and the process.

`manage.py turn` (coturn in the foreground) and `manage.py serve --turn` (coturn beside
the server, stopped with it) both go through `TurnConfig` and `Coturn`, and so do the
tests (tests/turn/), so what is tested is what runs. A deployment that runs coturn on
its own (systemd, another host) can start from `manage.py turn --print-config`.

The configuration is the TURN REST scheme (`use-auth-secret`: coturn checks the
credentials turn_credentials.py mints, and keeps no users), plus what keeps a public
relay from being turned against its operator (docs/deployment.md "TURN"):
- `denied-peer-ip` for every range that is not the public internet (loopback, private,
  link-local, CGNAT, unique-local, benchmarking, IETF protocol assignments, multicast,
  reserved), so a relay cannot reach the operator's own network or the host itself;
  `no-multicast-peers` on top;
- quotas per credential and in total, an optional bandwidth cap per allocation;
- `stale-nonce` (a nonce lives 600 s), `fingerprint`, no CLI, no web admin, no version
  in responses, no RFC 5780 (it needs two addresses, and answers from other ports help
  amplification), TLS 1.2 or newer only;
- its log on stdout, its pid file and (unused) user database in a private temporary
  folder, never in /var.
The only exception is `allow_loopback_peers`, for a development server on 127.0.0.1
(`make run`), refused for any other listening or relay address.
"""

import contextlib
import ctypes
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings

from signal_server.ice_servers import SECRET_CHARACTERS

# Ranges a relay must never reach: IANA special-purpose registries (RFC 6890 and later).
# No `::` (unspecified): coturn reads a range starting at `::` as "any address" and
# would deny every peer; it refuses an all-zero peer address by itself anyway.
# 198.51.100.0/24 and 203.0.113.0/24 (documentation) are left out on purpose: no real
# host has them, and the NAT lab of the tests (e2e/lab/) uses them as "the internet".
DENIED_PEER_NETWORKS = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local (cloud metadata services live here)
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and broadcast
    "::1/128",  # loopback
    "::ffff:0:0/96",  # IPv4-mapped: the IPv4 ranges above by another name
    "fc00::/7",  # unique-local
    "fe80::/10",  # link-local
    "ff00::/8",  # multicast
)
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
REALM = re.compile(r"[A-Za-z0-9.-]{1,64}")
# STUN Binding request: type 0x0001, length 0, the magic cookie, a transaction id.
MAGIC_COOKIE = b"\x21\x12\xa4\x42"


class TurnConfigError(ValueError):
    """A setting that would make an unsafe or broken coturn configuration."""


def coturn_range(network: str) -> str:
    """`10.0.0.0/8` as coturn writes a range: `10.0.0.0-10.255.255.255`."""
    net = ipaddress.ip_network(network)
    if net.num_addresses == 1:
        return str(net.network_address)
    return f"{net.network_address}-{net.broadcast_address}"


def _ip(value: str, name: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise TurnConfigError(f"{name} is not an IP address: {value!r}") from None


@dataclass(frozen=True)
class TurnConfig:
    secret: str
    realm: str = "parley"
    listening_ips: tuple[str, ...] = ()
    relay_ip: str = ""
    external_ip: str = ""
    port: int = 3478
    tls_port: int = 443
    cert_file: str = ""
    key_file: str = ""
    min_port: int = 49152
    max_port: int = 65535
    user_quota: int = 12
    total_quota: int = 1200
    max_bps: int = 0
    # Only for a server on loopback: see check() and the comment in config_text().
    allow_loopback_peers: bool = False
    extra_denied: tuple[str, ...] = field(default=())

    @classmethod
    def from_settings(cls, **changes) -> "TurnConfig":
        conf = settings.PARLEY_COTURN
        listening = (conf["LISTEN_IP"],) if conf["LISTEN_IP"] else ()
        made = cls(
            secret=settings.PARLEY_TURN_SECRET,
            realm=conf["REALM"],
            listening_ips=listening,
            relay_ip=conf["RELAY_IP"],
            external_ip=conf["EXTERNAL_IP"],
            port=int(conf["PORT"]),
            tls_port=int(conf["TLS_PORT"]),
            cert_file=conf["CERT_FILE"],
            key_file=conf["KEY_FILE"],
            min_port=int(conf["MIN_PORT"]),
            max_port=int(conf["MAX_PORT"]),
            user_quota=int(conf["USER_QUOTA"]),
            total_quota=int(conf["TOTAL_QUOTA"]),
            max_bps=int(conf["MAX_BPS"]),
        )
        return replace(made, **changes)

    @property
    def tls(self) -> bool:
        return bool(self.cert_file and self.key_file)

    def check(self) -> None:
        """Raise TurnConfigError for anything that must not reach turnserver.conf."""
        if not self.secret:
            raise TurnConfigError("PARLEY_TURN_SECRET is not set")
        if not SECRET_CHARACTERS.fullmatch(self.secret):
            raise TurnConfigError("PARLEY_TURN_SECRET has characters other than A-Za-z0-9._~+/=-")
        if not REALM.fullmatch(self.realm):
            raise TurnConfigError(f"the realm is not a host name: {self.realm!r}")
        for ip in self.listening_ips:
            _ip(ip, "PARLEY_TURN_LISTEN_IP")
        if self.relay_ip:
            _ip(self.relay_ip, "PARLEY_TURN_RELAY_IP")
        if self.external_ip:
            _ip(self.external_ip, "PARLEY_TURN_EXTERNAL_IP")
        for name, port in (("port", self.port), ("TLS port", self.tls_port)):
            if not 1 <= port <= 65535:
                raise TurnConfigError(f"the {name} {port} is not in 1-65535")
        if not 1024 <= self.min_port <= self.max_port <= 65535:
            raise TurnConfigError("the relay ports need 1024 <= MIN_PORT <= MAX_PORT <= 65535")
        if bool(self.cert_file) != bool(self.key_file):
            raise TurnConfigError("TLS needs both PARLEY_TURN_CERT_FILE and PARLEY_TURN_KEY_FILE")
        for path in (self.cert_file, self.key_file):
            if path and ("\n" in path or not Path(path).is_file()):
                raise TurnConfigError(f"no such file: {path!r}")
        if self.allow_loopback_peers and not self.loopback_only():
            raise TurnConfigError(
                "loopback peers are allowed only when coturn listens and relays on "
                "loopback addresses alone (a development server)"
            )

    def loopback_only(self) -> bool:
        addresses = [*self.listening_ips, self.relay_ip]
        return bool(self.listening_ips) and all(
            ip and ipaddress.ip_address(ip).is_loopback for ip in addresses
        )

    def denied_networks(self) -> list[str]:
        skipped = LOOPBACK_NETWORKS if self.allow_loopback_peers else ()
        return [n for n in (*DENIED_PEER_NETWORKS, *self.extra_denied) if n not in skipped]

    def config_text(self, run_folder: Path) -> str:
        """turnserver.conf; `run_folder` (private to this run) holds its pid file and db."""
        self.check()
        lines = [
            "# Written by Parley (signal_server/coturn.py) from its settings at every start;",
            "# edit the settings (docs/deployment.md, TURN), not this file.",
            f"listening-port={self.port}",
            *(f"listening-ip={ip}" for ip in self.listening_ips),
            *([f"relay-ip={self.relay_ip}"] if self.relay_ip else []),
            *([f"external-ip={self.external_ip}"] if self.external_ip else []),
            f"min-port={self.min_port}",
            f"max-port={self.max_port}",
            f"realm={self.realm}",
            "use-auth-secret",
            f"static-auth-secret={self.secret}",
            "fingerprint",
            "stale-nonce=600",
            f"user-quota={self.user_quota}",
            f"total-quota={self.total_quota}",
            *([f"max-bps={self.max_bps}"] if self.max_bps else []),
            "no-multicast-peers",
        ]
        if self.allow_loopback_peers:
            # A development server (make run) listens and relays on 127.0.0.1 only, so
            # only programs of this machine reach it, and two tabs of this machine can
            # meet only through relay addresses on 127.0.0.1. check() refuses this
            # anywhere else: on a public relay it would open the host's own services.
            lines.append("allow-loopback-peers")
        lines += [f"denied-peer-ip={coturn_range(n)}" for n in self.denied_networks()]
        if self.tls:
            lines += [
                f"tls-listening-port={self.tls_port}",
                f"cert={self.cert_file}",
                f"pkey={self.key_file}",
                "no-tlsv1",
                "no-tlsv1_1",
            ]
        else:
            lines.append("no-tls")
        lines += [
            # Browsers speak TURN over UDP, TCP and TLS, never DTLS.
            "no-dtls",
            "no-cli",
            "no-rfc5780",
            "no-software-attribute",
            "log-file=stdout",
            "simple-log",
            f"pidfile={run_folder / 'turnserver.pid'}",
            f"userdb={run_folder / 'turndb'}",
        ]
        return "\n".join(lines) + "\n"


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


def start_beside_server(host: str, say) -> Coturn | None:
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
    if not ipaddress.ip_address(host).is_loopback:
        say(
            "TURN: PARLEY_TURN_SECRET is not set and the server is not on loopback; set "
            "PARLEY_TURN_SECRET and PARLEY_TURN_URLS (docs/deployment.md, TURN). Serving "
            "without TURN."
        )
        return None
    wanted = int(settings.PARLEY_COTURN["PORT"])
    candidates = [wanted] if port_is_free(host, wanted) else []
    ports = free_ports(host)
    candidates += [next(ports) for _ in range(3)]
    secret = new_secret()
    last_error: Exception | None = None
    for port in candidates:
        config = TurnConfig.from_settings(
            secret=secret,
            listening_ips=(host,),
            relay_ip=host,
            port=port,
            allow_loopback_peers=True,
        )
        coturn = Coturn(config)
        try:
            coturn.start()
        except (RuntimeError, OSError) as error:
            last_error = error
            continue
        stun, turn = loopback_urls(host, port)
        for name, value in (
            ("PARLEY_STUN_URLS", stun),
            ("PARLEY_TURN_URLS", turn),
            ("PARLEY_TURN_SECRET", secret),
        ):
            setattr(settings, name, value)
            os.environ[name] = value if isinstance(value, str) else ",".join(value)
        moved = "" if port == wanted else f" ({wanted} is taken)"
        say(
            f"TURN: development coturn on {host}:{port}{moved}, UDP and TCP, secret new for "
            "this run."
        )
        return coturn
    say(f"TURN: coturn did not start ({last_error}); serving without STUN or TURN.")
    return None


class CoturnFailed(Exception):
    """The operator's coturn did not start."""
