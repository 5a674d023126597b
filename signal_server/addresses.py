"""The client address of a connection, for the per-address caps (docs/protocol.md §5,
docs/deployment.md).

The per-connection limits (limits.py) do not stop one host from opening many
connections; the per-address caps do. `client_address(scope, trusted_proxies)` names the
address a connection comes from; the shared state's AddressRegistry
(state/interfaces.py) counts, per address, the open connections and the topic
memberships (one per connection and topic it is in).
"""

import ipaddress

# Where the connecting address is not known (a Unix socket without a trusted proxy),
# every connection counts against this one name: the caps then fail closed, loudly,
# rather than not at all.
UNKNOWN_ADDRESS = "unknown"
# One IPv6 host usually holds a whole /64 and can pick a new address in it per
# connection, so a /64 counts as one address, as one IPv4 address does.
IPV6_PREFIX = 64
# A forwarded entry that is not an IP address is used as it is, cut to this length.
MAX_ADDRESS_CHARS = 64


def client_address(scope: dict, trusted_proxies: int) -> str:
    """The address whose caps a connection counts against.

    With no trusted proxy it is the socket's peer; X-Forwarded-For is then ignored,
    since any client can send one. Behind `trusted_proxies` proxies, each of which
    appends the address it was connected from, the client is the entry that many places
    from the right: entries further left were written by the client and are not
    believed. A request with fewer entries did not come through the proxies, and its
    socket peer is used.
    """
    peer = scope.get("client")
    address = _normalise(peer[0]) if peer else UNKNOWN_ADDRESS
    if trusted_proxies > 0:
        forwarded = forwarded_for(scope.get("headers", []))
        if len(forwarded) >= trusted_proxies:
            address = _normalise(forwarded[-trusted_proxies])
    return address


def forwarded_for(headers: list[tuple[bytes, bytes]]) -> list[str]:
    """The X-Forwarded-For entries, left to right; several headers are one list (RFC 9110)."""
    entries = []
    for name, value in headers:
        if name.lower() == b"x-forwarded-for":
            entries += [entry.strip() for entry in value.decode("latin-1").split(",")]
    return entries


def _normalise(text: str) -> str:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:MAX_ADDRESS_CHARS] or UNKNOWN_ADDRESS
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)
