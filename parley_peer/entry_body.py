"""The bodies of room entries (docs/protocol.md §7): the JSON schema of each entry type,
the twin of static/app/room/entry-body.js. parley_peer/entry.py seals and opens them.
"""

import re
from collections.abc import Callable
from typing import Any

from parley_peer.encoding import b64url_decode, is_json_integer
from parley_peer.errors import EncodingError
from parley_peer.payment_request import (
    AMOUNT_TEXT,
    MAX_NOTE_CODE_POINTS,
    PAYMENT_ASSETS,
    PAYMENT_NETWORKS,
    is_payment_request,
)
from parley_peer.payments import MAX_ADDRESS_LENGTH, MAX_INVOICE_LENGTH

# The largest time a JavaScript Date can hold (ECMA-262 time values).
MAX_TIMESTAMP_MS = 8_640_000_000_000_000
MAX_BODY_BYTES = 16384
MAX_TEXT_CODE_POINTS = 4000
MAX_NAME_CODE_POINTS = 64
MAX_EMOJI_CODE_POINTS = 8
MAX_EMOJI_BYTES = 32
MAX_SEQ = 2**53 - 1
MAX_FILE_NAME_CODE_POINTS = 255
MAX_MIME_LENGTH = 127
CALL_ID_BYTES = 16
CALL_EVENTS = ("started", "joined", "ended")
# The per-room notification levels of a `mailbox` entry (§10).
MAILBOX_NOTIFY_LEVELS = ("all", "mentions", "none")
MAX_CALL_DURATION_MS = 86_400_000  # a day
FILE_CHUNK_BYTES = 131072  # the only chunk size, in both chunk formats (§11)
FILE_FORMAT_V2 = 2  # a file entry's `format`; without one, format 1
MAX_FILE_FORMAT = 255  # formats after 2 are a later version's (§11)
MAX_FILE_BYTES = FILE_CHUNK_BYTES * 2**24  # 2^24 chunks: 2 TiB
MAX_DESCRIPTION_CODE_POINTS = 500
MAX_SLOW_MODE_SECONDS = 86_400
# The disappearing-message timers a room may have, in seconds; 0 is off (§7).
DISAPPEAR_SECONDS = (0, 300, 3600, 86_400, 604_800, 2_419_200)
MEMBER_ROLES = ("admin", "moderator", "member")
POSTING_RULES = ("everyone", "moderators")
# Entries sealed with the room's control key (§7 "Moderation", §13 "Revoking a device"),
# which mirrors hold too.
CONTROL_TYPES = ("role", "remove", "revoke", "device")
# The types a version 2 entry may hold, and how far past its `ts` it may expire (§7
# "Disappearing messages": the longest timer, 4 weeks).
EXPIRING_TYPES = ("message", "edit", "reaction", "file")
MAX_EXPIRY_MS = 2_419_200_000

Check = Callable[[Any], bool]


def _is_signature(value: Any) -> bool:
    """A 64-byte signature in canonical base64url (86 characters)."""
    try:
        b64url_decode(value, 64)
    except EncodingError:
        return False
    return True


def _is_id(value: Any) -> bool:
    try:
        b64url_decode(value, 32)  # canonical spelling only, as in §1
    except EncodingError:
        return False
    return True


def _is_text(limit: int, minimum: int = 1) -> Check:
    # len() of a str counts code points, as the browser does with [...text].length.
    return lambda value: isinstance(value, str) and minimum <= len(value) <= limit


def _is_well_formed(text: str) -> bool:
    """No lone surrogate: the browser's String.prototype.isWellFormed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_emoji(value: Any) -> bool:
    # A lone surrogate counts 3 bytes, as the browser's TextEncoder writes U+FFFD for it.
    return (
        _is_text(MAX_EMOJI_CODE_POINTS)(value)
        and len(value.encode("utf-8", "surrogatepass")) <= MAX_EMOJI_BYTES
    )


# A media type as `type/subtype` (RFC 6838 restricted names, no parameters), or empty.
_MIME = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?")


def _is_call_id(value: Any) -> bool:
    # 16 random bytes: 22 characters, the 4 spare bits of the last one zero (canonical).
    try:
        b64url_decode(value, CALL_ID_BYTES)
    except EncodingError:
        return False
    return True


def is_file_format(value: Any) -> bool:
    """A ``format`` a file entry may name (§11): 2, or a later version's up to 255."""
    return is_json_integer(value, FILE_FORMAT_V2, MAX_FILE_FORMAT)


def _is_mime(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_MIME_LENGTH and bool(_MIME.fullmatch(value))


_TXID = re.compile(r"(?:0x)?[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{64}")

_COMMON: dict[str, Check] = {
    "ts": lambda value: is_json_integer(value, 0, MAX_TIMESTAMP_MS),
    "clock": lambda value: is_json_integer(value, 1, MAX_SEQ),
}
_TEXT = _is_text(MAX_TEXT_CODE_POINTS)
_NAME = _is_text(MAX_NAME_CODE_POINTS)
# type -> (required fields, optional fields), beside "type", "ts" and "clock".
_BODY_SCHEMAS: dict[str, tuple[dict[str, Check], dict[str, Check]]] = {
    "message": ({"text": _TEXT}, {"reply": _is_id}),
    "edit": ({"target": _is_id, "text": _TEXT}, {}),
    "delete": ({"target": _is_id}, {}),
    "reaction": ({"target": _is_id, "emoji": _is_emoji, "on": lambda v: isinstance(v, bool)}, {}),
    "name": ({"name": _NAME}, {}),
    "join": ({"name": _NAME}, {}),
    # A mailbox public key (§10) is 32 bytes spelled canonically, like an id.
    "mailbox": ({"mailbox": _is_id, "notify": lambda v: v in MAILBOX_NOTIFY_LEVELS}, {}),
    # A file offer (§11): the Merkle root and the file key are 32 bytes, spelled like ids.
    "file": (
        {
            "name": _is_text(MAX_FILE_NAME_CODE_POINTS),
            "size": lambda v: is_json_integer(v, 0, MAX_FILE_BYTES),
            "mime": _is_mime,
            "chunk": lambda v: is_json_integer(v, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES),
            "root": _is_id,
            "key": _is_id,
        },
        # The chunk format (§11): absent is format 1, then 2; one this version does not
        # know (up to 255) is a later version's: kept and shown, its file not fetched.
        {"format": is_file_format},
    ),
    # A call event (§6 Calls) in the history; see _BODY_RULES for `duration`.
    "call": (
        {
            "call": _is_call_id,
            "event": lambda v: v in CALL_EVENTS,
            "video": lambda v: isinstance(v, bool),
        },
        {"duration": lambda v: is_json_integer(v, 0, MAX_CALL_DURATION_MS)},
    ),
    "room": ({"name": _NAME}, {}),
    "leave": ({}, {}),
    "read": ({"upTo": lambda v: is_json_integer(v, 1, MAX_SEQ)}, {}),
    "role": ({"member": _is_id, "role": lambda v: v in MEMBER_ROLES}, {}),
    "remove": ({"member": _is_id, "upTo": lambda v: is_json_integer(v, 0, MAX_SEQ)}, {}),
    "settings": (
        {},
        {
            "description": _is_text(MAX_DESCRIPTION_CODE_POINTS, minimum=0),
            "posting": lambda v: v in POSTING_RULES,
            "slowMode": lambda v: is_json_integer(v, 0, MAX_SLOW_MODE_SECONDS),
            # A timer (§7 "Disappearing messages"); True is not 1, as in JavaScript.
            "disappear": lambda v: is_json_integer(v, 0, MAX_EXPIRY_MS) and v in DISAPPEAR_SECONDS,
        },
    ),
    # The author unlinked one of its devices (§13 "Revoking a device"): the device's
    # entries from `upTo` on count for nobody. It counts only when the device's own
    # `device` entry names the author; the certificate it carries proves nothing alone.
    "revoke": (
        {
            "device": _is_id,
            "upTo": lambda v: is_json_integer(v, 0, MAX_SEQ),
            "created": lambda v: is_json_integer(v, 0, MAX_SEQ),
            "cert": _is_signature,
        },
        {},
    ),
    # A linked device's first entry (§13), a control entry: the identity it speaks for
    # and its certificate (receivers refuse one not at seq 0, or not certified).
    "device": (
        {
            "identity": _is_id,
            "created": lambda v: is_json_integer(v, 0, MAX_SEQ),
            "cert": _is_signature,
            "name": _NAME,
        },
        {},
    ),
    # A payment request (§7 "Payments"): `amount` in the asset's smallest unit, as
    # digits; parley_peer/payment_request.py checks the address or invoice (_BODY_RULES).
    "payment": (
        {
            "asset": lambda v: v in PAYMENT_ASSETS,
            "network": lambda v: v in PAYMENT_NETWORKS,
            "amount": lambda v: isinstance(v, str) and AMOUNT_TEXT.fullmatch(v) is not None,
            "expires": lambda v: is_json_integer(v, 0, MAX_TIMESTAMP_MS),
        },
        {
            # Well-formed (no lone surrogate), so it can go into a payment link.
            "note": lambda v: _is_text(MAX_NOTE_CODE_POINTS)(v) and _is_well_formed(v),
            "address": lambda v: isinstance(v, str) and 1 <= len(v) <= MAX_ADDRESS_LENGTH,
            "invoice": lambda v: isinstance(v, str) and 1 <= len(v) <= MAX_INVOICE_LENGTH,
        },
    ),
    # A receipt for the request `request`: a transaction id (bitcoin, or Ethereum's with
    # 0x), or a Lightning preimage; exactly one (_BODY_RULES).
    "paid": (
        {"request": _is_id},
        {
            "txid": lambda v: isinstance(v, str) and _TXID.fullmatch(v) is not None,
            "preimage": lambda v: isinstance(v, str) and _HEX32.fullmatch(v) is not None,
        },
    ),
    # The requester received what `request` asked for.
    "received": ({"request": _is_id}, {}),
}
ENTRY_TYPES = tuple(_BODY_SCHEMAS)
# type -> a rule across keys, run once every key has passed its own check.
_BODY_RULES: dict[str, Check] = {
    # `duration` is there exactly when the call ended.
    "call": lambda body: ("duration" in body) == (body["event"] == "ended"),
    "payment": is_payment_request,
    "paid": lambda body: ("txid" in body) != ("preimage" in body),
    # A settings entry changes something.
    "settings": lambda body: any(
        key in body for key in ("description", "posting", "slowMode", "disappear")
    ),
}


def is_entry_body(body: Any) -> bool:
    """The body schema of docs/protocol.md §7: exact key sets per type."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return False
    if body["type"] not in _BODY_SCHEMAS:
        return False
    required, optional = _BODY_SCHEMAS[body["type"]]
    checks = {**_COMMON, **required}
    if not all(key in body and check(body[key]) for key, check in checks.items()):
        return False
    extra = set(body) - set(checks) - {"type"}
    if not all(key in optional and optional[key](body[key]) for key in extra):
        return False
    rule = _BODY_RULES.get(body["type"])
    return rule is None or rule(body)


def expiry_fits(body: dict, expires: int) -> bool:
    """A version 2 entry's body (§7 "Disappearing messages"): a type that may expire,
    expiring at most the longest timer after it was written."""
    return body["type"] in EXPIRING_TYPES and 1 <= expires <= body["ts"] + MAX_EXPIRY_MS
