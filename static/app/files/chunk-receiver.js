// ChunkReceiver: the receiving side of the file engine (docs/protocol.md §11). A chunk
// that was asked for is verified against the file's root (Merkle proof), decrypted (its
// AEAD tag) in the offer's chunk format (files/chunk-formats.js), and handed to the file
// worker to write at i·S; written chunks are flushed FLUSH_CHUNKS at a time, and only
// once flushed does a chunk count as held: added to the PartialTree that proves it to
// others, released in the plan, saved, and announced (`have`) to the peers that asked.
//
//   const receiver = new ChunkReceiver(host)
//     host: { files, store, session, links (FileLinks), pump(t), fail(t, error),
//             changed(root), strike(link, code) }   (the TransferManager)
//   receiver.chunk(link, t, frame)   a `chunk` frame for transfer t (files/transfer.js)
//   receiver.flush(t)                flushes the written chunks if due (Transfer.flushDue)
//   receiver.finish(t); receiver.saveSoon(t); await receiver.saveNow(t)
import { CHUNK_SIZE, FileChunkError } from './chunk-crypto.js';
import { checkedLeaf } from './merkle.js';

// Written chunks are flushed (and then count as held) FLUSH_CHUNKS at a time, or as soon
// as nothing else asked for is on its way (the last chunks, a pause, a peer gone). Each
// flush is a request to the file worker (a sync of the file on disk), and the chunks
// written before it are written there in one go (files/opfs-worker.js).
export const FLUSH_CHUNKS = 16;
// How often a download's state is saved: the verified chunks written since the last save
// would be fetched again after a crash. A big file's tree costs more to save, so less often.
const saveEveryMs = (count) => Math.min(2000, Math.max(100, count / 5));

export class ChunkReceiver {
  #order = new WeakMap(); // transfer -> the promise of the last chunk's outcome taken

  constructor(host) {
    this.host = host;
  }

  chunk(link, t, { index, proof, ciphertext }) {
    const { host } = this;
    link.heardAt.set(t.root, performance.now());
    if (t.hasOrIsWriting(index)) {
      t.countDuplicate();
      this.saveSoon(t);
      return;
    }
    if (!t.plan || !t.plan.isWanted(link.peerKey, index)) {
      t.countIgnored(); // not asked for (any more: paused, cancelled): ignored
      return;
    }
    t.countReceived();
    t.beginCheck(index);
    // Checks are asynchronous (WebCrypto answers with promises) and may end out of order,
    // but their outcomes are taken in the order the chunks came: writes stay in file
    // order, so the file worker can gather them.
    const checked = this.#check(t, index, proof, ciphertext);
    const previous = this.#order.get(t) ?? Promise.resolve();
    const next = previous.then(() => checked).then((outcome) => {
      t.endCheck(index);
      this.#take(link, t, index, proof, outcome);
    }).catch((error) => {
      t.endCheck(index);
      host.fail(t, error);
    });
    this.#order.set(t, next);
  }

  // { leaf, plaintext }: leaf null when the proof does not lead to the root (the chunk is
  // not opened then), plaintext null when it does but the chunk does not open.
  async #check(t, index, proof, ciphertext) {
    const leaf = await checkedLeaf({ root: t.rootBytes, index, ciphertext, proof, count: t.count, format: t.format });
    if (!leaf) return { leaf: null, plaintext: null };
    try {
      const cipher = await t.cipher();
      return { leaf, plaintext: await cipher.open(index, t.offer.size, ciphertext) };
    } catch (error) {
      if (!(error instanceof FileChunkError)) throw error;
      return { leaf, plaintext: null };
    }
  }

  #take(link, t, index, proof, { leaf, plaintext }) {
    const { host } = this;
    // The download may have moved on while the chunk was checked: cancelled, or the
    // peer gone (its chunks were given back to be asked again).
    if (t.hasOrIsWriting(index) || !t.plan || !t.plan.isWanted(link.peerKey, index)) {
      t.countIgnored();
      return;
    }
    if (leaf && !plaintext) {
      // The proof shows these are the very bytes the root names: the peer served the
      // file faithfully, and it is the offer's key that does not open it (a member
      // can post an offer with another's root and a wrong key). Nobody is blamed.
      host.fail(t, Object.assign(new Error('bad_offer'), { code: 'bad_offer' }));
      return;
    }
    if (!plaintext) {
      t.countRejected();
      if (t.plan.rejected(link.peerKey, index)) {
        // The room's own record of the name first; the name the peer gave its link else.
        t.banSource(link.peerKey, host.session.view.names?.get(link.peerKey) ?? link.peer?.name ?? 'a member');
      }
      host.strike(link, 'bad_chunk');
      host.pump(t);
      host.changed(t.root);
      return;
    }
    t.startWrite(index, { peerKey: link.peerKey, leaf, proof: proof.map((node) => node.slice()) },
      plaintext.length, performance.now());
    const { fileName } = t;
    // The plaintext is a buffer of its own: it moves to the worker, it is not copied.
    host.files.write(fileName, index * CHUNK_SIZE, plaintext).then(() => {
      if (t.written(index, fileName)) this.flush(t);
    }, (error) => host.fail(t, error));
  }

  // Flushes coalesce: the chunks written while one flush runs wait for the next one.
  async flush(t) {
    const { host } = this;
    if (!t.flushDue(FLUSH_CHUNKS) || !t.beginFlush()) return;
    const { fileName } = t;
    try {
      while (t.flushDue(FLUSH_CHUNKS) && t.fileName === fileName) {
        const batch = t.takeUnflushed();
        await host.files.flush(fileName);
        if (t.fileName !== fileName) break;
        this.#announce(t, t.flushed(batch));
        this.saveSoon(t);
        host.pump(t);
      }
    } catch (error) {
      host.fail(t, error);
    } finally {
      t.endFlush();
    }
    if (t.tree.complete && t.isActive) this.finish(t);
    host.changed(t.root);
  }

  // Every chunk is held, verified and flushed: the file is done.
  finish(t) {
    if (!t.beginFinishing()) return;
    this.host.changed(t.root);
    t.finish();
    this.saveNow(t).finally(() => {
      t.endFinishing();
      this.host.changed(t.root);
    });
  }

  // Tells peers that asked about this file which chunks it holds now.
  #announce(t, indices) {
    if (!indices.length) return;
    const low = Math.min(...indices) >> 3;
    const high = Math.max(...indices) >> 3;
    const bits = t.tree.held.bytes.slice(low, Math.min(high + 1, low + 16384));
    for (const link of this.host.links) {
      if (link.asked.has(t.root)) link.channel.send({ type: 'have', root: t.rootBytes, first: low * 8, bits });
    }
  }

  saveSoon(t) {
    t.saveSoon(saveEveryMs(t.count), () => this.saveNow(t));
  }

  // The tree holds only flushed chunks, so what is saved is always on disk.
  saveNow(t) {
    return t.saveNow((record) => this.host.store.saveTransfer(record));
  }
}
