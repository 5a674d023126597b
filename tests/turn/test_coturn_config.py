"""The turnserver.conf that signal_server/coturn.py writes, read line by line."""

import ipaddress
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from signal_server.coturn import DENIED_PEER_NETWORKS, TurnConfig, TurnConfigError
from signal_server.coturn_process import loopback_address

ROOT = Path(__file__).resolve().parents[2]
FOLDER = Path("/run/parley-turn-test")


def config(**changes) -> TurnConfig:
    return TurnConfig(**{"secret": secrets.token_urlsafe(32), **changes})


def lines(conf: TurnConfig) -> list[str]:
    return conf.config_text(FOLDER).splitlines()


def denied(conf: TurnConfig) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    ranges = [line.split("=", 1)[1] for line in lines(conf) if line.startswith("denied-peer-ip=")]
    networks = []
    for text in ranges:
        first, _, last = text.partition("-")
        networks += ipaddress.summarize_address_range(
            ipaddress.ip_address(first), ipaddress.ip_address(last or first)
        )
    return networks


def is_denied(conf: TurnConfig, address: str) -> bool:
    return any(ipaddress.ip_address(address) in network for network in denied(conf))


def test_the_hardening_is_all_there():
    conf = config()
    written = lines(conf)
    for line in [
        "use-auth-secret",
        f"static-auth-secret={conf.secret}",
        "fingerprint",
        "realm=parley",
        "listening-port=3478",
        "min-port=49152",
        "max-port=65535",
        "no-multicast-peers",
        "no-tcp-relay",
        "user-quota=150",
        "total-quota=3000",
        "stale-nonce=600",
        "no-cli",
        "no-software-attribute",
        "no-tls",
        "no-dtls",
        "no-stdout-log",
        "log-file=/dev/null",
        f"pidfile={FOLDER / 'turnserver.pid'}",
    ]:
        assert line in written, line
    assert "allow-loopback-peers" not in written
    # Its log says who relays to whom: only when the operator asks for it.
    logged = lines(config(log=True))
    assert "log-file=stdout" in logged and "no-stdout-log" not in logged


@pytest.mark.parametrize(
    "address",
    ["0.1.2.3", "10.0.0.1", "100.64.0.1", "127.0.0.1", "127.255.0.9", "169.254.169.254"]
    + ["172.16.0.1", "172.31.255.254", "192.168.1.1", "192.0.0.9", "198.18.0.1", "198.19.1.1"]
    + ["224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "::1", "fc00::1"]
    + ["fd12:3456::1", "fe80::1", "::ffff:10.0.0.1"]
    # IPv4 inside IPv6: NAT64 (both prefixes), Teredo, 6to4.
    + ["64:ff9b::a00:1", "64:ff9b:1::a00:1", "2001:0:4136:e378::1", "2002:a00:1::1"],
)
def test_the_operators_own_networks_are_denied(address):
    assert is_denied(config(), address)


@pytest.mark.parametrize(
    "address",
    # The documentation ranges of the NAT lab, and public addresses next to denied ones.
    ["198.51.100.7", "203.0.113.9", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1"],
)
def test_public_addresses_and_the_labs_ranges_are_not(address):
    assert not is_denied(config(), address)


def test_tls_turns_off_old_protocols(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("x")
    written = lines(config(cert_file=str(cert), key_file=str(key), tls_port=5349))
    for line in ["tls-listening-port=5349", f"cert={cert}", f"pkey={key}", "no-tlsv1"]:
        assert line in written
    assert "no-tlsv1_1" in written
    assert "no-tls" not in written


def test_loopback_peers_only_for_a_server_on_loopback_alone():
    dev = config(listening_ips=("127.0.0.1",), relay_ip="127.0.0.1", allow_loopback_peers=True)
    assert "allow-loopback-peers" in lines(dev)
    # Loopback is then not denied (coturn checks its denied list after the flag), the
    # rest still is.
    assert not is_denied(dev, "127.0.0.1")
    assert is_denied(dev, "10.0.0.1") and is_denied(dev, "192.168.1.1")
    for unsafe in [
        config(allow_loopback_peers=True),  # every address
        config(listening_ips=("198.51.100.1",), relay_ip="198.51.100.1", allow_loopback_peers=True),
        config(listening_ips=("127.0.0.1",), relay_ip="198.51.100.1", allow_loopback_peers=True),
        config(listening_ips=("127.0.0.1",), allow_loopback_peers=True),  # relays on every one
    ]:
        with pytest.raises(TurnConfigError):
            unsafe.check()


@pytest.mark.parametrize(
    "changes",
    [
        {"secret": ""},
        {"secret": "x" * 40 + "\nallow-loopback-peers"},
        {"realm": "parley\nno-auth"},
        {"listening_ips": ("not-an-ip",)},
        {"relay_ip": "127.0.0.1\nverbose"},
        {"external_ip": "turn.example.org"},
        {"min_port": 70000},
        {"min_port": 60000, "max_port": 50000},
        {"cert_file": "/nonexistent.pem", "key_file": "/nonexistent.pem"},
        {"cert_file": "/etc/hostname"},
        {"user_quota": 0},
        {"total_quota": 0},
        {"max_bps": -1},
    ],
)
def test_a_setting_that_could_break_the_file_is_refused(changes):
    with pytest.raises(TurnConfigError):
        config(**changes).check()


def test_the_denied_networks_are_the_documented_ones():
    assert "198.51.100.0/24" not in DENIED_PEER_NETWORKS
    assert "203.0.113.0/24" not in DENIED_PEER_NETWORKS


def test_print_config_hides_the_secret():
    secret = secrets.token_urlsafe(32)
    env = {"PARLEY_TURN_SECRET": secret, "PARLEY_TURN_URLS": "turn:127.0.0.1:3478"}
    done = subprocess.run(
        [sys.executable, "manage.py", "turn", "--print-config", "--listening-ip", "127.0.0.1"],
        cwd=ROOT,
        env={**_clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert secret not in done.stdout
    assert "static-auth-secret=<PARLEY_TURN_SECRET>" in done.stdout
    assert "listening-ip=127.0.0.1" in done.stdout


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("localhost", "127.0.0.1"),
        ("0.0.0.0", None),
        ("198.51.100.1", None),
        ("parley.example", None),
    ],
)
def test_only_a_loopback_host_gets_the_development_relay(host, loopback):
    assert loopback_address(host) == loopback
