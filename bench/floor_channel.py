"""The floor for bench.files: a bare data channel plus the least work a verified, stored
transfer cannot do without, and nothing of Parley's.

    floor_run(browser, page_url, total, warmup, size, high, low, cpu) -> {mb_s, ...}

The pages and the channel are the reference's (bench/bare_channel.py), on a page of the
server's origin (storage and workers need one). Per message, on top of the reference:

- the sender seals a chunk with AES-256-GCM (WebCrypto, as chunk format 2), up to 8
  ahead of the channel, from one reused buffer of random bytes (Parley reads the file
  from storage too: not counted here), and sends the sealed chunk as it is: the ordered
  channel numbers the messages, and the number is the IV;
- the receiver starts each message's SHA-256 (a Merkle leaf; the comparison with the
  proof is left out) and its opening as it arrives, takes the results in order, and
  hands the plaintext to a worker that writes it to OPFS through a sync access handle,
  in writes of at least 2 MiB from one reused buffer (as Parley's file worker gathers
  them), flushed at the end.

The clock runs from the first send to the worker's answer that the last byte is
written; the run fails unless every byte was opened (a message out of order does not
open) and written. Whatever Parley adds beyond this (framing, proofs, the window of
requests, the UI, saving its progress) is the app's; what this costs over the
reference is not.
"""

import functools
import time

from bench.bare_channel import MB, SENDER_START_JS, BareChannel, timed_run

SEAL_OVERHEAD = 16  # the GCM tag; the ordered channel numbers the messages
WRITE_BYTES = 2 * 1024 * 1024  # a write of the writer gathers at least this much

KEY_JS = """async () => {
  window.benchKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true,
    ['encrypt', 'decrypt']);
  return Array.from(new Uint8Array(await crypto.subtle.exportKey('raw', window.benchKey)));
}"""

# One buffer, reused, gathers the chunks; each write is repeated until all of it is in.
WRITER_JS = """
let handle = null;
let gathered = null;
let length = 0;
let at = 0;
function write() {
  let done = 0;
  while (done < length) done += handle.write(gathered.subarray(done, length), { at: at + done });
  at += length;
  length = 0;
}
onmessage = async ({ data }) => {
  if (data.open) {
    const root = await navigator.storage.getDirectory();
    const file = await root.getFileHandle(data.open, { create: true });
    handle = await file.createSyncAccessHandle();
    handle.truncate(0);
    gathered = new Uint8Array(data.writeBytes + data.chunkBytes);
    at = 0;
    postMessage({ opened: true });
    return;
  }
  gathered.set(new Uint8Array(data.chunk), length);
  length += data.chunk.byteLength;
  if (length >= data.writeBytes || data.last) write();
  if (data.last) {
    handle.flush();
    handle.close();
    postMessage({ written: at });
  }
};
"""

# Receiver: each message's hash and opening start as it arrives (WebCrypto works on
# several at once, as Parley's receiver checks every chunk as it comes); the results are
# taken in order and handed to the writer. The IV is the message's number: a message out
# of order does not open.
RECEIVE_JS = """async ({ total, key, writer, chunkBytes, writeBytes }) => {
  const channel = window.benchChannel;
  const aes = await crypto.subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false,
    ['decrypt']);
  // The last transfer's writer goes now, not when it finished: a thread that ended is
  // gone from /proc before the CPU it spent is read.
  window.benchWriter?.terminate();
  const worker = new Worker(URL.createObjectURL(new Blob([writer], { type: 'text/javascript' })));
  window.benchWriter = worker;
  await new Promise((resolve) => {
    worker.onmessage = resolve;
    worker.postMessage({ open: 'floor.bin', chunkBytes, writeBytes });
  });
  const heap = () => performance.memory.usedJSHeapSize;
  const state = { bytes: 0, messages: 0, heapBefore: heap(), heapPeak: 0 };
  state.heapPeak = state.heapBefore;
  const sample = () => { state.heapPeak = Math.max(state.heapPeak, heap()); };
  const timer = setInterval(sample, 50);
  let arrived = 0;
  let inOrder = Promise.resolve();
  window.benchReceived = new Promise((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(`writer: ${event.message}`));
    worker.onmessage = ({ data }) => {
      clearInterval(timer);
      sample();
      resolve({ ...state, written: data.written });
    };
    channel.onmessage = ({ data }) => {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, arrived++);
      const checked = Promise.all([
        crypto.subtle.digest('SHA-256', data),
        crypto.subtle.decrypt({ name: 'AES-GCM', iv }, aes, data),
      ]);
      inOrder = inOrder.then(() => checked).then(([, plain]) => {
        state.messages++;
        state.bytes += plain.byteLength;
        if ((state.messages & 31) === 0) sample();
        const last = state.bytes >= total;
        worker.postMessage({ chunk: plain, last, writeBytes }, [plain]);
        if (last) channel.onmessage = null;
      }).catch(reject);
    };
  });
}"""

RECEIVED_JS = "() => window.benchReceived"

# Sender: seal chunks (a new IV per message number) up to 8 ahead of the channel, as
# Parley's chunk server seals ahead, and send each sealed chunk as it is, with the
# reference's backpressure.
SEND_JS = (
    "async ({ total, chunkBytes, high, low }) => {"
    + SENDER_START_JS
    + """
  const plain = randomBytes(chunkBytes);
  let sealedUpTo = 0;
  let sequence = 0;
  const ahead = [];
  const sealNext = () => {
    const length = Math.min(chunkBytes, total - sealedUpTo);
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, sequence++);
    sealedUpTo += length;
    ahead.push(crypto.subtle.encrypt({ name: 'AES-GCM', iv }, window.benchKey,
      plain.subarray(0, length)));
  };
  while (sealedUpTo < total || ahead.length) {
    while (ahead.length < 8 && sealedUpTo < total) sealNext();
    if (channel.bufferedAmount > high) await drained();
    channel.send(await ahead.shift());
  }
  return { waits };
}"""
)


def transfer(channel: BareChannel, key: list[int], total: int, size: int, high: int, low: int):
    chunk_bytes = size - SEAL_OVERHEAD
    channel.receiver.evaluate(
        RECEIVE_JS,
        {
            "total": total,
            "key": key,
            "writer": WRITER_JS,
            "chunkBytes": chunk_bytes,
            "writeBytes": WRITE_BYTES,
        },
    )
    start = time.perf_counter()
    sent = channel.sender.evaluate(
        SEND_JS, {"total": total, "chunkBytes": chunk_bytes, "high": high, "low": low}
    )
    received = channel.receiver.evaluate(RECEIVED_JS)
    elapsed = time.perf_counter() - start
    if received["bytes"] != total or received["written"] != total:
        raise RuntimeError(f"floor channel lost or did not write data: {received}")
    return {
        "bytes": total,
        "message_size": size,
        "seconds": round(elapsed, 3),
        "mb_s": round(total / elapsed / MB, 2),
        "heap_before_mb": round(received["heapBefore"] / MB, 2),
        "heap_peak_mb": round(received["heapPeak"] / MB, 2),
        "backpressure_waits": sent["waits"],
    }


def floor_run(
    browser,
    page_url: str,
    total: int,
    warmup: int,
    size: int,
    high: int,
    low: int,
    cpu: bool = False,
) -> dict:
    """A fresh connection, a warm-up transfer on it, then the timed transfer, as the
    reference's run (bench/bare_channel.py `timed_run`)."""
    channel = BareChannel(browser, page_url)
    key = functools.cache(lambda: channel.sender.evaluate(KEY_JS))
    return timed_run(
        channel,
        lambda count: transfer(channel, key(), count, size, high, low),
        total,
        warmup,
        cpu,
    )
