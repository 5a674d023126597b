"""Which push endpoints the server may send to (docs/protocol.md §10, `bad_endpoint`).

The server POSTs to whatever URL a client registers, so an unchecked endpoint would let
anyone aim it at internal addresses (SSRF). An endpoint must be an https URL on the
default port whose host is one of PARLEY_PUSH_SERVICE_HOSTS or a subdomain of one.
PARLEY_PUSH_INSECURE_HOSTS entries (`host` for any port, `host:port` for one) may also
be reached over plain http; they exist for tests with a fake push service on 127.0.0.1.

The check runs when a subscription is registered and again before every push, so an
operator who removes a host stops pushes to it at once.
"""

import re
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

MAX_ENDPOINT_CHARS = 1024
# The characters RFC 3986 allows in a URI, without '#': a push endpoint has no fragment,
# and nothing outside this set (spaces, '|', '\', non-ASCII) can reach the HTTP client.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%]+")
# A DNS name as push services use them: letters, digits, hyphens, dots between labels.
# No percent-escapes, IP literals or trailing dot that a resolver might read differently.
_HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
HTTPS_PORT = 443


def endpoint_problem(endpoint: str) -> str | None:
    """Why `endpoint` may not be pushed to, or None if it may."""
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        return f"endpoint is over {MAX_ENDPOINT_CHARS} characters"
    if not _URI_CHARACTERS.fullmatch(endpoint):
        return "endpoint is not a URL"
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:
        return "endpoint is not a URL"
    host = url.hostname
    if url.scheme not in ("https", "http") or not host or "@" in url.netloc:
        return "endpoint is not an http(s) URL with a host and no user"
    if _insecure_host_allowed(host, port):
        return None
    if url.scheme != "https":
        return "endpoint is not https"
    if port not in (None, HTTPS_PORT):
        return "endpoint has a port other than 443"
    if not _is_push_service(host):
        return "endpoint host is not a known push service"
    return None


def _is_push_service(host: str) -> bool:
    if not _HOST_NAME.fullmatch(host):
        return False
    return any(host == name or host.endswith("." + name) for name in _service_hosts())


def _service_hosts() -> list[str]:
    return [name.lower().strip(".") for name in settings.PARLEY_PUSH_SERVICE_HOSTS]


def _insecure_host_allowed(host: str, port: int | None) -> bool:
    for entry in settings.PARLEY_PUSH_INSECURE_HOSTS:
        allowed = _split_host_entry(entry)
        if allowed is not None and allowed.hostname == host:
            if allowed.port is None or allowed.port == port:
                return True
    return False


def _split_host_entry(entry: str) -> SplitResult | None:
    try:
        parsed = urlsplit("//" + entry.strip())
        parsed.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return None
    return parsed
