// FileChannel: the `parley-file` traffic of one ready peer link (docs/protocol.md §11).
// Each side opens its own channel once the link is ready and sends on it; it reads the
// peer's channel (and its own: a data channel carries both ways). Chat never waits
// behind a file: the `parley` channel is another SCTP stream.
//
//   const fc = new FileChannel({ link, onFrame: (frame) => …, onMalformed: (code) => … })
//   fc.send({ type: 'want', root, first, count })        control messages, in order
//   fc.serve({ root, rootBytes, index, load })   queue a chunk: `load()` -> the encoded
//                                     `chunk` frame, or null (then the peer gets `lack`)
//   fc.cancel(rootText)               drop the chunks of a file still queued
//   fc.close()
//
// Backpressure: chunks are sent while the channel's bufferedAmount is at most 4 MiB;
// above that the server waits for `bufferedamountlow` (threshold 1 MiB). No timers.
import { encodeFileFrame, FILE_CHANNEL, FileFrameError, MAX_FILE_FRAME_BYTES, parseFileFrame } from './file-frames.js';

export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;
const MAX_WAITING_CONTROL = 1024;
const READ_AHEAD = 8; // chunks read (in spans: files/chunk-server.js) and sealed while earlier ones are sent

export class FileChannel {
  constructor({ link, onFrame, onMalformed = () => {} }) {
    this.link = link;
    this.onFrame = onFrame;
    this.onMalformed = onMalformed;
    this.closed = false;
    this.waiting = []; // encoded control messages until our channel opens
    this.queue = []; // { root, index, load } chunks to serve, in the order asked
    this.pumping = false;
    this.lowWaiters = [];
    this.stats = { chunksSent: 0, bytesSent: 0 };
    this.out = link.pc.createDataChannel(FILE_CHANNEL, { ordered: true });
    this.#setUp(this.out);
    this.out.addEventListener('open', () => this.#flushWaiting());
    this.out.addEventListener('bufferedamountlow', () => this.#wake());
    this.out.addEventListener('close', () => this.#wake());
    this.#takePeerChannel();
    this.onSideChannel = () => this.#takePeerChannel();
    link.addEventListener('side-channel', this.onSideChannel);
  }

  #setUp(channel) {
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.addEventListener('message', ({ data }) => this.#receive(data));
  }

  #takePeerChannel() {
    const taken = this.link.takeChannel(FILE_CHANNEL);
    if (!taken) return;
    this.in = taken.channel;
    this.#setUp(taken.channel);
    for (const data of taken.early) this.#receive(data);
  }

  #receive(data) {
    if (this.closed) return;
    if (!(data instanceof ArrayBuffer) || data.byteLength > MAX_FILE_FRAME_BYTES) {
      this.onMalformed('malformed');
      return;
    }
    let frame;
    try {
      frame = parseFileFrame(new Uint8Array(data));
    } catch (error) {
      if (!(error instanceof FileFrameError)) throw error;
      this.onMalformed(error.code);
      return;
    }
    this.onFrame(frame);
  }

  get open() {
    return !this.closed && this.out.readyState === 'open';
  }

  send(frame) {
    if (this.closed) return false;
    const bytes = encodeFileFrame(frame);
    if (this.out.readyState === 'connecting') {
      if (this.waiting.length < MAX_WAITING_CONTROL) this.waiting.push(bytes);
      return true;
    }
    return this.#sendBytes(bytes);
  }

  #sendBytes(bytes) {
    if (this.out.readyState !== 'open') return false;
    try {
      this.out.send(bytes);
      return true;
    } catch {
      return false;
    }
  }

  #flushWaiting() {
    for (const bytes of this.waiting.splice(0)) this.#sendBytes(bytes);
    this.#pump();
  }

  serve(item) {
    if (this.closed) return;
    this.queue.push(item);
    this.#pump();
  }

  cancel(root) {
    this.queue = this.queue.filter((item) => item.root !== root);
  }

  queued() {
    return this.queue.length;
  }

  async #pump() {
    if (this.pumping || !this.open) return;
    this.pumping = true;
    try {
      while (this.queue.length && this.open) {
        if (this.out.bufferedAmount > HIGH_WATER) {
          await new Promise((resolve) => this.lowWaiters.push(resolve));
          continue;
        }
        for (const ahead of this.queue.slice(0, READ_AHEAD)) ahead.loading ??= loadSafely(ahead);
        const item = this.queue[0];
        const bytes = await item.loading;
        if (this.queue[0] !== item) continue; // cancelled while it was read
        this.queue.shift();
        if (!this.open) break;
        if (bytes) {
          if (this.#sendBytes(bytes)) {
            this.stats.chunksSent += 1;
            this.stats.bytesSent += bytes.length;
          }
        } else {
          this.#sendBytes(encodeFileFrame({ type: 'lack', root: item.rootBytes, index: item.index }));
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  #wake() {
    for (const resolve of this.lowWaiters.splice(0)) resolve();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.#wake();
    this.link.removeEventListener('side-channel', this.onSideChannel);
    try {
      this.out.close();
      this.in?.close();
    } catch {
      // the link is gone already
    }
  }
}

async function loadSafely(item) {
  try {
    return await item.load();
  } catch (error) {
    console.warn('parley: a chunk could not be read', error);
    return null;
  }
}
