"""The mirror service's key, as the rendezvous server knows it (docs/protocol.md §12).

The server holds only the public half of the service's Ed25519 key: from
PARLEY_MIRROR_KEY (base64url, 32 bytes), else from the text file PARLEY_MIRROR_KEY_FILE
(`<PARLEY_DATA_DIR>/mirror.pub`), which the service writes when it starts, possibly after
the server did. So the file is read when the key is needed, not at start, and cached
until it changes. No key (or an unusable file) means no mirror service: `mirror-serve`
is refused (`bad_mirror`) and `GET /mirror` says `null`. A malformed PARLEY_MIRROR_KEY
stops the start instead (system_checks.py).

- `configured_mirror_key()`: the key, or None.
- `serve_message(connection_key, ts)`: what a `mirror-serve` signature covers.
- `GET /mirror` (`mirror_view`): `{"mirror": {"key": ...}}` or `{"mirror": null}`.
"""

import functools
import logging
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from nacl.bindings import crypto_core_ed25519_is_valid_point

from signal_server.protocol import decode_b64url, encode_b64url

logger = logging.getLogger(__name__)

MIRROR_KEY_BYTES = 32
SERVE_CONTEXT = b"parley-mirror-serve-v1"


def parse_mirror_key(text: str) -> bytes | None:
    """The key `text` spells (surrounding whitespace aside), or None if it is not one.

    Beyond 32 bytes of canonical base64url, the key must be a point of the curve that
    is not of small order: the service's seal key is converted from it, and any other
    value could not be the public half of a key the service holds.
    """
    raw = decode_b64url(text.strip())
    if raw is None or len(raw) != MIRROR_KEY_BYTES:
        return None
    if not crypto_core_ed25519_is_valid_point(raw):
        return None
    return raw


def configured_mirror_key() -> bytes | None:
    """The mirror key in use: the environment's, else the file's; None if neither is."""
    text = settings.PARLEY_MIRROR_KEY.strip()
    if text:
        return parse_mirror_key(text)
    path = Path(settings.PARLEY_MIRROR_KEY_FILE)
    try:
        status = path.stat()
    except OSError:
        return None
    # The service replaces the file (a new inode), which a coarse mtime could miss.
    return _read_cached(str(path), (status.st_ino, status.st_mtime_ns, status.st_size))


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, version: tuple[int, int, int]) -> bytes | None:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        logger.warning("cannot read the mirror key file %s: %s", path, error)
        return None
    key = parse_mirror_key(text)
    if key is None:
        logger.warning("the mirror key file %s holds no base64url Ed25519 public key", path)
    return key


def serve_message(connection_key: bytes, ts: int) -> bytes:
    """What the mirror key signs in `mirror-serve`: the connection key binds the proof to
    this connection (a copied frame proves nothing on another), `ts` to this minute."""
    return SERVE_CONTEXT + connection_key + ts.to_bytes(8, "big")


# Not cached: the key may appear (the service starts) or change at any time.
@never_cache
@require_GET
def mirror_view(request: HttpRequest) -> JsonResponse:
    key = configured_mirror_key()
    return JsonResponse({"mirror": None if key is None else {"key": encode_b64url(key)}})
