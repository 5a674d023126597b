"""Per-address caps of the rendezvous server (docs/protocol.md §5, docs/deployment.md).

The per-connection limits (limits.py) do not stop one host from opening many
connections; these caps do. `client_address(scope, trusted_proxies)` names the address a
connection comes from; `registry` counts, per address, the open connections and the
topic memberships (one per connection and topic it is in).

Like `topics.registry` it is the one registry of this process: an AddressRegistry in
process memory by default, a redis_addresses.RedisAddressRegistry (the same coroutine
methods) shared by every server process with settings.REDIS_URL. Tests replace it with
a fresh AddressRegistry. An address is forgotten as soon as it holds nothing, so the
registry is as large as the set of connected hosts. `add_*` compare with the cap and
count in one step, which a shared registry must do atomically.
"""

import ipaddress
from dataclasses import dataclass

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


@dataclass(slots=True)
class _Usage:
    connections: int = 0
    topics: int = 0


class AddressRegistry:
    def __init__(self) -> None:
        self._usage: dict[str, _Usage] = {}

    async def connections(self, address: str) -> int:
        usage = self._usage.get(address)
        return usage.connections if usage else 0

    async def topics(self, address: str) -> int:
        """Topic memberships of all the address's connections together."""
        usage = self._usage.get(address)
        return usage.topics if usage else 0

    async def add_connection(self, address: str, cap: int | None = None) -> int:
        """Count a connection unless the address has `cap` already; the count before."""
        return self._add(address, "connections", cap)

    async def remove_connection(self, address: str, topics: int) -> None:
        """A connection closed, and with it its `topics` memberships."""
        usage = self._usage.get(address)
        if usage is not None:
            usage.connections -= 1
            usage.topics -= topics
            self._forget_if_unused(address, usage)

    async def add_topic(self, address: str, cap: int | None = None) -> int:
        """Count a topic membership unless the address has `cap` already; the count before."""
        return self._add(address, "topics", cap)

    async def remove_topic(self, address: str) -> None:
        usage = self._usage.get(address)
        if usage is not None:
            usage.topics -= 1
            self._forget_if_unused(address, usage)

    def _add(self, address: str, counter: str, cap: int | None) -> int:
        usage = self._usage.setdefault(address, _Usage())
        before = getattr(usage, counter)
        if cap is None or before < cap:
            setattr(usage, counter, before + 1)
        self._forget_if_unused(address, usage)
        return before

    def _forget_if_unused(self, address: str, usage: _Usage) -> None:
        if usage.connections <= 0 and usage.topics <= 0:
            del self._usage[address]

    def __len__(self) -> int:
        return len(self._usage)


def _registry_for_settings():
    from django.conf import settings

    if settings.REDIS_URL:
        from signal_server import redis_addresses, redis_link  # redis is optional

        return redis_addresses.RedisAddressRegistry(redis_link.link())
    return AddressRegistry()


registry = _registry_for_settings()
