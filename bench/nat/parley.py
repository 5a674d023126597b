"""Parley across the NAT lab: two users connecting in a room, and a file between them.

    pair = ParleyPair(nat_lab, "cone_a", "cone_b")   # Ada onboarded, Bo onboarded
    timing = pair.connect()     # Bo opens Ada's invite: {invite_to_ready_s, dial_to_ready_s}
    pair.send_file(path)        # Ada offers a file, Bo downloads it: {mb_s, ...}
    pair.close()

Each pair is two fresh browser contexts (one in each home's Chromium) on the lab's
Parley server that offers STUN and TURN, both onboarded before the clock starts. Ada
makes a room; Bo opens the invite link in a new tab (Parley runs in one tab at a time,
so Bo's onboarding tab is closed first), as bench/connect.py does. Two figures, both in
the pages' own clocks (timeOrigin + now, one machine's clock for both pages):

- invite -> ready: from the invite tab's navigation start (its time origin: a load of
  the app from the context's cache, rendezvous, join, ICE servers, dial, handshake) to
  Ada shown in Bo's room as ready (`[data-testid="peer"][data-state="ready"]`, the
  first message deliverable);
- dial -> ready: from the first `new RTCPeerConnection` of either page for this link to
  the same end; what compares with the bare pair's connect time.

The file goes as in `python -m bench.files` (its `one_file`): timed in Bo's page from
Bo's first `want` on the file channel to the file card shown done (redrawn at most every
200 ms); the time Ada takes to hash and encrypt the file before offering it is not
counted. The caller sends a warm-up file first on the link.
"""

from pathlib import Path

from bench.bare_channel import MB
from bench.files import FIRST_WANT_JS, one_file
from e2e.lab.rtc_watch import peer_connections, watch_peer_connections

# Every page of both contexts, before the app: when each RTCPeerConnection is made, and
# when a peer is first shown ready.
_CLOCK_JS = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const Native = window.RTCPeerConnection;
  window.__benchPcMadeAt = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      window.__benchPcMadeAt.push(now());
      super(...args);
    }
  };
  const ready = () => {
    if (window.__benchReadyAt) return;
    if (document.querySelector('[data-testid="peer"][data-state="ready"]')) {
      window.__benchReadyAt = now();
    }
  };
  new MutationObserver(ready).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
  });
})();"""

_TIMES_JS = """() => ({ origin: performance.timeOrigin, made: window.__benchPcMadeAt ?? [],
                        ready: window.__benchReadyAt ?? null })"""


class ParleyPair:
    """Ada in `home_a`, Bo in `home_b`, onboarded on the lab's Parley with TURN."""

    def __init__(self, nat_lab, home_a: str, home_b: str):
        from e2e.user import User

        origin = nat_lab.parley("stun_and_turn")
        self.contexts = []
        try:
            for home in (home_a, home_b):
                context = nat_lab.browser(home).new_context(base_url=origin)
                self.contexts.append(context)
                watch_peer_connections(context)
                context.add_init_script(_CLOCK_JS)
            self.contexts[1].add_init_script(FIRST_WANT_JS)
            self.ada = User(self.contexts[0].new_page(), origin)
            self.bo = User(self.contexts[1].new_page(), origin)
            self.ada.onboard("Ada")
            self.bo.onboard("Bo")
            self.bo.page.close()
        except BaseException:
            self.close()
            raise

    def connect(self) -> dict:
        from e2e.user import User

        link = self.ada.create_room("Bench")
        self.bo = User(self.contexts[1].new_page(), self.ada.server_url)
        self.bo.page.goto(link)
        self.bo.wait_for_peers(1)
        ada, bo = self.ada.page.evaluate(_TIMES_JS), self.bo.page.evaluate(_TIMES_JS)
        # Ada's page has made no connection before this room, Bo's new tab none before
        # the invite.
        dialled_at = min(ada["made"] + bo["made"])
        return {
            "invite_to_ready_s": round((bo["ready"] - bo["origin"]) / 1000, 4),
            "dial_to_ready_s": round((bo["ready"] - dialled_at) / 1000, 4),
            "pair": self.selected_pair(),
        }

    def selected_pair(self) -> list[str] | None:
        connected = [c for c in peer_connections(self.bo.page) if c["state"] == "connected"]
        if len(connected) != 1 or not connected[0]["pair"]:
            return None
        pair = connected[0]["pair"]
        return [pair["local"]["type"], pair["remote"]["type"]]

    def send_file(self, path: Path) -> dict:
        measured = one_file(self.ada, self.bo, path)
        size = path.stat().st_size
        return {
            "bytes": size,
            "seconds": round(measured["seconds"], 3),
            "mb_s": round(size / measured["seconds"] / MB, 2),
            "timed_from": measured["timed_from"],
            "pair": self.selected_pair(),
        }

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except Exception as error:  # noqa: BLE001 - the other contexts still close
                print(f"closing a bench context failed: {error!r}")
