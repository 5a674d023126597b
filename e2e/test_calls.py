"""Calls: media on the peer link itself, renegotiated over its own data channel."""

import json
import re
import time

from playwright.sync_api import expect

from e2e.user import TIMEOUT_MS

# Every RTCPeerConnection and every track the page gets from its devices, for getStats
# and to check that hanging up releases the devices. Injected before the app loads.
WATCH_MEDIA = """(() => {
  window.__pcs = [];
  window.__tracks = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    window.__tracks.push(...stream.getTracks());
    return stream;
  };
})();"""

INBOUND = """async () => {
  const bytes = { audio: 0, video: 0 };
  for (const pc of window.__pcs) {
    if (pc.connectionState !== 'connected') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp') bytes[r.kind] += r.bytesReceived || 0;
    });
  }
  return bytes;
}"""

# Bytes received per inbound stream (each remote audio or video track), by stream id.
INBOUND_STREAMS = """async () => {
  const streams = {};
  for (const [i, pc] of window.__pcs.entries()) {
    if (pc.connectionState !== 'connected') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp') streams[`${i}/${r.kind}/${r.ssrc}`] = r.bytesReceived || 0;
    });
  }
  return streams;
}"""

# The ICE username fragment the peer uses now: an ICE restart changes it.
REMOTE_UFRAG = """() => {
  const pc = window.__pcs.find((p) => p.connectionState === 'connected');
  return /a=ice-ufrag:(\\S+)/.exec(pc.currentRemoteDescription.sdp)[1];
}"""

LOCAL_TRACKS = """() => window.__tracks.map((t) => ({
  kind: t.kind, state: t.readyState, enabled: t.enabled }))"""


def signal_count(user) -> int:
    return sum(1 for _, text in user.frames if json.loads(text).get("type") == "signal")


def relayed(user) -> int:
    """Every frame between this page and the server but keep-alives."""
    return sum(1 for _, text in user.frames if json.loads(text).get("type") not in ("ping", "pong"))


def inbound(user):
    return user.page.evaluate(INBOUND)


def expect_flowing(user, kinds=("audio", "video")):
    first = inbound(user)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(1)
        later = inbound(user)
        if all(later[kind] > first[kind] for kind in kinds):
            return later
        first = later
    raise AssertionError(f"no inbound {kinds} bytes: {first}\n{user.everyone()}")


def expect_not_flowing(user, kind):
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        first = inbound(user)[kind]
        time.sleep(1.5)
        if inbound(user)[kind] == first:
            return
    raise AssertionError(f"inbound {kind} keeps flowing\n{user.everyone()}")


def streams_flowing(user) -> dict[str, int]:
    """How many remote streams of each kind keep receiving bytes over two seconds."""
    first = user.page.evaluate(INBOUND_STREAMS)
    time.sleep(2)
    later = user.page.evaluate(INBOUND_STREAMS)
    counts = {"audio": 0, "video": 0}
    for key, value in later.items():
        if value > first.get(key, value):
            counts[key.split("/")[1]] += 1
    return counts


def expect_streams(user, audio: int, video: int):
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    counts = {}
    while time.monotonic() < deadline:
        counts = streams_flowing(user)
        if counts == {"audio": audio, "video": video}:
            return
    raise AssertionError(
        f"expected {audio} audio and {video} video streams, got {counts}\n{user.everyone()}"
    )


def local_tracks(user):
    return user.page.evaluate(LOCAL_TRACKS)


def joined(new_user, name, link=None):
    user = new_user()
    user.page.add_init_script(WATCH_MEDIA)
    user.onboard(name)
    if link:
        user.open_invite(link)
    return user


def two_in_a_room(new_user):
    ada = joined(new_user, "Ada")
    link = ada.create_room("Calls")
    bob = joined(new_user, "Bob", link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    return ada, bob


def three_in_a_room(new_user, room):
    ada = joined(new_user, "Ada")
    link = ada.create_room(room)
    bob = joined(new_user, "Bob", link)
    cy = joined(new_user, "Cy", link)
    for user in (ada, bob, cy):
        user.wait_for_peers(2)
    return ada, bob, cy, link


def call_view(user):
    return user.page.get_by_test_id("call-view")


def tile_of(user, name):
    """The camera tile of someone else in the call."""
    return user.page.locator(
        '[data-testid="call-tile"][data-kind="camera"][data-self="false"]'
    ).filter(has_text=name)


def call_events(user) -> list[str]:
    return user.page.get_by_test_id("call-event-text").all_inner_texts()


def ring_and_accept(caller, callees, button="call-video"):
    caller.page.get_by_test_id(button).click()
    expect(call_view(caller)).to_have_attribute("data-phase", "outgoing")
    for callee in callees:
        expect(call_view(callee)).to_have_attribute("data-phase", "incoming", timeout=TIMEOUT_MS)
        callee.page.get_by_test_id("call-accept").click()
    for user in (caller, *callees):
        expect(call_view(user)).to_have_attribute("data-phase", "active", timeout=TIMEOUT_MS)


def test_video_call_mute_camera_and_hang_up_without_the_server(new_user):
    ada, bob = two_in_a_room(new_user)
    signals = (signal_count(ada), signal_count(bob))

    ada.page.get_by_test_id("call-video").click()
    expect(call_view(ada)).to_have_attribute("data-phase", "outgoing")
    expect(call_view(bob)).to_have_attribute("data-phase", "incoming", timeout=TIMEOUT_MS)
    expect(bob.page.get_by_test_id("call-status")).to_contain_text("Ada is calling you (video)")
    expect(bob.page.get_by_test_id("call-accept")).to_be_focused()
    bob.page.get_by_test_id("call-accept").click()
    for user in (ada, bob):
        expect(call_view(user)).to_have_attribute("data-phase", "active")

    expect_flowing(ada)
    expect_flowing(bob)
    # The other person's video is shown, not their initial.
    expect(tile_of(ada, "Bob")).to_have_attribute("data-video", "true")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "true")
    assert (signal_count(ada), signal_count(bob)) == signals, "renegotiated through the server"

    # The fake microphone beeps: Bob sees Ada speak, from the audio levels of getStats.
    expect(tile_of(bob, "Ada")).to_have_attribute("data-speaking", "true", timeout=TIMEOUT_MS)
    # The quality view: numbers from getStats.
    tile_of(bob, "Ada").get_by_test_id("quality-badge").click()
    details = tile_of(bob, "Ada").get_by_test_id("quality-details")
    expect(details).to_contain_text("kbps", timeout=TIMEOUT_MS)
    expect(details).to_contain_text("ms")
    expect(tile_of(bob, "Ada").get_by_test_id("quality-badge")).to_have_attribute(
        "data-grade", re.compile("good|fair|poor")
    )

    # Mute: Ada's microphone track is disabled (it sends silence), Bob sees her muted and silent.
    ada.page.get_by_test_id("call-mute").click()
    expect(ada.page.get_by_test_id("call-mute")).to_have_attribute("aria-pressed", "true")
    audio = [t for t in local_tracks(ada) if t["kind"] == "audio"]
    assert audio and not any(t["enabled"] for t in audio if t["state"] == "live")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-mic", "false")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-speaking", "false", timeout=TIMEOUT_MS)
    for _ in range(6):  # and stays silent: the beeps are gone
        time.sleep(0.5)
        assert tile_of(bob, "Ada").get_attribute("data-speaking") == "false"

    # Camera off: Ada's camera is released and Bob stops receiving her video.
    ada.page.get_by_test_id("call-camera").click()
    expect(ada.page.get_by_test_id("call-camera")).to_have_text("Camera on")
    assert all(t["state"] == "ended" for t in local_tracks(ada) if t["kind"] == "video")
    expect_not_flowing(bob, "video")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "false")

    # Camera back on: a new track, renegotiated on the link, never through the server.
    ada.page.get_by_test_id("call-camera").click()
    expect(ada.page.get_by_test_id("call-camera")).to_have_text("Camera off")
    expect_flowing(bob)
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "true")
    assert (signal_count(ada), signal_count(bob)) == signals, "renegotiated through the server"

    ada.page.get_by_test_id("call-hangup").click()
    expect(ada.page.get_by_test_id("call-status")).to_have_text("Call ended")
    for user in (ada, bob):
        # Shown as ended for a moment, then gone; every device track stopped.
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
        tracks = local_tracks(user)
        assert tracks and all(t["state"] == "ended" for t in tracks), tracks
    assert (signal_count(ada), signal_count(bob)) == signals

    # The call is in both histories: started, joined, and ended with its length.
    for user in (ada, bob):
        expect(user.page.get_by_test_id("call-event")).to_have_count(3, timeout=TIMEOUT_MS)
    assert call_events(ada)[:2] == ["You started a video call", "Bob joined the call"], call_events(
        ada
    )
    assert call_events(bob)[:2] == ["Ada started a video call", "You joined the call"], call_events(
        bob
    )
    assert re.fullmatch(r"Call ended · \d+:\d\d", call_events(bob)[2]), call_events(bob)

    # The link still carries the chat.
    bob.send("after the call")
    ada.expect_message("after the call", author="Bob")


def test_declined_call_rings_no_more_and_releases_devices(new_user):
    ada, bob = two_in_a_room(new_user)
    ada.page.get_by_test_id("call-voice").click()
    ringing = bob.page.get_by_test_id("call-status")
    expect(ringing).to_contain_text("Ada is calling you (voice)", timeout=TIMEOUT_MS)
    bob.page.get_by_test_id("call-decline").click()
    expect(ada.page.get_by_test_id("call-status")).to_have_text("Call declined")
    assert all(t["state"] == "ended" for t in local_tracks(ada))
    assert local_tracks(bob) == []
    for user in (ada, bob):
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)


def test_a_second_call_on_the_same_link(new_user):
    ada, bob = two_in_a_room(new_user)
    signals = (signal_count(ada), signal_count(bob))
    for caller, callee in ((ada, bob), (bob, ada)):
        ring_and_accept(caller, [callee], button="call-voice")
        expect_flowing(caller, kinds=("audio",))
        expect_flowing(callee, kinds=("audio",))
        callee.page.get_by_test_id("call-hangup").click()
        for user in (ada, bob):
            expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
    assert all(t["state"] == "ended" for user in (ada, bob) for t in local_tracks(user))
    assert (signal_count(ada), signal_count(bob)) == signals


def test_group_call_of_three_and_joining_a_running_call(new_user):
    ada, bob, cy, link = three_in_a_room(new_user, "Group")
    signals = [signal_count(user) for user in (ada, bob, cy)]

    ring_and_accept(ada, [bob, cy])
    # A mesh: everyone receives the two others' audio and video, each on its own link.
    for user in (ada, bob, cy):
        expect_streams(user, audio=2, video=2)
        expect(user.page.get_by_test_id("call-tile")).to_have_count(3)
        expect(user.page.get_by_test_id("call-stage")).to_have_attribute("data-layout", "grid")
        expect(
            user.page.locator('[data-testid="call-tile"][data-self="false"][data-video="true"]')
        ).to_have_count(2)
    expect(bob.page.get_by_test_id("call-status")).to_have_text(
        re.compile(r"In a call with 2 people · \d+:\d\d")
    )

    # Cy leaves; the call goes on for two, and Cy's room offers to join it again.
    cy.page.get_by_test_id("call-hangup").click()
    expect(call_view(cy)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob):
        expect(user.page.get_by_test_id("call-tile")).to_have_count(2, timeout=TIMEOUT_MS)
        expect_streams(user, audio=1, video=1)
    banner = cy.page.get_by_test_id("call-banner")
    expect(banner).to_contain_text("Video call in progress · 2 people")
    cy.page.get_by_test_id("call-join").click()
    expect(call_view(cy)).to_have_attribute("data-phase", "active")
    for user in (ada, bob, cy):
        expect_streams(user, audio=2, video=2)
    assert [signal_count(user) for user in (ada, bob, cy)] == signals, (
        "call set up through the server"
    )

    # Ada and Bob hang up; alone, Cy's call ends by itself.
    for user in (ada, bob):
        user.page.get_by_test_id("call-hangup").click()
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
    expect(call_view(cy)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob, cy):
        assert all(t["state"] == "ended" for t in local_tracks(user))
        expect(user.page.get_by_test_id("call-event").last).to_contain_text(
            "Call ended", timeout=TIMEOUT_MS
        )
        # Nobody is left in it: no room offers to join it any more.
        expect(user.page.get_by_test_id("call-banner")).to_be_hidden()
    events = call_events(ada)
    assert events[0] == "You started a video call", events
    assert events.count("Cy joined the call") == 2 and "Bob joined the call" in events, events


def test_screen_share_and_device_switch_renegotiate_on_the_link_only(new_user):
    ada, bob = two_in_a_room(new_user)
    ring_and_accept(ada, [bob])
    expect_streams(bob, audio=1, video=1)
    before = (relayed(ada), relayed(bob))

    # Headless Chromium captures a fake screen: sharing adds a track, so a renegotiation.
    ada.page.get_by_test_id("call-screen").click()
    expect(ada.page.get_by_test_id("call-screen")).to_have_text("Stop sharing")
    screen = bob.page.locator('[data-testid="call-tile"][data-kind="screen"]')
    expect(screen).to_contain_text("Ada’s screen", timeout=TIMEOUT_MS)
    expect(screen).to_have_attribute("data-video", "true", timeout=TIMEOUT_MS)
    expect_streams(bob, audio=1, video=2)
    expect(bob.page.get_by_test_id("call-stage")).to_have_attribute("data-layout", "screen")

    ada.page.get_by_test_id("call-screen").click()
    expect(screen).to_have_count(0, timeout=TIMEOUT_MS)
    expect_streams(bob, audio=1, video=1)

    # Another camera: the new track replaces the old one on the sender, the old one stops.
    ada.page.get_by_test_id("call-devices").locator("summary").click()
    camera = ada.page.get_by_test_id("device-camera")
    expect(camera.locator("option")).to_have_count(3)
    expect(camera).to_be_enabled()
    other = camera.locator("option", has_text="fake_device_2").get_attribute("value")
    camera.select_option(other)
    ada.page.wait_for_function(
        """(id) => window.__tracks.some((t) => t.kind === 'video' && t.readyState === 'live'
             && t.getSettings().deviceId === id)""",
        arg=other,
        timeout=TIMEOUT_MS,
    )
    live_video = [t for t in local_tracks(ada) if t["kind"] == "video" and t["state"] == "live"]
    assert len(live_video) == 1, local_tracks(ada)
    expect_streams(bob, audio=1, video=1)
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "true")

    # A new microphone, too.
    microphone = ada.page.get_by_test_id("device-microphone")
    mic = microphone.locator("option").nth(1).get_attribute("value")
    microphone.select_option(mic)
    ada.page.wait_for_function(
        """(id) => window.__tracks.some((t) => t.kind === 'audio' && t.readyState === 'live'
             && t.getSettings().deviceId === id)""",
        arg=mic,
        timeout=TIMEOUT_MS,
    )
    expect_streams(bob, audio=1, video=1)

    # An ICE restart: new ICE credentials, negotiated on the link's channel as well.
    ufrag = ada.page.evaluate(REMOTE_UFRAG)
    ada.page.evaluate(
        "() => window.__pcs.find((pc) => pc.connectionState === 'connected').restartIce()"
    )
    changed = f"() => ({REMOTE_UFRAG})() !== {json.dumps(ufrag)}"
    ada.page.wait_for_function(changed, timeout=TIMEOUT_MS)
    expect_streams(bob, audio=1, video=1)
    expect_streams(ada, audio=1, video=1)

    # Not one frame through the rendezvous server for any of it.
    assert (relayed(ada), relayed(bob)) == before
    ada.page.get_by_test_id("call-hangup").click()
    for user in (ada, bob):
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
        assert all(t["state"] == "ended" for t in local_tracks(user)), local_tracks(user)


GRID_COLUMNS = """() => getComputedStyle(document.querySelector('[data-testid="call-stage"]'))
  .gridTemplateColumns.split(' ').length"""


def test_four_people_and_a_latecomer_who_hears_of_the_call_from_its_members(new_user):
    ada, bob, cy, link = three_in_a_room(new_user, "Four")
    ring_and_accept(ada, [bob, cy], button="call-video")

    # Dee comes into the room on a phone after the call started: nobody rings her, but
    # each member's `present` on the new link tells her a call is running.
    dee = new_user()
    dee.page.add_init_script(WATCH_MEDIA)
    dee.page.set_viewport_size({"width": 390, "height": 844})
    dee.onboard("Dee")
    dee.open_invite(link)
    dee.wait_for_peers(3)
    expect(dee.page.get_by_test_id("call-banner")).to_contain_text(
        "Video call in progress · 3 people", timeout=TIMEOUT_MS
    )
    expect(call_view(dee)).to_be_hidden()
    dee.page.get_by_test_id("call-join").click()
    for user in (ada, bob, cy, dee):
        expect_streams(user, audio=3, video=3)
        expect(user.page.get_by_test_id("call-tile")).to_have_count(4)
    # Four tiles: two columns on a desktop and on a phone alike.
    assert ada.page.evaluate(GRID_COLUMNS) == 2
    assert dee.page.evaluate(GRID_COLUMNS) == 2
    expect(dee.page.get_by_test_id("call-status")).to_contain_text("In a call with 3 people")

    # The keyboard: M mutes, Escape leaves the call; the three others go on.
    dee.page.get_by_test_id("call-hangup").focus()
    dee.page.keyboard.press("m")
    expect(dee.page.get_by_test_id("call-mute")).to_have_attribute("aria-pressed", "true")
    expect(tile_of(ada, "Dee")).to_have_attribute("data-mic", "false")
    expect(dee.page.get_by_test_id("call-mute")).to_be_attached()
    dee.page.keyboard.press("Escape")
    expect(call_view(dee)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob, cy):
        expect(user.page.get_by_test_id("call-tile")).to_have_count(3, timeout=TIMEOUT_MS)
