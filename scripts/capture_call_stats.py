"""Capture real Chromium WebRTC stats into tests/js/fixtures/chromium-call-stats.json.

    .venv/bin/python scripts/capture_call_stats.py [--chromium /usr/bin/chromium]

Two RTCPeerConnections in one page exchange fake-device audio and video; the caller's
getStats() report is read twice, about a second apart, once media has flowed for a few
seconds. The fixture keeps only the stats types and fields static/app/calls/call-stats.js
reads (plus type, id, kind, timestamp), so tests of it run on the shapes Chromium really
produces rather than on what we believe it produces. Rerun it when Chromium's stats change.
"""

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "js" / "fixtures" / "chromium-call-stats.json"

# getUserMedia needs a secure context: http://127.0.0.1 is one, a data: URL is not.
PAGE = b"""<!doctype html><meta charset="utf-8"><title>stats</title><script type="module">
const a = new RTCPeerConnection();
const b = new RTCPeerConnection();
a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
// Chromium only measures inbound audio energy for audio it plays out.
a.ontrack = (e) => {
  if (e.track.kind !== 'audio') return;
  const audio = document.body.appendChild(document.createElement('audio'));
  audio.srcObject = e.streams[0];
  audio.play();
};
// Both sides send, so each has inbound and outbound RTP like a real call.
for (const pc of [a, b]) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
}
await a.setLocalDescription();
await b.setRemoteDescription(a.localDescription);
await b.setLocalDescription();
await a.setRemoteDescription(b.localDescription);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(3000);
const first = [...(await a.getStats()).values()];
await sleep(1000);
const second = [...(await a.getStats()).values()];
window.captured = [first, second];
</script>"""

KEEP = {
    "inbound-rtp": [
        "kind",
        "bytesReceived",
        "packetsReceived",
        "packetsLost",
        "totalAudioEnergy",
        "totalSamplesDuration",
        "trackIdentifier",
    ],
    "outbound-rtp": ["kind", "bytesSent"],
    "media-source": ["kind", "totalAudioEnergy", "totalSamplesDuration"],
    "transport": ["selectedCandidatePairId"],
    "candidate-pair": ["state", "nominated", "currentRoundTripTime"],
    "remote-inbound-rtp": ["kind", "roundTripTime"],
}


class Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def trim(report):
    kept = []
    for stats in report:
        fields = KEEP.get(stats["type"])
        if fields is None:
            continue
        kept.append(
            {
                "type": stats["type"],
                "id": stats["id"],
                "timestamp": stats["timestamp"],
                **{f: stats[f] for f in fields if f in stats},
            }
        )
    return kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium,
                args=[
                    "--no-sandbox",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    "--autoplay-policy=no-user-gesture-required",
                ],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_function("window.captured", timeout=30_000)
            reports = page.evaluate("window.captured")
            version = browser.version
            browser.close()
    finally:
        server.shutdown()
    fixture = {"browser": f"Chromium {version}", "reports": [trim(r) for r in reports]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
