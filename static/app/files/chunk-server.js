// ChunkServer: the serving side of the file engine (docs/protocol.md §11). Answers
// `have?` with what this device holds and `want` with the chunks (or `lack`), each
// sealed again from the stored plaintext (in the offer's chunk format: the same bytes
// every time, the encryption is deterministic), checked against the root, and sent with
// its Merkle proof; the
// FileChannel of the link sends them under its backpressure.
//
//   const server = new ChunkServer({ files, onServed: (t) => … })
//   server.answerHave(link, t, rootBytes, count)   t: the Transfer, or null if none here
//   server.want(link, t, frame)
//   server.cancel(link)                            the peer cancelled: drop its read span
//
// Reads go through a SpanReader per link: a peer asks for runs of chunks in order, and
// each read is a request to the file worker with a fixed cost on top of the bytes (in a
// private window an IPC to the browser: 128 KiB reads ran at a quarter of the speed of
// 1 MiB ones), so one read of up to READ_SPAN held chunks serves the next ones too.
import { toBase64Url } from '../crypto/encoding.js';
import { Bitfield } from './bitfield.js';
import { CHUNK_SIZE, chunkCount } from './chunk-crypto.js';
import { encodeFileFrame } from './file-frames.js';
import { checkedLeaf } from './merkle.js';

export const READ_SPAN = 8;

export class ChunkServer {
  #readers = new WeakMap(); // link -> SpanReader

  constructor({ files, onServed = () => {} }) {
    this.files = files;
    this.onServed = onServed;
  }

  answerHave(link, t, rootBytes, count) {
    link.asked.add(toBase64Url(rootBytes));
    const held = t?.tree.held ?? new Bitfield(count);
    for (const { first, bits } of held.ranges()) link.channel.send({ type: 'have', root: rootBytes, first, bits });
  }

  want(link, t, { root, first, count }) {
    for (let index = first; index < first + count; index++) {
      if (t?.holds(index) && t.fileName) {
        link.channel.serve({ root: t.root, rootBytes: root, index, load: () => this.#chunkFrame(link, t, index) });
      } else {
        link.channel.send({ type: 'lack', root, index });
      }
    }
  }

  cancel(link) {
    this.#readers.get(link)?.clear();
  }

  async #chunkFrame(link, t, index) {
    if (!t.holds(index) || !t.fileName) return null;
    if (!this.#readers.has(link)) this.#readers.set(link, new SpanReader(this.files));
    const plaintext = await this.#readers.get(link).read({
      fileName: t.fileName, size: t.offer.size, index, held: (i) => t.holds(i),
    });
    const cipher = await t.cipher();
    const ciphertext = await cipher.seal(index, t.offer.size, plaintext);
    // Sent only if it is the chunk the offer committed to. A stored copy that changed
    // would seal another plaintext under the same key and nonce, which gives away the XOR
    // of the two (and, with AES-GCM, the key that authenticates); the peer gets `lack`.
    const proof = t.tree.proof(index);
    const leaf = await checkedLeaf({ root: t.rootBytes, index, ciphertext, proof, count: t.count, format: t.format });
    if (!leaf) {
      console.warn(`parley: the stored copy of chunk ${index} no longer matches its file; not sent`);
      return null;
    }
    t.countServed();
    this.onServed(t);
    return encodeFileFrame({ type: 'chunk', root: t.rootBytes, index, proof, ciphertext });
  }
}

// The plaintext of chunk `index`, from one stored read of it and the held chunks after
// it (never past what `held` says is stored: a partial holder's file may end sooner).
// One span is kept: at most READ_SPAN × 128 KiB.
export class SpanReader {
  constructor(files) {
    this.files = files;
    this.span = null; // { fileName, first, end, bytes: Promise<Uint8Array> }
  }

  async read({ fileName, size, index, held }) {
    let span = this.span;
    if (!span || span.fileName !== fileName || index < span.first || index >= span.end) {
      const count = chunkCount(size);
      let end = index + 1;
      while (end < count && end < index + READ_SPAN && held(end)) end++;
      const start = index * CHUNK_SIZE;
      const bytes = this.files.read(fileName, start, Math.min(size, end * CHUNK_SIZE) - start);
      span = { fileName, first: index, end, bytes };
      this.span = span;
      bytes.catch(() => {
        if (this.span === span) this.span = null;
      });
    }
    const bytes = await span.bytes;
    const offset = (index - span.first) * CHUNK_SIZE;
    return bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_SIZE));
  }

  clear() {
    this.span = null;
  }
}
