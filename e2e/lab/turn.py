"""coturn in the lab's public namespace, and TURN REST credentials for it.

    relay = start_coturn(lab)       # STUN and TURN on 203.0.113.1:3478, UDP and TCP
    relay.ice_servers()             # [{urls: [stun]}, {urls: [turn...], username, credential}]
    relay.credential(expires=...)   # (username, credential); expired or forged ones too

The credentials follow the TURN REST scheme that coturn's `use-auth-secret` checks
(username "<expiry unix time>:<opaque id>", password base64(HMAC-SHA1(secret, username))),
minted here by the test: the lab needs no Parley server to prove itself. The
configuration is the lab's own, hardened as a deployment's should be (denied private
ranges, quotas, no CLI); 198.51.100.0/24, the homes' private networks, is among the
denied peers, so a relay into a home is refused as it would be into an operator's LAN.
"""

import base64
import hashlib
import hmac
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from e2e.lab.netns import LabError, inside, run
from e2e.lab.topology import HOME_PREFIX, SERVER_ADDRESS, Lab

PORT = 3478
REALM = "parley.lab"
PROBE = Path(__file__).with_name("probe.py")
DENIED_PEERS = [
    "0.0.0.0-0.255.255.255",
    "10.0.0.0-10.255.255.255",
    "100.64.0.0-100.127.255.255",
    "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255",
    "172.16.0.0-172.31.255.255",
    "192.0.0.0-192.0.2.255",  # IETF protocol assignments and this machine's own network
    "192.168.0.0-192.168.255.255",
    "198.18.0.0-198.19.255.255",
    f"{HOME_PREFIX}.0-{HOME_PREFIX}.255",
]


def turn_credential(secret: str, expires: int) -> tuple[str, str]:
    """A TURN REST username and password valid until unix time `expires`."""
    username = f"{expires}:{base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip('=')}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def coturn_config(secret: str, directory: Path) -> str:
    lines = [
        f"listening-ip={SERVER_ADDRESS}",
        f"relay-ip={SERVER_ADDRESS}",
        f"listening-port={PORT}",
        "min-port=49152",
        "max-port=49407",
        f"realm={REALM}",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        "fingerprint",
        "no-cli",
        "no-tls",
        "no-dtls",
        "no-multicast-peers",
        "no-software-attribute",
        "user-quota=16",
        "total-quota=128",
        "log-file=stdout",
        "simple-log",
        "verbose",  # every request's outcome, which the tests read (403 Forbidden IP)
        f"pidfile={directory / 'turnserver.pid'}",
        f"userdb={directory / 'turndb'}",
        *(f"denied-peer-ip={peers}" for peers in DENIED_PEERS),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Relay:
    """The lab's running coturn: its URLs and the secret it shares with whoever mints."""

    secret: str

    stun_urls = (f"stun:{SERVER_ADDRESS}:{PORT}",)
    turn_urls = (
        f"turn:{SERVER_ADDRESS}:{PORT}?transport=udp",
        f"turn:{SERVER_ADDRESS}:{PORT}?transport=tcp",
    )

    def credential(self, expires: int | None = None, *, secret: str | None = None):
        """(username, credential); by default valid for 10 minutes. `secret` other than
        the relay's makes a forged one, `expires` in the past an expired one."""
        return turn_credential(secret or self.secret, expires or int(time.time()) + 600)

    def stun_server(self) -> dict:
        return {"urls": list(self.stun_urls)}

    def turn_server(self, **credential_options) -> dict:
        username, credential = self.credential(**credential_options)
        return {"urls": list(self.turn_urls), "username": username, "credential": credential}

    def ice_servers(self, **credential_options) -> list[dict]:
        return [self.stun_server(), self.turn_server(**credential_options)]


def start_coturn(lab: Lab) -> Relay:
    """Write the configuration, start coturn in the public namespace, wait until it
    answers STUN."""
    secret = secrets.token_urlsafe(24)
    config = lab.directory / "turnserver.conf"
    config.write_text(coturn_config(secret, lab.directory))
    config.chmod(0o600)
    process = lab.start(lab.public, ["turnserver", "-c", str(config)], "coturn")
    try:
        run(*inside(lab.public, sys.executable, str(PROBE), "stun", SERVER_ADDRESS, str(PORT)))
    except LabError as error:
        raise LabError(f"{error}\ncoturn (exit {process.poll()}):\n{lab.log('coturn')}") from None
    return Relay(secret)
