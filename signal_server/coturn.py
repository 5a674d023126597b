"""coturn beside Parley: a hardened turnserver.conf from the settings (`TurnConfig`).

`manage.py turn` (coturn in the foreground) and `manage.py serve --turn` (coturn beside
the server, stopped with it) both write it through `TurnConfig` and run it with
coturn_process.py, and so do the tests (tests/turn/), so what is tested is what runs. A
deployment that runs coturn on its own (systemd, another host) can start from
`manage.py turn --print-config`.

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
- its log on stdout only when asked (it names who relays to whom), its pid file and
  (unused) user database in a private temporary folder, never in /var.
The only exception is `allow_loopback_peers`, for a development server on 127.0.0.1
(`make run`), refused for any other listening or relay address.
"""

import ipaddress
import re
from dataclasses import dataclass, replace
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
    # IPv6 ranges that carry an IPv4 address inside, so reach the ranges above too.
    "64:ff9b::/96",  # NAT64, well-known prefix
    "64:ff9b:1::/48",  # NAT64, local-use
    "2001::/32",  # Teredo
    "2002::/16",  # 6to4
)
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
REALM = re.compile(r"[A-Za-z0-9.-]{1,64}")


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
    user_quota: int = 150
    total_quota: int = 3000
    max_bps: int = 0
    # Only for a server on loopback: see check() and the comment in config_text().
    allow_loopback_peers: bool = False
    # coturn's log names each session's client address and every peer address it relays
    # to: who talks to whom. Off unless the operator asks (manage.py turn --log).
    log: bool = False

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
        # coturn reads 0 as "no limit": a quota meant as "none" would remove it.
        if self.user_quota < 1 or self.total_quota < 1:
            raise TurnConfigError("PARLEY_TURN_USER_QUOTA and _TOTAL_QUOTA are at least 1")
        if self.max_bps < 0:
            raise TurnConfigError("PARLEY_TURN_MAX_BPS is 0 (no limit) or more")
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
        return [n for n in DENIED_PEER_NETWORKS if n not in skipped]

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
            # Browsers and aiortc only allocate UDP relays; a TCP relay (RFC 6062) would
            # let anyone with a credential use coturn as a TCP proxy to any public port.
            "no-tcp-relay",
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
            *(
                ["log-file=stdout", "simple-log"]
                if self.log
                else ["no-stdout-log", "log-file=/dev/null"]
            ),
            f"pidfile={run_folder / 'turnserver.pid'}",
            f"userdb={run_folder / 'turndb'}",
        ]
        return "\n".join(lines) + "\n"
