"""The NAT lab's networks: a "public" internet, and homes behind NAT routers.

    public namespace (203.0.113.0/24, bridge br0; the server and coturn on 203.0.113.1)
       ├── router 1: wan 203.0.113.11 ── NAT ── lan 198.51.100.17/28 ── user 1 .18
       ├── router 2: wan 203.0.113.12 ── NAT ── lan 198.51.100.33/28 ── user 2 .34
       └── ...

    with Lab() as lab:
        home = lab.add_home(Nat.CONE)
        lab.start(lab.public, ["turnserver", ...], "coturn")
        ... inside(home.user, "chromium", ...) ...
        with home.wan_outage(): ...   # the router's WAN link down, then up again
        with home.wan_outage(restart=True): ...   # and its NAT mappings forgotten

Only documentation ranges are used (203.0.113.0/24 for the public side, a /28 of
198.51.100.0/24 per home); no namespace has a route to the host's interfaces, and
ip_forward is on only inside routers. Each router drops new connections coming in on its
WAN side, as home routers do: without that an early connectivity check of the other peer
leaves a conntrack entry on this router that later breaks hole punching (issue 16), a
failure real NATs do not have. IPv6 is off in every lab namespace, so every candidate is
one of the addresses above.

Everything is torn down on exit, failure included: the processes the lab started, then
its namespaces (netns.py, which also clears what a crashed earlier run left behind).
"""

import enum
import itertools
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.lab import netns
from e2e.lab.netns import inside, run

PUBLIC_PREFIX = "203.0.113"
SERVER_ADDRESS = f"{PUBLIC_PREFIX}.1"  # the Parley server, coturn and the bare test page
HOME_PREFIX = "198.51.100"
MAX_HOMES = 14  # /28 blocks 1..14 of 198.51.100.0/24
FORGET_CONNECTIONS = Path(__file__).with_name("forget_connections.py")
_lab_numbers = itertools.count(1)


class Nat(enum.Enum):
    """How a home router maps its LAN onto its one public address (nftables)."""

    # Linux keeps the source port when it is free: one mapping per local port whatever
    # the destination (endpoint-independent), answers let in only from where the router
    # sent to (port-restricted filtering). STUN alone punches through two of these.
    CONE = "masquerade"
    # A random public port for every new destination: the port a STUN server saw is not
    # the one a peer would have to use. Only a relay (TURN) gets through.
    SYMMETRIC = "masquerade fully-random"


def router_rules(nat: Nat) -> str:
    """The nftables ruleset of a home router: NAT out of `wan`, nothing new let in."""
    return f"""
table ip home_router {{
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" {nat.value}
    }}
    chain forward {{
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
    }}
    chain input {{
        type filter hook input priority filter; policy drop;
        ct state established,related accept
        iifname {{ "lo", "lan" }} accept
    }}
}}
"""


@dataclass(frozen=True)
class Home:
    """One home network: a NAT router and the one machine behind it."""

    number: int
    nat: Nat
    router: str  # namespace names
    user: str
    wan_address: str
    user_address: str

    def set_wan(self, up: bool) -> None:
        run("ip", "-n", self.router, "link", "set", "wan", "up" if up else "down")

    @contextmanager
    def wan_outage(self, *, restart: bool = False):
        """The router's WAN link down for the body, up again after it (even on failure),
        as when a laptop leaves and rejoins its network. restart=True: the router also
        forgets its NAT mappings meanwhile, as a home router that restarts does."""
        self.set_wan(False)
        try:
            if restart:
                run(*inside(self.router, sys.executable, str(FORGET_CONNECTIONS)))
            yield
        finally:
            self.set_wan(True)


class Lab:
    """The public network, the homes added to it, and the processes started inside."""

    def __init__(self):
        self.prefix = f"pl{os.getpid()}-{next(_lab_numbers)}"
        self.public = f"{self.prefix}-pub"
        self.homes: list[Home] = []
        self._namespaces: list[str] = []
        self._processes: list[tuple[str, subprocess.Popen]] = []
        self._tmp = tempfile.TemporaryDirectory(prefix=f"parley-{self.prefix}-")
        self.directory = Path(self._tmp.name)

    def __enter__(self) -> "Lab":
        netns.require_root()
        netns.remove_leftovers()
        try:
            self._make_public()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _namespace(self, role: str) -> str:
        name = f"{self.prefix}-{role}"
        run("ip", "netns", "add", name)
        self._namespaces.append(name)
        run("ip", "-n", name, "link", "set", "lo", "up")
        run(*inside(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"))
        run(*inside(name, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"))
        return name

    def _make_public(self) -> None:
        ns = self._namespace("pub")
        run("ip", "-n", ns, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", ns, "addr", "add", f"{SERVER_ADDRESS}/24", "dev", "br0")
        run("ip", "-n", ns, "link", "set", "br0", "up")

    def add_home(self, nat: Nat) -> Home:
        """A router doing `nat` on the public network, with one user machine behind it."""
        number = len(self.homes) + 1
        if number > MAX_HOMES:
            raise netns.LabError(f"the lab has room for {MAX_HOMES} homes")
        router = self._namespace(f"r{number}")
        user = self._namespace(f"u{number}")
        wan = f"{PUBLIC_PREFIX}.{10 + number}"
        lan_base = 16 * number
        router_lan, user_lan = f"{HOME_PREFIX}.{lan_base + 1}", f"{HOME_PREFIX}.{lan_base + 2}"

        port = f"home{number}"  # the router's cable into the public bridge
        run("ip", "link", "add", "wan", "netns", router, "type", "veth",
            "peer", "name", port, "netns", self.public)  # fmt: skip
        run("ip", "-n", self.public, "link", "set", port, "master", "br0", "up")
        run("ip", "-n", router, "addr", "add", f"{wan}/24", "dev", "wan")
        run("ip", "-n", router, "link", "set", "wan", "up")

        run("ip", "link", "add", "lan", "netns", router, "type", "veth",
            "peer", "name", "eth0", "netns", user)  # fmt: skip
        run("ip", "-n", router, "addr", "add", f"{router_lan}/28", "dev", "lan")
        run("ip", "-n", router, "link", "set", "lan", "up")
        run("ip", "-n", user, "addr", "add", f"{user_lan}/28", "dev", "eth0")
        run("ip", "-n", user, "link", "set", "eth0", "up")
        run("ip", "-n", user, "route", "add", "default", "via", router_lan)

        run(*inside(router, "sysctl", "-qw", "net.ipv4.ip_forward=1"))
        run(*inside(router, "nft", "-f", "-"), input=router_rules(nat))
        home = Home(number, nat, router, user, wan, user_lan)
        self.homes.append(home)
        return home

    def start(self, namespace: str, argv: list[str], name: str, **popen) -> subprocess.Popen:
        """Start `argv` inside `namespace`, its output in `<lab dir>/<name>.log`; it is
        stopped when the lab closes."""
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                inside(namespace, *argv), stdout=log, stderr=subprocess.STDOUT, **popen
            )
        self._processes.append((name, process))
        return process

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        errors = []
        for _, process in reversed(self._processes):
            _stop(process)
        self._processes.clear()
        for name in reversed(self._namespaces):
            try:
                netns.delete(name)
            except netns.LabError as error:
                errors.append(str(error))
        self._namespaces.clear()
        self._tmp.cleanup()
        if errors:
            raise netns.LabError("; ".join(errors))


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
