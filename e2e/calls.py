"""What the call tests share: a watch on the page's peer connections and device tracks
(injected before the app loads), what getStats says is flowing, and the steps of
getting people into a room and into a call."""

import json
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


# A sealed envelope of the smallest size (1,072 bytes, §4) holds an ICE candidate; an SDP
# with media (a call's offer or answer, several KB) needs a larger one.
SMALLEST_SEALED_CHARACTERS = 1430


def signal_count(user) -> int:
    """Envelopes big enough for a call's SDP that this page sent or received through the
    server. Candidates are left out: the links' own can still trickle in after they are
    ready (their gathering ends later on a busy machine), and say nothing of a call."""
    return sum(
        1
        for _, text in user.frames
        if (frame := json.loads(text)).get("type") == "signal"
        and len(frame.get("blob", "")) > SMALLEST_SEALED_CHARACTERS
    )


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
