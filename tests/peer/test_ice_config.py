"""parley_peer.ice without a server: what an `ice-servers` answer may hold, and what the
peer does when the answer is bad, late or refused."""

import asyncio

import pytest
from aiortc import RTCIceTransportPolicy

from parley_peer import ice as ice_module
from parley_peer.ice import (
    EXPIRED_RETRY_S,
    MIN_RENEW_S,
    BadAnswer,
    IceConfig,
    IceServers,
    parse_answer,
)
from parley_peer.signaling import SignalingError

STUN = {"urls": ["stun:turn.example.org:3478"]}
TURN = {
    "urls": [
        "turn:turn.example.org:3478?transport=udp",
        "turns:turn.example.org:443?transport=tcp",
    ],
    "username": "1800000000:AAECAwQFBgcICQoLDA0ODw",
    "credential": "jFsxFDBg2RyZQwslcd27/eyu1Js=",
}


def test_a_good_answer_becomes_rtc_ice_servers():
    parsed = parse_answer({"servers": [STUN, TURN], "expires": 1800000000})
    stun, turn = parsed.servers
    assert stun.urls == STUN["urls"] and stun.username is None and stun.credential is None
    assert (turn.urls, turn.username, turn.credential) == (
        TURN["urls"],
        TURN["username"],
        TURN["credential"],
    )
    assert parsed.expires == 1800000000
    assert parse_answer({"servers": [], "expires": None}) == IceServers((), None)


@pytest.mark.parametrize(
    "answer",
    [
        {"servers": "stun:x", "expires": None},
        {"servers": [STUN] * 9, "expires": None},
        {"servers": [STUN], "expires": "soon"},
        {"servers": [STUN], "expires": True},
        {"servers": [{"urls": []}], "expires": None},
        {"servers": [{"urls": ["http://x"]}], "expires": None},
        {"servers": [{"urls": ["stun:x"] * 9}], "expires": None},
        {"servers": [{"urls": ["stun:x"], "extra": 1}], "expires": None},
        {"servers": [{**TURN, "credential": "x" * 600}], "expires": None},
        {"servers": [{**TURN, "username": 7}], "expires": None},
        {"servers": [["stun:x"]], "expires": None},
        # As the browser refuses them: TURN without its credential or an expiry.
        {"servers": [{"urls": TURN["urls"]}], "expires": 1800000000},
        {"servers": [{**TURN, "username": None}], "expires": 1800000000},
        {"servers": [TURN], "expires": None},
        {"servers": [TURN], "expires": 0},
    ],
)
def test_a_malformed_answer_is_refused(answer):
    with pytest.raises(BadAnswer):
        parse_answer(answer)


class FakeSignaling:
    """Answers request_ice_servers with the next of `answers` (an exception is raised)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = 0

    async def request_ice_servers(self, timeout):  # noqa: ASYNC109 (SignalingClient's)
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


async def test_a_refusal_a_timeout_or_a_bad_answer_keeps_the_servers_held():
    good = ([STUN, TURN], 1800000000)
    signaling = FakeSignaling(
        good,
        SignalingError("ice_rate_limited"),
        TimeoutError(),
        ([{"urls": ["bogus"]}], None),
        ConnectionError("closed"),
    )
    ice = IceConfig(signaling, relay_only=True)
    held = await ice.refresh()
    for _ in range(4):
        assert await ice.refresh() == held
    assert signaling.asked == 5
    configuration = ice.rtc_configuration()
    assert len(configuration.iceServers) == 2
    assert configuration.iceTransportPolicy == RTCIceTransportPolicy.RELAY


def test_renewal_comes_at_three_quarters_of_the_time_left_and_never_in_a_loop():
    ice = IceConfig(FakeSignaling(), clock=lambda: 1000.0)
    assert ice.renew_in() is None  # no TURN, nothing expires
    ice.current = IceServers((), 1000 + 3600)
    assert ice.renew_in() == 2700
    ice.current = IceServers((), 1000 + 8)  # refused so far: closer, never in a loop
    assert ice.renew_in() == MIN_RENEW_S
    ice.current = IceServers((), 1000 + 60)  # a fresh one-minute credential: at 3/4
    assert ice.renew_in() == 45
    ice.current = IceServers((), 900)  # expired, or a server that says so
    assert ice.renew_in() == EXPIRED_RETRY_S


async def test_renewal_asks_only_while_there_are_links(monkeypatch):
    now = [1000.0]
    links = [False]
    signaling = FakeSignaling(([TURN], 1000 + 4), ([TURN], 1000 + 4))
    ice = IceConfig(signaling, has_links=lambda: links[0], clock=lambda: now[0])
    await ice.refresh()
    sleeps = []

    async def no_sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
        links[0] = len(sleeps) >= 2  # no links at the first renewal, links at the second
        if len(sleeps) == 3:
            raise asyncio.CancelledError

    monkeypatch.setattr(ice_module.asyncio, "sleep", no_sleep)
    with pytest.raises(asyncio.CancelledError):
        await ice._renew()
    assert signaling.asked == 2  # the first refresh, and the renewal once links existed
