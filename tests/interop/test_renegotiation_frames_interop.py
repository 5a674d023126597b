"""Renegotiation frames (`sdp`, `ice`; docs/protocol.md §6) mean the same to the browser
and to a Python peer: a Python peer cannot follow a renegotiation (it dials again
instead), but it must tell a well-formed one from a malformed one as the browser does."""

from tests.interop.test_call_frames_interop import assert_both_accept_only_the_good

SDP = {"t": "sdp", "type": "offer", "sdp": "v=0\r\n"}
ICE = {
    "t": "ice",
    "candidate": "candidate:1 1 udp 1 203.0.113.1 3478 typ relay",
    "mid": "0",
    "index": 0,
}

CASES = {
    "offer": (SDP, True),
    "answer": ({**SDP, "type": "answer"}, True),
    "longest sdp": ({**SDP, "sdp": "v" * 60_000}, True),
    "candidate": (ICE, True),
    "end of candidates": ({**ICE, "candidate": "", "mid": None, "index": None}, True),
    "last m-line": ({**ICE, "index": 63}, True),
    "rollback": ({**SDP, "type": "rollback"}, False),
    "empty sdp": ({**SDP, "sdp": ""}, False),
    "sdp too long": ({**SDP, "sdp": "v" * 60_001}, False),
    "sdp as list": ({**SDP, "sdp": ["v=0"]}, False),
    "no type": ({"t": "sdp", "sdp": "v=0"}, False),
    "candidate too long": ({**ICE, "candidate": "c" * 1025}, False),
    "mid too long": ({**ICE, "mid": "m" * 33}, False),
    "index 64": ({**ICE, "index": 64}, False),
    "negative index": ({**ICE, "index": -1}, False),
    "index as text": ({**ICE, "index": "0"}, False),
    "index true": ({**ICE, "index": True}, False),
    "extra field": ({**ICE, "ufrag": "x"}, False),
}


def test_browser_and_python_agree_on_renegotiation_frames():
    assert_both_accept_only_the_good(CASES)
