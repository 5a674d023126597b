"""Parsing and schema validation of client frames (docs/protocol.md §3).

`parse_frame(text, max_bytes)` turns one WebSocket text frame into a `Hello`, `Join`,
`Leave`, `Signal`, `Ping`, `Wake`, `IceServers`, `MirrorServe`, `MirrorRequest` or
`MirrorReply`, or raises `ProtocolError` with the error code of the protocol. It knows
nothing about connection state: "hello first" or "is this connection in the topic" are
checks of the consumer.

The parser is strict on purpose: a frame carries exactly the fields of its type, and
binary values must be canonical base64url, so that one value has exactly one spelling
on the wire.
"""

import base64
import binascii
import re
import string
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import ClassVar

from signal_server import frames
from signal_server.strict_json import field_problem, loads_strict


class ProtocolError(Exception):
    def __init__(
        self, code: str, message: str, ref: str | None = None, about: dict[str, str] | None = None
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.ref = ref
        self.about = about or {}  # fields that say what the error is about (`unreachable`)


@dataclass(frozen=True, slots=True)
class Hello:
    type: ClassVar[str] = "hello"
    key: bytes


@dataclass(frozen=True, slots=True)
class Join:
    type: ClassVar[str] = "join"
    topic: bytes


@dataclass(frozen=True, slots=True)
class Leave:
    type: ClassVar[str] = "leave"
    topic: bytes


@dataclass(frozen=True, slots=True)
class Signal:
    type: ClassVar[str] = "signal"
    topic: bytes
    to: bytes
    # Kept as the validated base64url text: the server relays it without looking inside.
    blob: str


@dataclass(frozen=True, slots=True)
class Ping:
    type: ClassVar[str] = "ping"


@dataclass(frozen=True, slots=True)
class Wake:
    type: ClassVar[str] = "wake"
    mailbox: bytes  # the mailbox id (a hash of the mailbox key), not the key itself
    # Kept as the validated base64url text: it is pushed as it is (docs/protocol.md §10).
    blob: str


@dataclass(frozen=True, slots=True)
class IceServers:
    type: ClassVar[str] = "ice-servers"


@dataclass(frozen=True, slots=True)
class MirrorServe:
    type: ClassVar[str] = "mirror-serve"
    key: bytes  # the mirror key it claims; checked against the configured one (checks.py)
    ts: int  # ms since the epoch, signed with the connection key
    sig: bytes


@dataclass(frozen=True, slots=True)
class MirrorRequest:
    type: ClassVar[str] = "mirror"
    blob: str  # relayed unread, as a signal's blob


@dataclass(frozen=True, slots=True)
class MirrorReply:
    type: ClassVar[str] = "mirror-reply"
    to: bytes
    blob: str


Frame = (
    Hello
    | Join
    | Leave
    | Signal
    | Ping
    | Wake
    | IceServers
    | MirrorServe
    | MirrorRequest
    | MirrorReply
)

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def encode_b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def signal_text(topic: str, sender: str, key: str, blob: str) -> str:
    """The `signal` frame a receiver gets, from validated base64url texts: `key` is the
    sender's connection key, so a member can answer someone it was never told of.

    Made by hand because it is the one frame of every relay: base64url needs no JSON
    escaping, so the text is the same as json.dumps would make (tests/server/test_protocol.py).
    """
    return f'{{"type":"signal","topic":"{topic}","from":"{sender}","key":"{key}","blob":"{blob}"}}'


def mirror_reply_text(blob: str) -> str:
    """The `mirror-reply` frame a requester gets, from a validated base64url blob
    (made once by the mirror's consumer, as signal_text is)."""
    return f'{{"type":"mirror-reply","blob":"{blob}"}}'


def decode_b64url(text: str) -> bytes | None:
    """Decode unpadded base64url, or None if `text` is not its canonical spelling."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # Non-zero trailing bits decode to the same bytes as the canonical spelling; a
    # round trip is the simplest exact test for them.
    if encode_b64url(raw) != text:
        return None
    return raw


# The value of each base64url character, for the canonical-spelling test below.
_B64URL_VALUE = {
    c: i
    for i, c in enumerate(string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_")
}


def b64url_length(text: str) -> int | None:
    """The byte length `text` decodes to, or None if it is not canonical unpadded base64url.

    Equivalent to `len(decode_b64url(text))` without decoding, for the blobs the server
    relays unread (a decode and re-encode were a tenth of a relay's cost).
    """
    if not _BASE64URL.fullmatch(text):
        return None
    tail = len(text) % 4
    if tail == 1:
        return None
    # The last character of a 2- or 3-character tail carries 4 or 2 unused bits, which
    # the canonical spelling leaves at zero.
    if tail and _B64URL_VALUE[text[-1]] & (0b1111 if tail == 2 else 0b11):
        return None
    return len(text) // 4 * 3 + max(0, tail - 1)


def _load_object(text: str, max_bytes: int) -> dict:
    # Measured before parsing so an oversized frame costs no JSON work; a str has at
    # least one UTF-8 byte per character, so the first test spares most encodings.
    if len(text) > max_bytes:
        raise ProtocolError(frames.FRAME_TOO_LARGE, f"frames are at most {max_bytes} bytes")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ProtocolError(frames.BAD_JSON, "not UTF-8") from None
    if size > max_bytes:
        raise ProtocolError(frames.FRAME_TOO_LARGE, f"frames are at most {max_bytes} bytes")
    try:
        obj = loads_strict(text)
    except (ValueError, RecursionError):
        raise ProtocolError(frames.BAD_JSON, "not a JSON text") from None
    if not isinstance(obj, dict):
        raise ProtocolError(frames.BAD_JSON, "not a JSON object")
    return obj


def _check_fields(obj: dict, kind: str, fields: dict[str, type]) -> None:
    problem = field_problem(obj, fields, also_allowed=("type",))
    if problem:
        raise ProtocolError(frames.BAD_FRAME, problem, kind)


def _wrong_size(code: str, name: str, sizes: Collection[int], kind: str) -> ProtocolError:
    expected = " or ".join(str(size) for size in sorted(sizes))
    return ProtocolError(code, f"{name} is not base64url of {expected} bytes", kind)


def _check_blob(value: str, sizes: Collection[int], kind: str) -> None:
    if b64url_length(value) not in sizes:
        raise _wrong_size(frames.BAD_BLOB, "blob", sizes, kind)


def _binary(value: str, sizes: Collection[int], code: str, name: str, kind: str) -> bytes:
    raw = decode_b64url(value)
    if raw is None or len(raw) not in sizes:
        raise _wrong_size(code, name, sizes, kind)
    return raw


def _parse_hello(obj: dict) -> Hello:
    # The version is looked at before the rest of the schema: a hello of another
    # version may have other fields, and its sender must learn about the version.
    version = obj.get("v")
    if isinstance(version, int) and not isinstance(version, bool):
        if version != frames.PROTOCOL_VERSION:
            raise ProtocolError(
                frames.BAD_VERSION, f"protocol version {frames.PROTOCOL_VERSION} only", "hello"
            )
    _check_fields(obj, "hello", {"v": int, "key": str})
    return Hello(key=_binary(obj["key"], (frames.KEY_BYTES,), frames.BAD_KEY, "key", "hello"))


def _topic(obj: dict, kind: str) -> bytes:
    return _binary(obj["topic"], (frames.TOPIC_BYTES,), frames.BAD_TOPIC, "topic", kind)


def _parse_join(obj: dict) -> Join:
    _check_fields(obj, "join", {"topic": str})
    return Join(topic=_topic(obj, "join"))


def _parse_leave(obj: dict) -> Leave:
    _check_fields(obj, "leave", {"topic": str})
    return Leave(topic=_topic(obj, "leave"))


def _parse_signal(obj: dict) -> Signal:
    _check_fields(obj, "signal", {"topic": str, "to": str, "blob": str})
    topic = _topic(obj, "signal")
    to = _binary(obj["to"], (frames.CONNECTION_ID_BYTES,), frames.BAD_ID, "to", "signal")
    _check_blob(obj["blob"], frames.SEALED_BLOB_BYTES, "signal")
    return Signal(topic=topic, to=to, blob=obj["blob"])


def _parse_ping(obj: dict) -> Ping:
    _check_fields(obj, "ping", {})
    return Ping()


def _parse_wake(obj: dict) -> Wake:
    _check_fields(obj, "wake", {"mailbox": str, "blob": str})
    mailbox = _binary(
        obj["mailbox"], (frames.MAILBOX_ID_BYTES,), frames.BAD_MAILBOX, "mailbox", "wake"
    )
    _check_blob(obj["blob"], (frames.WAKE_BLOB_BYTES,), "wake")
    return Wake(mailbox=mailbox, blob=obj["blob"])


def _parse_ice_servers(obj: dict) -> IceServers:
    _check_fields(obj, "ice-servers", {})
    return IceServers()


# What a JavaScript number holds exactly: a client's clock in ms fits with room to spare.
MAX_SAFE_INTEGER = 2**53 - 1


def _parse_mirror_serve(obj: dict) -> MirrorServe:
    _check_fields(obj, "mirror-serve", {"key": str, "ts": int, "sig": str})
    key = _binary(obj["key"], (frames.KEY_BYTES,), frames.BAD_KEY, "key", "mirror-serve")
    ts = obj["ts"]
    if not 0 <= ts <= MAX_SAFE_INTEGER:
        # No such ts is within 60 s of any clock: the same answer as a stale one.
        raise ProtocolError(frames.BAD_MIRROR, "ts is not a time in ms", "mirror-serve")
    sig = _binary(obj["sig"], (frames.SIGNATURE_BYTES,), frames.BAD_MIRROR, "sig", "mirror-serve")
    return MirrorServe(key=key, ts=ts, sig=sig)


def _parse_mirror(obj: dict) -> MirrorRequest:
    _check_fields(obj, "mirror", {"blob": str})
    _check_blob(obj["blob"], (frames.MIRROR_BLOB_BYTES,), "mirror")
    return MirrorRequest(blob=obj["blob"])


def _parse_mirror_reply(obj: dict) -> MirrorReply:
    _check_fields(obj, "mirror-reply", {"to": str, "blob": str})
    to = _binary(obj["to"], (frames.CONNECTION_ID_BYTES,), frames.BAD_ID, "to", "mirror-reply")
    _check_blob(obj["blob"], (frames.MIRROR_BLOB_BYTES,), "mirror-reply")
    return MirrorReply(to=to, blob=obj["blob"])


_PARSERS: dict[str, Callable[[dict], Frame]] = {
    "hello": _parse_hello,
    "join": _parse_join,
    "leave": _parse_leave,
    "signal": _parse_signal,
    "ping": _parse_ping,
    "wake": _parse_wake,
    "ice-servers": _parse_ice_servers,
    "mirror-serve": _parse_mirror_serve,
    "mirror": _parse_mirror,
    "mirror-reply": _parse_mirror_reply,
}
assert tuple(_PARSERS) == frames.CLIENT_FRAME_TYPES


def parse_frame(text: str, max_bytes: int) -> Frame:
    obj = _load_object(text, max_bytes)
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in _PARSERS:
        raise ProtocolError(frames.UNKNOWN_TYPE, "type is not a client frame type")
    return _PARSERS[kind](obj)
