"""Calls between two people: media on the peer link itself, renegotiated over its own data
channel (mute, camera, screen, devices, ICE restart), declined and repeated calls."""

import json
import re
import time

from playwright.sync_api import expect

from e2e.calls import (
    REMOTE_UFRAG,
    WATCH_MEDIA,
    call_view,
    expect_flowing,
    expect_not_flowing,
    expect_streams,
    joined,
    local_tracks,
    relayed,
    ring_and_accept,
    signal_count,
    tile_of,
    two_in_a_room,
)
from e2e.user import TIMEOUT_MS


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
    # The call is one line in each history, from each one's side.
    expect(ada.page.get_by_test_id("call-event-text")).to_have_text(
        "You started a video call · Bob joined", timeout=TIMEOUT_MS
    )
    expect(bob.page.get_by_test_id("call-event-text")).to_have_text(
        "Ada started a video call · You joined", timeout=TIMEOUT_MS
    )
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
    # Her own small tile stays, her initial instead of her picture.
    own = ada.page.locator('[data-testid="call-tile"][data-self="true"]')
    expect(own).to_be_visible()
    expect(own.locator(".call-avatar")).to_be_visible()

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

    # Still one line per history, now with the call's length.
    for user, other in ((ada, "Bob"), (bob, "Ada")):
        line = user.page.get_by_test_id("call-event-text")
        summary = re.compile(rf"Video call with {other} · \d+:\d\d")
        expect(line).to_have_text(summary, timeout=TIMEOUT_MS)
        expect(user.page.get_by_test_id("call-event")).to_have_count(1)

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

    # Escape closes the menu, and never ends the call (V still works, Bob sees it).
    panel = ada.page.get_by_test_id("call-devices").locator(".call-devices-panel")
    expect(panel).to_be_visible()
    microphone.focus()
    ada.page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    ada.page.keyboard.press("Escape")
    ada.page.keyboard.press("v")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "false", timeout=TIMEOUT_MS)
    ada.page.keyboard.press("v")
    expect(tile_of(bob, "Ada")).to_have_attribute("data-video", "true", timeout=TIMEOUT_MS)
    # A click outside closes it too.
    ada.page.get_by_test_id("call-devices").locator("summary").click()
    expect(panel).to_be_visible()
    ada.page.get_by_test_id("call-status").click()
    expect(panel).to_be_hidden()

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


# What a phone browser is like: no screen capture (Chrome on Android has no getDisplayMedia).
NO_SCREEN_CAPTURE = "delete MediaDevices.prototype.getDisplayMedia;"


def test_no_screen_share_button_where_the_browser_cannot_share_a_screen(new_user):
    ada = joined(new_user, "Ada")
    link = ada.create_room("Phones")
    bob = new_user()
    bob.page.add_init_script(WATCH_MEDIA)
    bob.page.add_init_script(NO_SCREEN_CAPTURE)
    bob.onboard("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ring_and_accept(ada, [bob], button="call-voice")
    for user in (ada, bob):
        expect(call_view(user)).to_have_attribute("data-phase", "active")
    expect(ada.page.get_by_test_id("call-screen")).to_be_visible()
    expect(bob.page.get_by_test_id("call-screen")).to_have_count(0)
    expect(bob.page.get_by_test_id("call-mute")).to_be_visible()
    bob.page.get_by_test_id("call-hangup").click()
