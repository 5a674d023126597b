"""Two Python RoomPeers meet through a real rendezvous server and talk over WebRTC."""

import asyncio
import contextlib
import json
from urllib.parse import urlencode

import pytest

from e2e.server import running_server
from parley_peer import webrtc
from parley_peer.data_frames import MAX_DATA_FRAME_BYTES
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.keys import (
    derive_room_keys,
    founded_room_keys,
    founded_room_secret,
    new_room_secret,
)
from parley_peer.room_peer import RoomPeer, entry_frames, parse_room

TIMEOUT_S = 20


@pytest.fixture(scope="module")
def server_url():
    with running_server() as url:
        yield url


@contextlib.asynccontextmanager
async def two_peers(server_url, **joiner_options):
    """(first, joiner): two peers of a fresh room, the joiner started second, so it is
    the one that gets the other in a `peers` frame and offers."""
    secret = new_room_secret()
    first = RoomPeer(server_url, secret, "Ada")
    joiner = RoomPeer(server_url, secret, joiner_options.pop("name", "Bob"), **joiner_options)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await first.start()
            await joiner.start()
        yield first, joiner
    finally:
        async with asyncio.timeout(TIMEOUT_S):
            await joiner.close()
            await first.close()


@pytest.fixture
async def pair(server_url):
    async with two_peers(server_url) as peers:
        yield peers


async def test_two_peers_link_up_and_greet_each_other(pair):
    first, joiner = pair
    [seen_by_first] = await first.wait_ready(1, timeout=TIMEOUT_S)
    [seen_by_joiner] = await joiner.wait_ready(1, timeout=TIMEOUT_S)
    assert seen_by_first.identity_id == joiner.identity_id
    assert seen_by_joiner.identity_id == first.identity_id
    # The joiner got the other in a `peers` frame, so it made the channel and the offer.
    assert seen_by_joiner.link.initiator and not seen_by_first.link.initiator

    _, hello = await first.next_frame("hello", timeout=TIMEOUT_S)
    assert hello["name"] == "Bob" and seen_by_first.name == "Bob"
    _, hello = await joiner.next_frame("hello", timeout=TIMEOUT_S)
    assert hello["name"] == "Ada" and seen_by_joiner.name == "Ada"
    assert first.rejections == [] and joiner.rejections == []


async def test_an_entry_made_by_one_is_opened_by_the_other(pair):
    first, joiner = pair
    await first.wait_ready(1, timeout=TIMEOUT_S)
    await joiner.wait_ready(1, timeout=TIMEOUT_S)

    entry = joiner.make_entry(joiner.message_body("Hello from Python", clock=1), seq=0)
    assert await joiner.send_entries([entry]) == 1

    _, frame = await first.next_frame("entries", timeout=TIMEOUT_S)
    [encoded] = frame["entries"]
    opened = first.open_entry(b64url_decode(encoded))
    assert opened.id == entry.id and opened.seq == 0
    assert opened.author == joiner.identity.verify_key.encode()
    assert opened.body["text"] == "Hello from Python" and opened.body["clock"] == 1


def test_entries_are_batched_under_the_frame_limits():
    entries = [bytes([n]) * 20_000 for n in range(10)]  # 26,667 base64url characters each
    frames = entry_frames(entries)
    assert [len(f["entries"]) for f in frames] == [2, 2, 2, 2, 2]
    assert all(len(json.dumps(f, separators=(",", ":"))) <= MAX_DATA_FRAME_BYTES for f in frames)
    assert [b64url_decode(e) for f in frames for e in f["entries"]] == entries
    assert [len(f["entries"]) for f in entry_frames([b"x"] * 130)] == [64, 64, 2]


async def test_a_hello_with_a_bad_link_proof_closes_the_link(server_url):
    async with two_peers(server_url, name="Eve", send_hello=False) as (honest, forger):
        async with asyncio.timeout(TIMEOUT_S):
            # Open: certificate checked, channel up, but no hello from the forger yet.
            [link_peer] = await forger.wait_for(
                lambda: [p for p in forger.peers if p.link.state == "open"] or None
            )
            hello = forger.hello_frame(link_peer)
            proof = bytearray(b64url_decode(hello["proof"]))
            proof[0] ^= 1
            hello["proof"] = b64url_encode(bytes(proof))
            assert await forger.send_frame(hello, link_peer) == 1
            [closed] = await honest.wait_for(lambda: honest.closed_peers)
    assert closed.reason == "bad_link_proof"
    assert closed.identity_id == forger.identity_id and honest.frames.empty()


@pytest.mark.parametrize(
    ("presented", "reason"),
    [("00" * 32, "certificate_mismatch"), (None, "certificate_unavailable")],
)
async def test_the_certificate_check_closes_a_link_it_cannot_vouch_for(
    server_url, monkeypatch, presented, reason
):
    # Stands in for a DTLS peer whose certificate is not the one its signed SDP named
    # (aiortc's own handshake check would stop a real one even earlier).
    monkeypatch.setattr(webrtc, "remote_certificate_fingerprint", lambda pc: presented)
    monkeypatch.setattr(webrtc, "CERTIFICATE_WAIT_S", 0.2)
    async with two_peers(server_url) as (first, joiner):
        async with asyncio.timeout(TIMEOUT_S):
            closed = [(await p.wait_for(lambda p=p: p.closed_peers))[0] for p in (first, joiner)]
        # Whichever side checks first closes the link; the other may then see it go away
        # (channel_closed) before its own check ends. Neither ever hears a frame.
        assert reason in [peer.reason for peer in closed]
        assert first.frames.empty() and joiner.frames.empty()


def test_a_room_is_read_from_an_invite_link_or_its_secret():
    secret = new_room_secret()
    fragment = urlencode({"join": b64url_encode(secret), "name": "Tea & cake"})
    link = f"http://127.0.0.1:8000/#{fragment}"
    assert parse_room(link) == (secret, "Tea & cake", None)
    assert parse_room(b64url_encode(secret)) == (secret, None, None)
    assert parse_room(secret) == (secret, None, None)
    with pytest.raises(ValueError):
        parse_room("http://127.0.0.1:8000/#name=x")
    # A founded room's invite (§2): its founder comes with it, for the keys.
    founder = bytes(range(32))
    founded = urlencode({"join": b64url_encode(secret), "founder": b64url_encode(founder)})
    assert parse_room(f"http://127.0.0.1:8000/#{founded}") == (secret, None, founder)
    peer = RoomPeer("http://127.0.0.1:9", f"http://127.0.0.1:8000/#{founded}")
    assert peer.room_keys == founded_room_keys(secret, founder)[0]
    assert (
        peer.room_keys.message_key
        == derive_room_keys(founded_room_secret(secret, founder)).message_key
    )


async def test_an_offer_to_renegotiate_is_answered_by_dialling_again(pair):
    """aiortc cannot renegotiate a live link (a browser's ICE restart, §6): the peer that
    receives the offer dials a new link, and the room goes on over it."""
    first, joiner = pair
    [old] = await first.wait_ready(1, timeout=TIMEOUT_S)
    await joiner.wait_ready(1, timeout=TIMEOUT_S)
    offer = {"t": "sdp", "type": "offer", "sdp": "v=0\r\n"}
    assert await joiner.send_frame(offer) == 1

    [new] = await first.wait_for(
        lambda: [p for p in first.peers if p.state == "ready" and p is not old] or None,
        timeout=TIMEOUT_S,
    )
    assert (old.state, old.reason) == ("closed", "renegotiation")
    assert new.link.initiator, "the peer that could not renegotiate dialled"
    assert new.identity_id == joiner.identity_id
    await joiner.wait_for(
        lambda: [p for p in joiner.peers if p.state == "ready" and p.link.remote_fingerprint
                 == new.link.local_fingerprint] or None,
        timeout=TIMEOUT_S,
    )  # fmt: skip
    entry = first.make_entry(first.message_body("over the new link", clock=1), seq=0)
    assert await first.send_entries([entry]) == 1
    _, frame = await joiner.next_frame("entries", timeout=TIMEOUT_S)
    assert joiner.open_entry(b64url_decode(frame["entries"][0])).body["text"] == "over the new link"
    assert first.rejections == [] and joiner.rejections == []


async def test_an_offer_to_renegotiate_from_a_peer_that_left_the_server_keeps_the_link(pair):
    """A new link needs the server; a peer that left it (its link still up) cannot be
    dialled again, so its offer changes nothing."""
    first, joiner = pair
    [link] = await first.wait_ready(1, timeout=TIMEOUT_S)
    await joiner.wait_ready(1, timeout=TIMEOUT_S)
    del first._swarm.announced[link.connection_id]  # as after the server's `left`
    assert await joiner.send_frame({"t": "sdp", "type": "offer", "sdp": "v=0\r\n"}) == 1
    assert await joiner.send_frame({"t": "typing", "active": True}) == 1
    await first.next_frame("typing", timeout=TIMEOUT_S)  # the offer came before it
    assert link.state == "ready" and first.peers == [link]
