"""The reference for bench.files: a bare data channel between two pages of one browser.

    channel = BareChannel(browser)        # two contexts, one ordered reliable channel
    channel.transfer(total, size, high, low) -> {mb_s, heap_peak_mb, ...}
    reference_run(browser, ...)           # a new connection, a warm-up, the timed run

Python passes the offer and the answer (each with every candidate) between the pages, so
no server is needed. The sender sends from one reused buffer of random bytes with
backpressure; the receiver counts bytes and checks a sequence number in each message,
and samples its JS heap.
"""

import time

from bench import cpu_threads

MB = 1_000_000
MIB = 1 << 20
MAX_MESSAGE = 262_144  # a data channel message over this is refused here
SWEEP_SIZES = [16_384, 65_536, 131_072, 196_608, MAX_MESSAGE]

# Both roles: make the peer connection, wait for ICE gathering to finish (so the
# description carries every candidate and Python passes it once), return it.
CONNECT_JS = """async (offer) => {
  const pc = new RTCPeerConnection();
  window.benchPc = pc;
  const gathered = new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  if (offer) {
    window.benchChannel = new Promise((resolve) => {
      pc.addEventListener('datachannel', ({ channel }) => resolve(channel));
    });
    await pc.setRemoteDescription(offer);
  } else {
    window.benchChannel = Promise.resolve(
      pc.createDataChannel('bench', { ordered: true }));
  }
  await pc.setLocalDescription();
  await gathered;
  return pc.localDescription.toJSON();
}"""

OPEN_JS = """async (answer) => {
  if (answer) await window.benchPc.setRemoteDescription(answer);
  const channel = await window.benchChannel;
  channel.binaryType = 'arraybuffer';
  if (channel.readyState !== 'open') {
    await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
  }
  window.benchChannel = channel;
}"""

# Receiver: count bytes, check the sequence number each message starts with, sample the
# heap every 32 messages and every 50 ms. Returns at once; RECEIVED_JS waits for the end.
RECEIVE_JS = """(total) => {
  const channel = window.benchChannel;
  const heap = () => performance.memory.usedJSHeapSize;
  const state = { bytes: 0, messages: 0, outOfOrder: 0, heapBefore: heap(), heapPeak: 0 };
  state.heapPeak = state.heapBefore;
  const sample = () => { state.heapPeak = Math.max(state.heapPeak, heap()); };
  const timer = setInterval(sample, 50);
  window.benchReceived = new Promise((resolve) => {
    channel.onmessage = ({ data }) => {
      if (new DataView(data).getUint32(0) !== state.messages) state.outOfOrder++;
      state.messages++;
      state.bytes += data.byteLength;
      if ((state.messages & 31) === 0) sample();
      if (state.bytes >= total) {
        channel.onmessage = null;
        clearInterval(timer);
        sample();
        resolve(state);
      }
    };
  });
}"""

RECEIVED_JS = "() => window.benchReceived"

# The start both senders share (this one and bench/floor_channel.py's): `randomBytes(n)`
# makes a buffer of random bytes; `drained()` waits for 'bufferedamountlow' (at `low`)
# and counts the waits in `waits`. A sender calls it while bufferedAmount is over `high`.
SENDER_START_JS = """
  const channel = window.benchChannel;
  const randomBytes = (length) => {
    const bytes = new Uint8Array(length);
    for (let at = 0; at < length; at += 65536) {
      crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65536)));
    }
    return bytes;
  };
  channel.bufferedAmountLowThreshold = low;
  let waits = 0;
  const drained = () => {
    waits++;
    return new Promise((resolve) => {
      channel.addEventListener('bufferedamountlow', resolve, { once: true });
    });
  };
"""

# Sender: one buffer of random bytes, reused; each message starts with its sequence
# number. Sends while bufferedAmount is at or under the high-water mark, then waits for
# 'bufferedamountlow'. Resolves when everything is handed to the channel.
SEND_JS = (
    "async ({ total, size, high, low }) => {"
    + SENDER_START_JS
    + """
  const buffer = randomBytes(size);
  const view = new DataView(buffer.buffer);
  let sent = 0;
  let sequence = 0;
  while (sent < total) {
    if (channel.bufferedAmount > high) await drained();
    const length = Math.min(size, total - sent);
    view.setUint32(0, sequence++);
    channel.send(length === size ? buffer : buffer.subarray(0, length));
    sent += length;
  }
  return { waits };
}"""
)

# Which candidate pair carries the data: shows the reference and Parley use the same path.
PATH_JS = """async () => {
  const stats = await window.benchPc.getStats();
  for (const report of stats.values()) {
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      const local = stats.get(pair.localCandidateId);
      const remote = stats.get(pair.remoteCandidateId);
      return `${local.candidateType}/${local.protocol} -> ${remote.candidateType}`;
    }
  }
  return 'unknown';
}"""


class BareChannel:
    """Two pages in two contexts of one browser, one data channel between them."""

    def __init__(self, browser, page_url: str | None = None):
        """`page_url`: the pages load it first (an origin for storage and workers)."""
        self.contexts = [browser.new_context(bypass_csp=page_url is not None) for _ in range(2)]
        self.sender, self.receiver = (context.new_page() for context in self.contexts)
        if page_url:
            for page in (self.sender, self.receiver):
                page.goto(page_url)
        offer = self.sender.evaluate(CONNECT_JS, None)
        answer = self.receiver.evaluate(CONNECT_JS, offer)
        self.sender.evaluate(OPEN_JS, answer)
        self.receiver.evaluate(OPEN_JS, None)
        self.path = self.sender.evaluate(PATH_JS)

    def transfer(self, total: int, size: int, high: int, low: int) -> dict:
        self.receiver.evaluate(RECEIVE_JS, total)
        start = time.perf_counter()
        sent = self.sender.evaluate(
            SEND_JS, {"total": total, "size": size, "high": high, "low": low}
        )
        received = self.receiver.evaluate(RECEIVED_JS)
        elapsed = time.perf_counter() - start
        if received["bytes"] != total or received["outOfOrder"]:
            raise RuntimeError(f"bare channel lost or reordered data: {received}")
        return {
            "bytes": total,
            "message_size": size,
            "seconds": round(elapsed, 3),
            "mb_s": round(total / elapsed / MB, 2),
            "heap_before_mb": round(received["heapBefore"] / MB, 2),
            "heap_peak_mb": round(received["heapPeak"] / MB, 2),
            "backpressure_waits": sent["waits"],
        }

    def close(self):
        for context in self.contexts:
            context.close()


def timed_run(channel: "BareChannel", transfer, total: int, warmup: int, cpu: bool) -> dict:
    """On a fresh connection: `transfer(warmup)`, then `transfer(total)` timed (with the CPU
    seconds it cost, thread by thread, if `cpu`: bench/cpu_threads.py). Closes it."""
    try:
        transfer(warmup)
        before = cpu_threads.snapshot() if cpu else None
        result = transfer(total)
        if before is not None:
            spent = cpu_threads.difference(before, cpu_threads.snapshot())
            result["cpu"] = dict(cpu_threads.by_thread(spent))
        result["path"] = channel.path
        return result
    finally:
        channel.close()


def reference_run(
    browser, total: int, warmup: int, size: int, high: int, low: int, cpu: bool = False
) -> dict:
    """A fresh connection, a warm-up transfer on it, then the timed transfer."""
    channel = BareChannel(browser)
    return timed_run(
        channel, lambda count: channel.transfer(count, size, high, low), total, warmup, cpu
    )


def sweep(browser, total: int, warmup: int, high: int, low: int) -> list[dict]:
    """Message sizes compared on one warmed-up connection, each size twice, interleaved."""
    channel = BareChannel(browser)
    rows = {size: [] for size in SWEEP_SIZES}
    try:
        channel.transfer(warmup, MAX_MESSAGE, high, low)
        for _ in range(2):
            for size in SWEEP_SIZES:
                rows[size].append(channel.transfer(total, size, high, low)["mb_s"])
    finally:
        channel.close()
    return [{"message_size": size, "mb_s": rates} for size, rates in rows.items()]
