"""Frames of the `parley` data channel (docs/protocol.md §6 and §8).

``parse_data_frame(text)`` returns the frame as a dict or raises ``DataFrameError`` with
code ``too_large``, ``malformed`` or ``unknown_type``. ``encode_data_frame`` is the
honest writer: it refuses to send what a peer would have to reject.
"""

import re
from collections.abc import Callable
from typing import Any

from parley_peer.encoding import b64url_decode, dump_json_utf8, is_json_integer, parse_json_utf8
from parley_peer.entry_body import FILE_FORMAT_V2, MAX_FILE_BYTES, MAX_TIMESTAMP_MS
from parley_peer.errors import EncodingError, ProtocolError
from parley_peer.link_proof import PROOF_BYTES

MAX_DATA_FRAME_BYTES = 65_536
MAX_NAME_LENGTH = 64
MAX_ACK_IDS = 64
MAX_HEADS = 256
MAX_WANT_SPAN = 512
MAX_ENTRIES_PER_FRAME = 64
MAX_SAFE_INTEGER = 2**53 - 1
CALL_ACTIONS = ("invite", "accept", "present", "decline", "busy", "hangup")
_CALL_ID = re.compile(r"[A-Za-z0-9_-]{22}")
# A media stream id as in the SDP's msid (RFC 8830: 1..64 token characters).
_STREAM_ID = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,64}")
ID_BYTES = 32
CONNECTION_ID_BYTES = 16
CONNECTION_KEY_BYTES = 32
MAX_MEMBERS_PER_FRAME = 16
MAX_SDP_LENGTH = 60_000
MAX_CANDIDATE_LENGTH = 1_024
MAX_MID_LENGTH = 32
MAX_MLINE_INDEX = 63
MIRROR_ROLE = "mirror"  # the optional `role` of a blind mirror's hello (§12)


class DataFrameError(ProtocolError):
    pass


def _is_bytes(value: Any, length: int) -> bool:
    try:
        b64url_decode(value, length)
    except EncodingError:
        return False
    return True


def _is_id(value: Any) -> bool:
    return _is_bytes(value, ID_BYTES)


def _is_connection(peer: Any) -> bool:
    return (
        isinstance(peer, dict)
        and set(peer) == {"id", "key"}
        and _is_bytes(peer["id"], CONNECTION_ID_BYTES)
        and _is_bytes(peer["key"], CONNECTION_KEY_BYTES)
    )


def _is_b64url(value: Any) -> bool:
    try:
        return len(b64url_decode(value)) > 0
    except EncodingError:
        return False


def _is_call_id(value: Any) -> bool:
    return isinstance(value, str) and _CALL_ID.fullmatch(value) is not None


def _is_list(value: Any, low: int, high: int, item: Callable[[Any], bool]) -> bool:
    return isinstance(value, list) and low <= len(value) <= high and all(map(item, value))


def _is_head(head: Any) -> bool:
    return (
        isinstance(head, dict)
        and set(head) == {"author", "length", "head"}
        and _is_id(head["author"])
        and _is_id(head["head"])
        and is_json_integer(head["length"], 1, MAX_SAFE_INTEGER)
    )


def _is_want(frame: dict) -> bool:
    start, end = frame["from"], frame["to"]
    return (
        is_json_integer(start, 0, MAX_SAFE_INTEGER)
        and is_json_integer(end, 1, MAX_SAFE_INTEGER)
        and start < end <= start + MAX_WANT_SPAN
    )


# type -> (fields besides `t`, check of the whole frame once the fields are present)
_SCHEMAS: dict[str, tuple[set[str], Callable[[dict], bool]]] = {
    "hello": (
        {"v", "name", "proof"},
        # Display names count code points, like every text length of §7.
        lambda f: (
            f["v"] == 1
            and not isinstance(f["v"], bool)
            and isinstance(f["name"], str)
            and len(f["name"]) <= MAX_NAME_LENGTH
            and _is_bytes(f["proof"], PROOF_BYTES)
            # A blind mirror says so (§12): members do not take it for a person.
            and f.get("role", MIRROR_ROLE) == MIRROR_ROLE
        ),
    ),
    # An empty ack says nothing; the browser never sends one and rejects it.
    "ack": ({"ids"}, lambda f: _is_list(f["ids"], 1, MAX_ACK_IDS, _is_id)),
    # Empty heads are allowed: a peer that holds nothing still answers a new link.
    "heads": ({"heads"}, lambda f: _is_list(f["heads"], 0, MAX_HEADS, _is_head)),
    "want": ({"author", "from", "to"}, lambda f: _is_id(f["author"]) and _is_want(f)),
    "entries": (
        {"entries"},
        lambda f: _is_list(f["entries"], 1, MAX_ENTRIES_PER_FRAME, _is_b64url),
    ),
    "typing": ({"active"}, lambda f: isinstance(f["active"], bool)),
    # Calls (§6): a Python peer never joins one, but it knows the frames of those who do,
    # so a call in its room is not taken for misbehaviour.
    "call": (
        {"id", "action", "video"},
        lambda f: (
            _is_call_id(f["id"]) and f["action"] in CALL_ACTIONS and isinstance(f["video"], bool)
        ),
    ),
    "call-media": (
        {"id", "mic", "camera", "screen"},
        lambda f: (
            _is_call_id(f["id"])
            and isinstance(f["mic"], bool)
            and isinstance(f["camera"], bool)
            and (
                f["screen"] is None
                or (isinstance(f["screen"], str) and _STREAM_ID.fullmatch(f["screen"]))
            )
        ),
    ),
    # Renegotiation (§6): aiortc cannot restart ICE or renegotiate a live link, so a Python
    # peer answers a peer's offer by dialling it again (swarm.py) and drops the rest.
    "sdp": (
        {"type", "sdp"},
        lambda f: (
            f["type"] in ("offer", "answer")
            and isinstance(f["sdp"], str)
            and 0 < len(f["sdp"]) <= MAX_SDP_LENGTH
        ),
    ),
    "ice": (
        {"candidate", "mid", "index"},
        lambda f: (
            isinstance(f["candidate"], str)
            and len(f["candidate"]) <= MAX_CANDIDATE_LENGTH
            and (
                f["mid"] is None or (isinstance(f["mid"], str) and len(f["mid"]) <= MAX_MID_LENGTH)
            )
            and (f["index"] is None or is_json_integer(f["index"], 0, MAX_MLINE_INDEX))
        ),
    ),
    # The last frame on a link its sender drops for a newer device of our identity (§6).
    "bye": ({"reason"}, lambda f: f["reason"] in ("duplicate", "pruned")),
    "members": (
        {"peers"},
        lambda f: _is_list(f["peers"], 1, MAX_MEMBERS_PER_FRAME, _is_connection),
    ),
    # A member hands a blind mirror the sealed wake of a member who is away, to push once
    # it holds the entry (§12).
    "wake": (
        {"entry", "mailbox", "blob"},
        lambda f: _is_id(f["entry"]) and _is_bytes(f["mailbox"], 32) and _is_bytes(f["blob"], 1072),
    ),
    # A member asks a blind mirror to keep a file's chunks (§12).
    # Its `format` is there when the file's chunk format is not 1 (§11), its `expires`
    # (ms) when the file's entry disappears (§7 "Disappearing messages").
    "keep": (
        {"root", "size"},
        lambda f: (
            _is_bytes(f["root"], 32)
            and is_json_integer(f["size"], 0, MAX_FILE_BYTES)
            and is_json_integer(f.get("format", FILE_FORMAT_V2), FILE_FORMAT_V2, FILE_FORMAT_V2)
            and is_json_integer(f.get("expires", 1), 1, MAX_TIMESTAMP_MS)
        ),
    ),
}
DATA_FRAME_TYPES = tuple(_SCHEMAS)
# Fields a frame may carry besides its required ones (checked by the frame's check).
_OPTIONAL: dict[str, set[str]] = {"hello": {"role"}, "keep": {"format", "expires"}}


def parse_data_frame(text: str | bytes) -> dict:
    if not isinstance(text, str):
        raise DataFrameError("malformed", "binary message on the control channel")
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_DATA_FRAME_BYTES:
        raise DataFrameError("too_large")
    try:
        frame = parse_json_utf8(data)
    except EncodingError as error:
        raise DataFrameError("malformed", "not JSON") from error
    if not isinstance(frame, dict):
        raise DataFrameError("malformed", "not an object")
    if not isinstance(frame.get("t"), str) or frame["t"] not in _SCHEMAS:
        raise DataFrameError("unknown_type")
    fields, valid = _SCHEMAS[frame["t"]]
    present = set(frame) - _OPTIONAL.get(frame["t"], set())
    if present != fields | {"t"} or not valid(frame):
        raise DataFrameError("malformed", f"bad {frame['t']} frame")
    return frame


def encode_data_frame(frame: dict) -> str:
    text = dump_json_utf8(frame).decode()
    parse_data_frame(text)
    return text
