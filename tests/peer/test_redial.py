"""The Python peer dials again by the rules the browser uses (static/app/peers/redial.js;
docs/protocol.md §6, "Dialling again")."""

import os

import pytest

from parley_peer.redial import (
    MAX_REDIALS,
    dialled_at_once,
    dials_again,
    is_fresh_offer,
    redial_delay_s,
    should_redial,
)

FAILURE = dict(reason="timeout", we_dial=True, announced=True, twin_ready=False, attempts=0)


def sdp(fingerprint: str) -> str:
    return f"v=0\r\na=fingerprint:sha-256 {fingerprint}\r\n"


def offer(fingerprint: str) -> dict:
    return {"description": {"type": "offer", "sdp": sdp(fingerprint)}}


@pytest.mark.parametrize(
    "reason",
    ["timeout", "connection_failed", "negotiation_failed", "certificate_unavailable",
     "channel_closed", "unauthenticated"],
)  # fmt: skip
def test_failures_that_may_pass_are_dialled_again(reason):
    assert should_redial(**{**FAILURE, "reason": reason})


@pytest.mark.parametrize(
    "reason",
    ["left", "duplicate", "reconnected", "redialled", "closed", "bad_link_proof",
     "certificate_mismatch", "misbehaving", "identity_changed", "signal_too_large"],
)  # fmt: skip
def test_what_the_peer_did_or_chose_is_not_dialled_again(reason):
    assert not should_redial(**{**FAILURE, "reason": reason})


def test_not_while_another_ready_link_reaches_the_same_person():
    assert not should_redial(**{**FAILURE, "reason": "channel_closed", "twin_ready": True})


def test_one_end_only_while_the_peer_is_in_the_room_and_three_times_in_a_row():
    assert not should_redial(**{**FAILURE, "we_dial": False})
    assert not should_redial(**{**FAILURE, "announced": False})
    assert should_redial(**{**FAILURE, "attempts": MAX_REDIALS - 1})
    assert not should_redial(**{**FAILURE, "attempts": MAX_REDIALS})
    for _ in range(20):
        a, b = os.urandom(32), os.urandom(32)
        assert dials_again(a, b) != dials_again(b, a)


def test_the_waits_double_with_a_quarter_of_jitter_either_way():
    assert [redial_delay_s(n, lambda: 0.5) for n in range(3)] == [1.0, 2.0, 4.0]
    assert redial_delay_s(0, lambda: 0.0) == 0.75
    assert redial_delay_s(2, lambda: 1.0) == 5.0


def test_an_offer_with_another_certificate_than_the_link_negotiated_is_fresh():
    assert is_fresh_offer(offer("AA:BB"), sdp("AA:CC"))
    assert not is_fresh_offer(offer("AA:BB"), sdp("aa:bb"))  # a renegotiation
    assert not is_fresh_offer({"description": {"type": "answer", "sdp": sdp("AA:BB")}}, sdp("CC"))
    assert not is_fresh_offer(offer("AA:BB"), None)  # nothing negotiated yet
    assert not is_fresh_offer({"candidate": None}, sdp("AA:CC"))


def test_an_offer_that_meets_our_unanswered_dial_at_the_polite_end_is_a_dial_at_once():
    offer = {"description": {"type": "offer", "sdp": sdp("AA:BB")}}
    waiting = dict(polite=True, initiator=True, remote_sdp=None)
    assert dialled_at_once(offer, **waiting)
    assert not dialled_at_once(offer, **{**waiting, "polite": False})  # keeps its own
    assert not dialled_at_once(offer, **{**waiting, "initiator": False})
    assert not dialled_at_once(offer, **{**waiting, "remote_sdp": sdp("AA:CC")})  # answered
    answer = {"description": {"type": "answer", "sdp": sdp("AA:BB")}}
    assert not dialled_at_once(answer, **waiting)
    assert not dialled_at_once({"candidate": {"candidate": ""}}, **waiting)
