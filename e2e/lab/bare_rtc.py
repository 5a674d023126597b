"""Bare RTCPeerConnections between two lab pages, Python carrying offer and answer.

    page_server = start_page_server(lab)            # an empty page on 203.0.113.1:8080
    a, b = connect(page_a, page_b, config_a, config_b)
    a.state == "connected"; a.pair == ("srflx", "srflx"); b.remote_candidates ...

No Parley code runs here: these pages prove the lab itself (NAT kinds, STUN, TURN,
relay-only policy) so that a Parley journey that fails in the lab fails for Parley's
reasons. Each side gathers all its candidates before its description is handed over
(no trickle), opens a data channel and sends one message; `Outcome` is what each page
saw once its connection is `connected` (and the message arrived) or `failed`.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from e2e.lab.netns import LabError, inside, run
from e2e.lab.topology import SERVER_ADDRESS, Lab

PAGE_PORT = 8080
PAGE_ORIGIN = f"http://{SERVER_ADDRESS}:{PAGE_PORT}"
PROBE = Path(__file__).with_name("probe.py")
GATHER_TIMEOUT_MS = 10_000
OUTCOME_TIMEOUT_MS = 60_000

_PEER = """
window.makeLabPeer = (config, name) => {
  const pc = new RTCPeerConnection(config);
  const lab = { pc, name, gathered: [], iceErrors: [], received: null, remoteSdp: null };
  pc.onicecandidate = (e) => e.candidate && lab.gathered.push(e.candidate.candidate);
  pc.onicecandidateerror = (e) =>
    lab.iceErrors.push({ url: e.url, code: e.errorCode, text: e.errorText });
  // The dialling end greets when its channel opens; the other end answers the greeting.
  // It must not greet on its own: Chromium hands it the channel already open but drops
  // what is sent on it until the stream underneath is open (docs/protocol.md §6, link
  // authentication), and a greeting lost that way would fail the test by chance.
  lab.message = new Promise((resolve) => {
    lab.useChannel = (channel, { dialling }) => {
      if (dialling) channel.onopen = () => channel.send('hello from ' + name);
      channel.onmessage = (e) => {
        if (!dialling && lab.received === null) channel.send('hello from ' + name);
        resolve((lab.received = e.data));
      };
    };
  });
  pc.ondatachannel = (e) => lab.useChannel(e.channel, { dialling: false });
  lab.gatheringDone = () => new Promise((resolve, reject) => {
    const done = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', done);
    done();
    setTimeout(() => reject(new Error('ICE gathering not complete in time')), GATHER_TIMEOUT_MS);
  });
  window.lab = lab;
  return lab;
};
""".replace("GATHER_TIMEOUT_MS", str(GATHER_TIMEOUT_MS))

_OFFER = """async ([config, name]) => {
  const lab = makeLabPeer(config, name);
  lab.useChannel(lab.pc.createDataChannel('lab'), { dialling: true });
  await lab.pc.setLocalDescription();
  await lab.gatheringDone();
  return { type: lab.pc.localDescription.type, sdp: lab.pc.localDescription.sdp };
}"""

_ANSWER = """async ([config, name, offer]) => {
  const lab = makeLabPeer(config, name);
  lab.remoteSdp = offer.sdp;
  await lab.pc.setRemoteDescription(offer);
  await lab.pc.setLocalDescription();
  await lab.gatheringDone();
  return { type: lab.pc.localDescription.type, sdp: lab.pc.localDescription.sdp };
}"""

_ACCEPT = """async (answer) => {
  window.lab.remoteSdp = answer.sdp;
  await window.lab.pc.setRemoteDescription(answer);
}"""

_OUTCOME = """async (timeoutMs) => {
  const { pc } = window.lab;
  const settled = () => ['connected', 'failed', 'closed'].includes(pc.connectionState);
  await new Promise((resolve) => {
    if (settled()) return resolve();
    pc.addEventListener('connectionstatechange', () => settled() && resolve());
    setTimeout(resolve, timeoutMs);
  });
  const state = pc.connectionState;
  if (state === 'connected') {
    await Promise.race([window.lab.message, new Promise((r) => setTimeout(r, timeoutMs))]);
  }
  const stats = await pc.getStats();
  const candidate = (s) => s && { type: s.candidateType, address: s.address, port: s.port,
                                  relatedAddress: s.relatedAddress ?? null };
  let pair = null;
  const remoteCandidates = [];
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const selected = stats.get(s.selectedCandidatePairId);
      pair = { local: candidate(stats.get(selected.localCandidateId)),
               remote: candidate(stats.get(selected.remoteCandidateId)) };
    }
    if (s.type === 'remote-candidate') remoteCandidates.push(candidate(s));
  });
  const { gathered, iceErrors, received, remoteSdp } = window.lab;
  return { state, pair, remoteCandidates, gathered, iceErrors, received, remoteSdp };
}"""


_WAIT_FOR_STATE = """async ([states, timeoutMs]) => {
  const { pc } = window.lab;
  await new Promise((resolve) => {
    const reached = () => states.includes(pc.connectionState) && resolve();
    pc.addEventListener('connectionstatechange', reached);
    reached();
    setTimeout(resolve, timeoutMs);
  });
  return pc.connectionState;
}"""


def wait_for_state(page, *states: str, timeout_ms: int = OUTCOME_TIMEOUT_MS) -> str:
    """The page's connection state once it is one of `states` (or at the deadline)."""
    return page.evaluate(_WAIT_FOR_STATE, [list(states), timeout_ms])


@dataclass
class Outcome:
    """What one page saw of its connection."""

    name: str
    state: str  # connected, failed, closed, or still checking at the deadline
    pair: dict | None  # the selected candidate pair: {"local": candidate, "remote": ...}
    remote_candidates: list[dict] = field(default_factory=list)  # getStats, as it got them
    gathered: list[str] = field(default_factory=list)  # its own candidate lines
    ice_errors: list[dict] = field(default_factory=list)  # icecandidateerror events
    received: str | None = None  # the other page's data channel message
    remote_sdp: str = ""

    @property
    def pair_types(self) -> tuple[str, str] | None:
        return (self.pair["local"]["type"], self.pair["remote"]["type"]) if self.pair else None

    @property
    def relayed(self) -> bool:
        return self.pair is not None and "relay" in self.pair_types

    def gathered_types(self) -> set[str]:
        return {_candidate_type(line) for line in self.gathered}

    def remote_sdp_candidate_types(self) -> set[str]:
        return {
            _candidate_type(line)
            for line in self.remote_sdp.splitlines()
            if line.startswith("a=candidate:")
        }

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.state}, pair {self.pair}, gathered {self.gathered}, "
            f"ICE errors {self.ice_errors}, received {self.received!r}"
        )


def only_candidate(address: str, port: int):
    """A rewrite_answer that leaves one host candidate, at address:port."""

    def rewrite(sdp: str) -> str:
        lines = [line for line in sdp.split("\r\n") if not line.startswith("a=candidate:")]
        at = next(i for i, line in enumerate(lines) if line.startswith("a=ice-ufrag:"))
        lines.insert(at, f"a=candidate:1 1 udp 2113937151 {address} {port} typ host")
        return "\r\n".join(lines)

    return rewrite


def _candidate_type(line: str) -> str:
    words = line.split()
    return words[words.index("typ") + 1]


def open_page(browser, origin: str = PAGE_ORIGIN):
    page = browser.new_page()
    page.goto(origin + "/")
    page.evaluate(_PEER)
    return page


def dial(
    page_a, page_b, config_a: dict, config_b: dict | None = None, *, rewrite_answer=None
) -> "Dialled":
    """Offer from a, answer from b, each with its RTCConfiguration (b's defaults to a's);
    the pages go on connecting while Python dials other pairs. `rewrite_answer(sdp)`
    changes what a is told (a peer that lies about its candidates)."""
    offer = page_a.evaluate(_OFFER, [config_a, "a"])
    answer = page_b.evaluate(_ANSWER, [config_b if config_b is not None else config_a, "b", offer])
    if rewrite_answer:
        answer = {**answer, "sdp": rewrite_answer(answer["sdp"])}
    page_a.evaluate(_ACCEPT, answer)
    return Dialled(page_a, page_b)


@dataclass(frozen=True)
class Dialled:
    page_a: object
    page_b: object

    def outcomes(self) -> tuple["Outcome", "Outcome"]:
        """Wait until both pages' connections are settled (or the deadline passed)."""
        return _outcome(self.page_a, "a"), _outcome(self.page_b, "b")


def connect(page_a, page_b, config_a: dict, config_b: dict | None = None):
    """dial(...) and wait for both outcomes."""
    return dial(page_a, page_b, config_a, config_b).outcomes()


def _outcome(page, name: str) -> Outcome:
    seen = page.evaluate(_OUTCOME, OUTCOME_TIMEOUT_MS)
    return Outcome(
        name,
        seen["state"],
        seen["pair"],
        seen["remoteCandidates"],
        seen["gathered"],
        seen["iceErrors"],
        seen["received"],
        seen["remoteSdp"] or "",
    )


def start_page_server(lab: Lab) -> str:
    """Serve an empty page from the public namespace; its origin."""
    root = lab.directory / "page"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>NAT lab</title>\n")
    argv = [sys.executable, "-m", "http.server", str(PAGE_PORT), "--bind", SERVER_ADDRESS,
            "--directory", str(root)]  # fmt: skip
    process = lab.start(lab.public, argv, "page-server")
    try:
        run(*inside(lab.public, sys.executable, str(PROBE), "http", SERVER_ADDRESS, str(PAGE_PORT)))
    except LabError as error:
        raise LabError(
            f"{error}\npage server ({process.poll()}):\n{lab.log('page-server')}"
        ) from None
    return PAGE_ORIGIN
