"""JSON as the server accepts it from outside: one spelling for one value.

Duplicate keys (which the last one would silently win) and NaN/Infinity (not JSON) are
refused, for WebSocket frames and HTTP bodies alike.
"""

import json


def loads_strict(text: str) -> object:
    """`json.loads`, raising ValueError (or RecursionError) for what JSON does not allow."""
    return json.loads(
        text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
    )


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
