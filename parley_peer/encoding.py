"""Wire encodings of docs/protocol.md §1: base64url without padding, strict UTF-8 JSON."""

import base64
import json
import re
from typing import Any

from parley_peer.errors import EncodingError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, length: int | None = None) -> bytes:
    """Rejects padding, other alphabets and non-canonical trailing bits."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EncodingError("invalid base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise EncodingError("non-canonical base64url")
    if length is not None and len(data) != length:
        raise EncodingError(f"expected base64url of {length} bytes")
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_utf8(data: bytes) -> Any:
    """JSON as a browser's JSON.parse reads it: strict UTF-8, no BOM, no NaN or Infinity."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # Unicode and JSON errors are ValueErrors
        raise EncodingError("not UTF-8 JSON") from error


def dump_json_utf8(value: Any) -> bytes:
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()
    except (TypeError, ValueError) as error:
        raise EncodingError("not representable as UTF-8 JSON") from error


def is_json_integer(value: Any, low: int, high: int) -> bool:
    """An integer as JavaScript sees one: 1.0 and 1e3 count, True does not."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    if not isinstance(value, int | float):
        return False
    return low <= value <= high
