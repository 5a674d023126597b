"""Bare RTCPeerConnections across the NAT lab: the reference for Parley's figures.

    timing = bare_connect(browser_a, browser_b, origin, config)  # {connect_s, pair}
    channel = LabChannel(browser_a, browser_b, origin, config)   # one data channel
    channel.transfer(total, ...) -> {mb_s, seconds, ...}         # bench.bare_channel's

Time to connect uses the lab's own bare pages (e2e/lab/bare_rtc.py): A makes its
connection and offer, B answers, Python carries both, each side gathering every
candidate before its description is handed over (no trickle). The clock runs in A's page
from just before A's `new RTCPeerConnection` to the message B sends as soon as its data
channel opens arriving at A: the channel is open both ways. Without trickle this counts
both sides' whole gathering one after the other (host, server-reflexive and relay
candidates over UDP and TCP), which a trickling app overlaps with the checks; so the
part after A is handed the answer (ICE checks, DTLS, SCTP, the channel) is noted too.

The transfer pushes bytes over one ordered, reliable data channel between pages in two
homes' browsers, with the sender, receiver and backpressure of bench/bare_channel.py
(the reference of `python -m bench.files`), only with the lab's ICE servers.
"""

from bench.bare_channel import OPEN_JS, PATH_JS, BareChannel
from e2e.lab.bare_rtc import dial, open_page

# In A's page, before dial(): note when A's connection is made, when it is connected, and
# when B's message arrives (B sends it the moment its channel opens). Absolute times
# (timeOrigin + now), comparable across pages of one machine.
_CLOCK_JS = """() => {
  const now = () => performance.timeOrigin + performance.now();
  const make = window.makeLabPeer;
  window.makeLabPeer = (config, name) => {
    window.benchStartAt = now();
    const lab = make(config, name);
    const accept = lab.pc.setRemoteDescription.bind(lab.pc);
    lab.pc.setRemoteDescription = (answer) => {
      window.benchAnswerAt = now();
      return accept(answer);
    };
    lab.pc.addEventListener('connectionstatechange', () => {
      if (lab.pc.connectionState === 'connected') window.benchConnectedAt ??= now();
    });
    lab.message.then(() => { window.benchMessageAt = now(); });
    return lab;
  };
}"""

_TIMES_JS = """() => ({ start: window.benchStartAt, answer: window.benchAnswerAt,
                        connected: window.benchConnectedAt, message: window.benchMessageAt })"""


def bare_connect(browser_a, browser_b, origin: str, config: dict) -> dict:
    """One bare pair from nothing to B's message at A; seconds and the selected pair."""
    page_a, page_b = open_page(browser_a, origin), open_page(browser_b, origin)
    try:
        page_a.evaluate(_CLOCK_JS)
        outcome_a, outcome_b = dial(page_a, page_b, config).outcomes()
        if outcome_a.received is None or outcome_b.received is None:
            raise RuntimeError(f"bare pair did not connect:\n{outcome_a}\n{outcome_b}")
        times = page_a.evaluate(_TIMES_JS)
        return {
            "connect_s": round((times["message"] - times["start"]) / 1000, 4),
            "after_answer_s": round((times["message"] - times["answer"]) / 1000, 4),
            "ice_connected_s": round((times["connected"] - times["start"]) / 1000, 4),
            "pair": list(outcome_a.pair_types),
        }
    finally:
        page_a.close()
        page_b.close()


# bench.bare_channel's CONNECT_JS with an RTCConfiguration: the same globals
# (benchPc, benchChannel) that its OPEN_JS, SEND_JS, RECEIVE_JS and PATH_JS read.
_CONNECT_JS = """async ([config, offer]) => {
  const pc = new RTCPeerConnection(config);
  window.benchPc = pc;
  const gathered = new Promise((resolve) => {
    const done = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', done);
  });
  if (offer) {
    window.benchChannel = new Promise((resolve) => {
      pc.addEventListener('datachannel', ({ channel }) => resolve(channel));
    });
    await pc.setRemoteDescription(offer);
  } else {
    window.benchChannel = Promise.resolve(pc.createDataChannel('bench', { ordered: true }));
  }
  await pc.setLocalDescription();
  await gathered;
  return pc.localDescription.toJSON();
}"""


class LabChannel(BareChannel):
    """bench.bare_channel's channel, its two pages in two homes' browsers."""

    def __init__(self, sender_browser, receiver_browser, origin: str, config: dict):
        self.contexts = []
        self.sender = open_page(sender_browser, origin)
        self.receiver = open_page(receiver_browser, origin)
        try:
            offer = self.sender.evaluate(_CONNECT_JS, [config, None])
            answer = self.receiver.evaluate(_CONNECT_JS, [config, offer])
            self.sender.evaluate(OPEN_JS, answer)
            self.receiver.evaluate(OPEN_JS, None)
            self.path = self.sender.evaluate(PATH_JS)
        except BaseException:
            self.close()
            raise

    def close(self):
        self.sender.close()
        self.receiver.close()
