"""The floor for bench.files: a bare data channel plus the least work a verified, stored
transfer cannot do without, and nothing of Parley's.

    floor_run(browser, page_url, total, warmup, size, high, low, cpu) -> {mb_s, ...}

The pages and the channel are the reference's (bench/bare_channel.py), on a page of the
server's origin (storage and workers need one). Per message, on top of the reference:

- the sender seals a chunk with AES-256-GCM (WebCrypto, as chunk format 2) before it
  sends it, from one reused buffer of random bytes (Parley reads the file from storage
  too: not counted here);
- the receiver hashes the ciphertext with SHA-256 (a Merkle leaf; the comparison with the
  proof is left out), opens it, and hands the plaintext to a worker that writes it to
  OPFS through a sync access handle, 2 MiB a write (as Parley's file worker does),
  flushed at the end.

The clock runs from the first send to the worker's answer that the last byte is
written. Whatever Parley adds beyond this (framing, the window of requests, the UI,
saving its progress) is the app's; what this costs over the reference is not.
"""

import time

from bench import cpu_threads
from bench.bare_channel import MB, BareChannel

SEAL_OVERHEAD = 8 + 16  # the header (sequence number, length) and the GCM tag

KEY_JS = """async () => {
  window.benchKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true,
    ['encrypt', 'decrypt']);
  return Array.from(new Uint8Array(await crypto.subtle.exportKey('raw', window.benchKey)));
}"""

WRITER_JS = """
let handle = null;
let pending = [];
let pendingBytes = 0;
let at = 0;
function write() {
  const joined = new Uint8Array(pendingBytes);
  let offset = 0;
  for (const part of pending) { joined.set(part, offset); offset += part.length; }
  handle.write(joined, { at });
  at += pendingBytes;
  pending = [];
  pendingBytes = 0;
}
onmessage = async ({ data }) => {
  if (data.open) {
    const root = await navigator.storage.getDirectory();
    const file = await root.getFileHandle(data.open, { create: true });
    handle = await file.createSyncAccessHandle();
    handle.truncate(0);
    at = 0;
    postMessage({ opened: true });
    return;
  }
  pending.push(new Uint8Array(data.chunk));
  pendingBytes += data.chunk.byteLength;
  if (pendingBytes >= 2 * 1024 * 1024 || data.last) write();
  if (data.last) {
    handle.flush();
    handle.close();
    postMessage({ written: at });
  }
};
"""

# Receiver: in order, hash, open, hand to the writer; heap sampled as the reference's.
RECEIVE_JS = """async ({ total, key, writer }) => {
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
    worker.postMessage({ open: 'floor.bin' });
  });
  const heap = () => performance.memory.usedJSHeapSize;
  const state = { bytes: 0, messages: 0, outOfOrder: 0, heapBefore: heap(), heapPeak: 0 };
  state.heapPeak = state.heapBefore;
  const sample = () => { state.heapPeak = Math.max(state.heapPeak, heap()); };
  const timer = setInterval(sample, 50);
  let inOrder = Promise.resolve();
  window.benchReceived = new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      clearInterval(timer);
      sample();
      resolve({ ...state, written: data.written });
    };
    channel.onmessage = ({ data }) => {
      inOrder = inOrder.then(async () => {
        const header = new DataView(data, 0, 8);
        const sequence = header.getUint32(0);
        if (sequence !== state.messages) state.outOfOrder++;
        const sealed = new Uint8Array(data, 8);
        await crypto.subtle.digest('SHA-256', sealed);
        const iv = new Uint8Array(12);
        new DataView(iv.buffer).setUint32(8, sequence);
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, aes, sealed);
        state.messages++;
        state.bytes += plain.byteLength;
        if ((state.messages & 31) === 0) sample();
        const last = state.bytes >= total;
        worker.postMessage({ chunk: plain, last }, [plain]);
        if (last) channel.onmessage = null;
      }).catch(reject);
    };
  });
}"""

RECEIVED_JS = "() => window.benchReceived"

# Sender: seal each chunk (a new IV per sequence number), frame it, send with the
# reference's backpressure.
SEND_JS = """async ({ total, size, high, low }) => {
  const channel = window.benchChannel;
  const chunkSize = size - 24;
  const plain = new Uint8Array(chunkSize);
  for (let at = 0; at < chunkSize; at += 65536) {
    crypto.getRandomValues(plain.subarray(at, Math.min(chunkSize, at + 65536)));
  }
  channel.bufferedAmountLowThreshold = low;
  const drained = () => new Promise((resolve) => {
    channel.addEventListener('bufferedamountlow', resolve, { once: true });
  });
  let sent = 0;
  let sequence = 0;
  let waits = 0;
  while (sent < total) {
    if (channel.bufferedAmount > high) {
      waits++;
      await drained();
    }
    const length = Math.min(chunkSize, total - sent);
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, sequence);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, window.benchKey,
      plain.subarray(0, length));
    const message = new Uint8Array(8 + sealed.byteLength);
    new DataView(message.buffer).setUint32(0, sequence++);
    new DataView(message.buffer).setUint32(4, length);
    message.set(new Uint8Array(sealed), 8);
    channel.send(message);
    sent += length;
  }
  return { waits };
}"""


def transfer(channel: BareChannel, key: list[int], total: int, size: int, high: int, low: int):
    channel.receiver.evaluate(RECEIVE_JS, {"total": total, "key": key, "writer": WRITER_JS})
    start = time.perf_counter()
    sent = channel.sender.evaluate(
        SEND_JS, {"total": total, "size": size, "high": high, "low": low}
    )
    received = channel.receiver.evaluate(RECEIVED_JS)
    elapsed = time.perf_counter() - start
    if received["bytes"] != total or received["written"] != total or received["outOfOrder"]:
        raise RuntimeError(f"floor channel lost, reordered or did not write data: {received}")
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
    """A fresh connection, a warm-up transfer on it, then the timed transfer (with its CPU
    by thread if `cpu`), as the reference's run."""
    channel = BareChannel(browser, page_url)
    try:
        key = channel.sender.evaluate(KEY_JS)
        transfer(channel, key, warmup, size, high, low)
        before = cpu_threads.snapshot() if cpu else None
        result = transfer(channel, key, total, size, high, low)
        if before is not None:
            spent = cpu_threads.difference(before, cpu_threads.snapshot())
            result["cpu"] = dict(cpu_threads.by_thread(spent))
        result["path"] = channel.path
        return result
    finally:
        channel.close()
