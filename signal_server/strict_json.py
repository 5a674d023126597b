"""JSON as the server accepts it from outside: one spelling for one value.

Duplicate keys (which the last one would silently win) and NaN/Infinity (not JSON) are
refused, for WebSocket frames and HTTP bodies alike.
"""

import json


def loads_strict(text: str) -> object:
    """`json.loads`, raising ValueError (or RecursionError) for what JSON does not allow."""
    if not isinstance(text, str):
        raise ValueError("not a str")
    return _DECODER.decode(text)


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def field_problem(
    obj: dict, fields: dict[str, type], also_allowed: tuple[str, ...] = (), prefix: str = ""
) -> str | None:
    """What is wrong with `obj`'s fields, or None: exactly `fields` (plus `also_allowed`,
    checked elsewhere), each of its type. `prefix` names a nested object in the message."""
    unknown = sorted(set(obj) - {*fields, *also_allowed})
    if unknown:
        return f"field not allowed: {prefix}{unknown[0]}"
    for name, expected in fields.items():
        if name not in obj:
            return f"missing field: {prefix}{name}"
        # bool is a subclass of int in Python but not a number in JSON.
        value = obj[name]
        if not isinstance(value, expected) or isinstance(value, bool):
            return f"wrong type: {prefix}{name}"
    return None


# One decoder for every call: json.loads with options builds a new one each time.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
)
