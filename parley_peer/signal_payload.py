"""The JSON payload of a signaling envelope (docs/protocol.md §4): exactly one key,
``description`` (an SDP offer or answer) or ``candidate`` (an ICE candidate, or null for
end-of-candidates)."""

from typing import Any

from parley_peer.encoding import is_json_integer

_CANDIDATE_KEYS = {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}
_MAX_MLINE_INDEX = 65535


def _is_description(description: Any) -> bool:
    return (
        isinstance(description, dict)
        and set(description) == {"type", "sdp"}
        and description["type"] in ("offer", "answer")
        and isinstance(description["sdp"], str)
    )


def _is_candidate(candidate: Any) -> bool:
    if candidate is None:
        return True
    if not isinstance(candidate, dict) or not set(candidate) <= _CANDIDATE_KEYS:
        return False
    mid = candidate.get("sdpMid")
    index = candidate.get("sdpMLineIndex")
    fragment = candidate.get("usernameFragment")
    return (
        isinstance(candidate.get("candidate"), str)
        and (mid is None or isinstance(mid, str))
        and (index is None or is_json_integer(index, 0, _MAX_MLINE_INDEX))
        and (fragment is None or isinstance(fragment, str))
    )


def is_signal_payload(payload: Any) -> bool:
    if not isinstance(payload, dict) or len(payload) != 1:
        return False
    if "description" in payload:
        return _is_description(payload["description"])
    if "candidate" in payload:
        return _is_candidate(payload["candidate"])
    if "bye" in payload:  # the sender gives up the link being set up (§6, big rooms)
        return payload["bye"] == "pruned"
    return False
