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

LOCAL_TRACKS = """() => window.__tracks.map((t) => ({
  kind: t.kind, state: t.readyState, enabled: t.enabled }))"""


def signal_count(user) -> int:
    return sum(1 for _, text in user.frames if json.loads(text).get("type") == "signal")


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


def local_tracks(user):
    return user.page.evaluate(LOCAL_TRACKS)


def two_in_a_room(new_user):
    ada = new_user()
    ada.page.add_init_script(WATCH_MEDIA)
    ada.onboard("Ada")
    link = ada.create_room("Calls")
    bob = new_user()
    bob.page.add_init_script(WATCH_MEDIA)
    bob.onboard("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    return ada, bob


def test_video_call_mute_camera_and_hang_up_without_the_server(new_user):
    ada, bob = two_in_a_room(new_user)
    signals = (signal_count(ada), signal_count(bob))

    ada.page.get_by_test_id("call-video").click()
    expect(ada.page.get_by_test_id("call-view")).to_have_attribute("data-phase", "outgoing")
    bob_call = bob.page.get_by_test_id("call-view")
    expect(bob_call).to_have_attribute("data-phase", "incoming", timeout=TIMEOUT_MS)
    expect(bob.page.get_by_test_id("call-status")).to_contain_text("Ada is calling you (video)")
    bob.page.get_by_test_id("call-accept").click()
    for user in (ada, bob):
        expect(user.page.get_by_test_id("call-view")).to_have_attribute("data-phase", "active")

    expect_flowing(ada)
    expect_flowing(bob)
    for user in (ada, bob):  # the other person's video is shown, not their initial
        expect(user.page.locator(".call-tile-remote")).to_have_class(re.compile("has-video"))
    assert (signal_count(ada), signal_count(bob)) == signals, "renegotiated through the server"

    # Mute: Ada's microphone track is disabled (it sends silence).
    ada.page.get_by_test_id("call-mute").click()
    expect(ada.page.get_by_test_id("call-mute")).to_have_attribute("aria-pressed", "true")
    audio = [t for t in local_tracks(ada) if t["kind"] == "audio"]
    assert audio and not any(t["enabled"] for t in audio if t["state"] == "live")

    # Camera off: Ada's camera is released and Bob stops receiving her video.
    ada.page.get_by_test_id("call-camera").click()
    expect(ada.page.get_by_test_id("call-camera")).to_have_text("Camera on")
    assert all(t["state"] == "ended" for t in local_tracks(ada) if t["kind"] == "video")
    expect_not_flowing(bob, "video")
    expect(bob.page.locator(".call-tile-remote")).not_to_have_class(re.compile("has-video"))

    # Camera back on: a new track, renegotiated on the link, never through the server.
    ada.page.get_by_test_id("call-camera").click()
    expect(ada.page.get_by_test_id("call-camera")).to_have_text("Camera off")
    expect_flowing(bob)
    assert (signal_count(ada), signal_count(bob)) == signals, "renegotiated through the server"

    ada.page.get_by_test_id("call-hangup").click()
    expect(ada.page.get_by_test_id("call-status")).to_have_text("Call ended")
    for user in (ada, bob):
        # Shown as ended for a moment, then gone; every device track stopped.
        expect(user.page.get_by_test_id("call-view")).to_be_hidden(timeout=TIMEOUT_MS)
        tracks = local_tracks(user)
        assert tracks and all(t["state"] == "ended" for t in tracks), tracks
    assert (signal_count(ada), signal_count(bob)) == signals

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
        expect(user.page.get_by_test_id("call-view")).to_be_hidden(timeout=TIMEOUT_MS)


def test_a_second_call_on_the_same_link(new_user):
    ada, bob = two_in_a_room(new_user)
    signals = (signal_count(ada), signal_count(bob))
    for caller, callee in ((ada, bob), (bob, ada)):
        caller.page.get_by_test_id("call-voice").click()
        expect(callee.page.get_by_test_id("call-accept")).to_be_visible(timeout=TIMEOUT_MS)
        callee.page.get_by_test_id("call-accept").click()
        expect_flowing(caller, kinds=("audio",))
        expect_flowing(callee, kinds=("audio",))
        callee.page.get_by_test_id("call-hangup").click()
        for user in (ada, bob):
            expect(user.page.get_by_test_id("call-view")).to_be_hidden(timeout=TIMEOUT_MS)
    assert all(t["state"] == "ended" for user in (ada, bob) for t in local_tracks(user))
    assert (signal_count(ada), signal_count(bob)) == signals
