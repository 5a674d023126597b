"""The ICE servers a client is given: the `ice-servers` answer (docs/protocol.md §3).

A browser passes `servers` as they are to `new RTCPeerConnection({iceServers})`, and the
Python peer to aiortc's RTCConfiguration, so each entry is RTCIceServer-shaped: one for
the STUN URLs (no credential fields) and one for the TURN URLs with a fresh TURN REST
credential (turn_credentials.py). TURN is offered only when both PARLEY_TURN_URLS and
PARLEY_TURN_SECRET are set; `expires` is then the credential's expiry, else null.

The URLs come from the settings and are checked when the server starts (system_checks.py
calls `url_problems`), so a typo stops the start instead of leaving every client without
a relay. The grammar is that of RFC 7064 (stun:/stuns:) and RFC 7065 (turn:/turns:).
"""

import ipaddress
import re
import time

from django.conf import settings

from signal_server.turn_credentials import mint

STUN_SCHEMES = ("stun", "stuns")
TURN_SCHEMES = ("turn", "turns")
# Per setting; the answer holds at most two servers (STUN, TURN), far under the eight the
# protocol allows, and browsers slow down with many URLs anyway.
MAX_URLS = 8
MAX_URL_CHARS = 256
MIN_TTL_SECONDS = 60
# Clients renew at this share of a credential's life (docs/protocol.md §6, "Renewal").
RENEW_AT_SHARE = 0.75
MAX_TTL_SECONDS = 24 * 60 * 60
MIN_SECRET_CHARS = 32
# The secret goes into turnserver.conf as one `key=value` line: no spaces, quotes, `#`.
SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9._~+/=-]+")

_URL = re.compile(
    r"(?P<scheme>[a-z]+):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?"
)
# Labels joined by dots, each alone unambiguous: a pattern whose labels could also be
# split differently (an optional dot) backtracks exponentially on a long bad name.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")


def url_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    """Why `url` is not a STUN/TURN URL of one of `schemes`, or None if it is one."""
    if len(url) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS} characters"
    found = _URL.fullmatch(url)
    if found is None:
        return "not scheme:host[:port][?transport=udp|tcp]"
    scheme, host, port, transport = found.group("scheme", "host", "port", "transport")
    if scheme not in schemes:
        return f"the scheme is not {' or '.join(s + ':' for s in schemes)}"
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "the host is not an IPv6 address in brackets"
    elif not _HOST_NAME.fullmatch(host):
        return "the host is not a host name or an IPv4 address"
    if port is not None and not 1 <= int(port) <= 65535:
        return "the port is not in 1-65535"
    if transport is not None and scheme in STUN_SCHEMES:
        return "a STUN URL has no ?transport"
    if transport == "udp" and scheme == "turns":
        return "turns: runs over TLS, so its transport is tcp"
    return None


def url_problems(urls: list[str], schemes: tuple[str, ...]) -> list[str]:
    """One line per problem with a list of URLs from a setting."""
    problems = [f"{url!r}: {problem}" for url in urls if (problem := url_problem(url, schemes))]
    if len(urls) > MAX_URLS:
        problems.append(f"{len(urls)} URLs, at most {MAX_URLS}")
    return problems


def turn_offered() -> bool:
    return bool(settings.PARLEY_TURN_URLS and settings.PARLEY_TURN_SECRET)


def ice_servers_answer(now: float | None = None) -> dict:
    """The `S->C ice-servers {servers, expires}` frame, with a new TURN credential."""
    servers: list[dict] = []
    expires = None
    if settings.PARLEY_STUN_URLS:
        servers.append({"urls": list(settings.PARLEY_STUN_URLS)})
    if turn_offered():
        credential = mint(
            settings.PARLEY_TURN_SECRET,
            settings.PARLEY_TURN_TTL_SECONDS,
            time.time() if now is None else now,
        )
        servers.append(
            {
                "urls": list(settings.PARLEY_TURN_URLS),
                "username": credential.username,
                "credential": credential.credential,
            }
        )
        expires = credential.expires
    return {"type": "ice-servers", "servers": servers, "expires": expires}
