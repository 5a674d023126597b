// TransferManager: the files of one room (docs/protocol.md §11). It sends files (prepare,
// then a `file` entry), fetches the room's offered files from every ready peer at once,
// serves the chunks this device holds to anyone in the room, and keeps each file's
// progress in IndexedDB so a closed tab, a reload or a lost link continue where they
// stopped.
//
//   const manager = new TransferManager({ room, session, swarm, store, files })
//   await manager.load(); manager.start()
//   manager.send(fileList)                  prepare and offer each file
//   manager.status(root) -> { state: offered | waiting | transferring | verifying | paused |
//       cancelled | done | failed, reason (failed: a code), role: sender | receiver, held,
//       count (chunks), size, bytes (held), speed (bytes/s), eta (s), received, duplicates,
//       rejected, ignored (chunks not asked for), served (to others), peers }
//   manager.pause(root) / resume(root) / cancel(root) / download(root)
//   await manager.fileOf(root) -> { file, url }   the stored file (object URL, not a copy)
//   manager.preparing                       files being prepared to be offered
//   manager.addEventListener('change', e => e.detail.root)   (null: the preparing list)
//
// A download: for each ready peer, `have?`; a DownloadPlan picks what to `want` of whom
// (at most 16 chunks in flight per peer, each chunk at one peer at a time). A chunk is
// verified against the root (Merkle proof, then its AEAD tag), written at i·S, and once
// the write is flushed it counts as held: added to the PartialTree that proves it to
// others, released in the plan, saved, and announced (`have`) to peers that asked.
import { fromBase64Url, toBase64Url } from '../crypto/encoding.js';
import { randomBytes } from '../crypto/bytes.js';
import { identityId } from '../identity/identity.js';
import { Bitfield } from './bitfield.js';
import { CHUNK_SIZE, chunkCount, chunkRange, decryptChunk, encryptChunk, FileChunkError, MAX_CHUNKS } from './chunk-crypto.js';
import { DownloadPlan } from './download-plan.js';
import { FileChannel } from './file-channel.js';
import { checkFrameChunks, encodeFileFrame, FileFrameError } from './file-frames.js';
import { PartialTree, verifiedLeaf } from './merkle.js';
import { prepareFile } from './prepare-file.js';

export const AUTO_DOWNLOAD_BYTES = 512 * 1024 * 1024; // bigger offers wait for a click
const PER_PEER = 16;
const MAX_LINK_STRIKES = 16;
// How often a download's state is saved: the verified chunks written since the last save
// would be fetched again after a crash. A big file's tree costs more to save, so less often.
const saveEveryMs = (count) => Math.min(2000, Math.max(100, count / 5));
const SPEED_WINDOW_MS = 3000;
// A peer that sent nothing of a file for this long while chunks were asked of it (a lost
// message, a peer stuck) gets those chunks taken back; others (or it again) are asked.
const STALL_MS = 30_000;
const MAX_FILE_NAME = 255;

export class TransferManager extends EventTarget {
  constructor({ room, session, swarm, store, files, stallMs = STALL_MS }) {
    super();
    this.stallMs = stallMs;
    this.stallTimer = null;
    this.room = room;
    this.topic = room.topic;
    this.session = session;
    this.swarm = swarm;
    this.store = store;
    this.files = files; // FileStore, or null where this browser cannot store files
    this.transfers = new Map(); // root text -> transfer
    this.records = new Map(); // root text -> saved record not yet matched with its offer
    this.links = new Map(); // connectionId -> link state
    this.current = new Map(); // peer key (identity id) -> connectionId of its newest link
    this.bannedPeers = new Set(); // peer keys not asked for chunks again this session
    this.preparing = new Map(); // id -> { id, name, size, done, state, reason }
    this.urls = new Map(); // root -> { file, url }
  }

  async load() {
    for (const record of await this.store.listTransfers(this.topic)) this.records.set(record.root, record);
  }

  start() {
    this.swarm.addEventListener('peer', ({ detail }) => this.#onPeer(detail.peer));
    this.session.addEventListener('change', () => this.#syncOffers());
    for (const peer of this.swarm.readyPeers()) this.#onPeer(peer);
    this.#syncOffers();
    // A closing tab saves what is on disk now rather than at the next save.
    this.onPageHide = () => {
      for (const t of this.#transfersList) if (t.saveTimer) this.#saveNow(t);
    };
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  stop() {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    clearTimeout(this.stallTimer);
    for (const link of this.links.values()) link.channel.close();
    this.links.clear();
    for (const loading of this.urls.values()) loading.then(({ url }) => URL.revokeObjectURL(url), () => {});
    this.urls.clear();
  }

  // ---- Sending -------------------------------------------------------------------

  async send(fileList) {
    const items = [...fileList].map((file) => {
      const item = { id: toBase64Url(randomBytes(9)), name: file.name || 'file', size: file.size, done: 0, state: 'preparing', reason: null };
      this.preparing.set(item.id, item);
      return [item, file];
    });
    this.#changed(null);
    for (const [item, file] of items) await this.#sendOne(item, file);
  }

  dismissPreparing(id) {
    this.preparing.delete(id);
    this.#changed(null);
  }

  async #sendOne(item, file) {
    const fileName = toBase64Url(randomBytes(18));
    let root = null;
    try {
      if (!this.files) throw codeError('no_storage');
      if (chunkCount(file.size) > MAX_CHUNKS) throw codeError('too_large');
      const prepared = await prepareFile({
        file, files: this.files, name: fileName,
        onProgress: (done) => { item.done = done; this.#changed(null); },
      });
      root = toBase64Url(prepared.root);
      const offer = {
        name: fileNameOf(file.name), size: file.size, mime: mimeOf(file.type), chunk: CHUNK_SIZE, root,
        key: toBase64Url(prepared.key),
      };
      const record = {
        topic: this.topic, root, fileName, role: 'sender', state: 'done', reason: null,
        tree: prepared.tree.toBytes(), received: 0, duplicates: 0, createdAt: Date.now(),
      };
      await this.store.saveTransfer(record);
      this.transfers.set(root, this.#makeTransfer({ ...offer, author: this.session.selfId }, record, prepared.tree));
      await this.session.sendFile(offer);
      this.preparing.delete(item.id);
      this.#changed(null);
      this.#changed(root);
    } catch (error) {
      console.warn('parley: a file could not be offered', error);
      item.state = 'failed';
      item.reason = error?.code ?? 'prepare_failed';
      this.#changed(null);
      if (root) {
        this.transfers.delete(root);
        await this.store.deleteTransfer(this.topic, root).catch(() => {});
      }
      await this.files?.delete(fileName).catch(() => {});
    }
  }

  // ---- Offers and their transfers ---------------------------------------------------

  #syncOffers() {
    for (const [root, offer] of this.session.view.files ?? []) {
      if (this.transfers.has(root)) continue;
      const record = this.records.get(root);
      this.records.delete(root);
      let transfer;
      try {
        transfer = this.#makeTransfer(offer, record ?? null, null);
      } catch (error) {
        console.warn('parley: a file offer cannot be fetched', error);
        continue;
      }
      this.transfers.set(root, transfer);
      if (transfer.record.state === 'active') this.#begin(transfer);
      else if (!record && transfer.record.state === 'offered' && offer.size <= AUTO_DOWNLOAD_BYTES) this.download(root);
      this.#changed(root);
    }
  }

  #makeTransfer(offer, record, tree) {
    const rootBytes = fromBase64Url(offer.root, 32);
    const tooLarge = offer.size > CHUNK_SIZE * MAX_CHUNKS;
    const count = tooLarge ? 1 : chunkCount(offer.size);
    if (!tree && record?.tree) {
      try {
        tree = PartialTree.fromBytes(record.tree, count, rootBytes);
      } catch {
        tree = null; // damaged: start again
      }
    }
    const transfer = {
      root: offer.root, rootBytes, offer, key: fromBase64Url(offer.key, 32), count,
      tree: tree ?? new PartialTree(count, rootBytes),
      record: record ?? {
        topic: this.topic, root: offer.root, fileName: null, role: 'receiver', state: 'offered', reason: null,
        tree: null, received: 0, duplicates: 0, createdAt: Date.now(),
      },
      plan: null, writing: new Map(), unflushed: [], flushing: false, saveTimer: null, saving: Promise.resolve(),
      samples: [], rejected: 0, ignored: 0, served: 0, finishing: false,
      bannedPeers: new Map(), // identity id -> name: no longer asked for this file (bad chunks)
    };
    if (tooLarge) {
      transfer.record.state = 'failed';
      transfer.record.reason = 'too_large';
    }
    if (!this.files && transfer.record.state !== 'done') {
      transfer.record.state = 'failed';
      transfer.record.reason = 'no_storage';
    }
    return transfer;
  }

  get #transfersList() {
    return [...this.transfers.values()];
  }

  status(root) {
    const t = this.transfers.get(root);
    if (!t) return null;
    const held = t.tree.held.count();
    const heldBytes = Math.min(t.offer.size, held * CHUNK_SIZE);
    const speed = this.#speed(t);
    let state = t.record.state;
    if (state === 'active') {
      if (t.finishing || held === t.count) state = 'verifying';
      else if (this.#sources(t) === 0) state = 'waiting';
      else state = 'transferring';
    }
    const remaining = t.offer.size - heldBytes;
    return {
      state, reason: t.record.reason, role: t.record.role, held, count: t.count, size: t.offer.size,
      bytes: heldBytes, speed, eta: speed > 0 && state === 'transferring' ? remaining / speed : null,
      received: t.record.received, duplicates: t.record.duplicates, rejected: t.rejected,
      ignored: t.ignored, served: t.served,
      peers: this.#sources(t),
      // Who was marked for sending damaged chunks, by the name this room knows.
      banned: [...t.bannedPeers.values()],
    };
  }

  // Ready peers that announced a chunk we still lack.
  #sources(t) {
    if (!t.plan) return 0;
    let sources = 0;
    for (const link of this.links.values()) {
      if (this.current.get(link.peerKey) === link.connectionId && link.has.get(t.root)) sources += 1;
    }
    return sources;
  }

  #speed(t) {
    const now = performance.now();
    t.samples = t.samples.filter(([at]) => now - at <= SPEED_WINDOW_MS);
    if (t.samples.length < 2) return 0;
    const span = Math.max(500, now - t.samples[0][0]);
    return t.samples.reduce((sum, [, bytes]) => sum + bytes, 0) / (span / 1000);
  }

  download(root) {
    const t = this.transfers.get(root);
    if (!t || t.record.role === 'sender' || t.record.state === 'done' || t.record.state === 'active') return;
    if (!this.files || t.record.reason === 'too_large') return;
    const paused = t.record.state === 'paused' && t.plan;
    t.record.state = 'active';
    t.record.reason = null;
    t.record.fileName ??= toBase64Url(randomBytes(18));
    this.#checkRoom(t);
    if (paused) {
      // What was asked before the pause and never came was dropped by its server.
      for (const link of this.links.values()) {
        for (const index of t.plan.inFlightChunks(link.peerKey)) {
          if (!t.writing.has(index)) t.plan.giveBack(link.peerKey, index);
        }
      }
      this.#pump(t);
    } else {
      this.#begin(t);
    }
    this.#saveNow(t);
  }

  // A download that cannot fit fails now, not at the write that runs out of room.
  async #checkRoom(t) {
    try {
      const { usage, quota } = (await this.files.estimate?.()) ?? {};
      const needed = t.offer.size - Math.min(t.offer.size, t.tree.held.count() * CHUNK_SIZE);
      if (quota && quota - usage < needed) this.#fail(t, codeError('storage_full'));
    } catch {
      // no estimate: the writes will tell
    }
  }

  resume(root) {
    this.download(root);
  }

  pause(root) {
    const t = this.transfers.get(root);
    if (!t || t.record.state !== 'active') return;
    this.#halt(t, 'paused');
  }

  async cancel(root) {
    const t = this.transfers.get(root);
    if (!t || t.record.role === 'sender' || t.record.state === 'done') return;
    this.#halt(t, 'cancelled');
    t.tree = new PartialTree(t.count, t.rootBytes);
    t.writing.clear();
    t.unflushed = [];
    const { fileName } = t.record;
    t.record.fileName = null;
    this.#saveNow(t);
    if (fileName) await this.files?.delete(fileName).catch(() => {});
  }

  // A paused download keeps its plan: chunks already on their way are still taken.
  #halt(t, state, reason = null) {
    t.record.state = state;
    t.record.reason = reason;
    if (state !== 'paused') t.plan = null;
    t.samples = [];
    for (const link of this.links.values()) link.channel.send({ type: 'cancel', root: t.rootBytes });
    this.#saveNow(t);
    this.#changed(t.root);
  }

  #fail(t, error) {
    if (t.record.state !== 'active') return;
    console.warn('parley: a file transfer failed', error);
    this.#halt(t, 'failed', error?.code ?? 'storage_failed');
  }

  #begin(t) {
    t.plan = new DownloadPlan({ count: t.count, held: new Bitfield(t.count, t.tree.held.bytes), perPeer: PER_PEER });
    for (const link of this.links.values()) {
      link.has.delete(t.root);
      if (this.current.get(link.peerKey) === link.connectionId) link.channel.send({ type: 'have?', root: t.rootBytes });
    }
    if (t.tree.complete) this.#finish(t);
    this.#changed(t.root);
  }

  // ---- Links ---------------------------------------------------------------------------

  #onPeer(peer) {
    if (peer.state === 'ready' && !this.links.has(peer.connectionId) && peer.identity) {
      const link = {
        connectionId: peer.connectionId, peer, peerKey: identityId(peer.identity), strikes: 0,
        asked: new Set(), has: new Map(), heardAt: new Map(), channel: null,
      };
      link.channel = new FileChannel({
        link: peer.link,
        onFrame: (frame) => this.#onFrame(link, frame),
        onMalformed: (code) => this.#strike(link, code),
      });
      this.links.set(peer.connectionId, link);
      this.current.set(link.peerKey, link.connectionId);
      for (const t of this.#transfersList) {
        if (t.plan) link.channel.send({ type: 'have?', root: t.rootBytes });
      }
    } else if (peer.state === 'closed' && this.links.has(peer.connectionId)) {
      const link = this.links.get(peer.connectionId);
      this.links.delete(peer.connectionId);
      link.channel.close();
      if (this.current.get(link.peerKey) === link.connectionId) {
        this.current.delete(link.peerKey);
        for (const t of this.#transfersList) {
          t.plan?.peerGone(link.peerKey);
          this.#pump(t);
        }
      }
      for (const t of this.#transfersList) this.#changed(t.root);
    }
  }

  #strike(link, code) {
    link.strikes += 1;
    if (link.strikes > MAX_LINK_STRIKES && !this.bannedPeers.has(link.peerKey)) {
      this.bannedPeers.add(link.peerKey);
      this.session.warn?.(code, link.peer);
    }
  }

  #onFrame(link, frame) {
    if (this.current.get(link.peerKey) !== link.connectionId) return;
    const root = toBase64Url(frame.root);
    const offer = this.session.view.files?.get(root);
    if (!offer) return; // not a file of this room: ignored
    const t = this.transfers.get(root);
    const count = t?.count ?? chunkCount(Math.min(offer.size, CHUNK_SIZE * MAX_CHUNKS));
    try {
      checkFrameChunks(frame, count);
    } catch (error) {
      if (!(error instanceof FileFrameError)) throw error;
      return this.#strike(link, 'malformed');
    }
    switch (frame.type) {
      case 'have?':
        return this.#answerHave(link, t, frame.root, count);
      case 'have':
        if (!t?.plan) return undefined;
        if (frame.bits.some((byte) => byte !== 0)) link.has.set(root, true);
        t.plan.peerHas(link.peerKey, frame.first, frame.bits);
        this.#pump(t);
        return this.#changed(root);
      case 'want':
        return this.#onWant(link, t, frame);
      case 'chunk':
        return t ? this.#onChunk(link, t, frame) : undefined;
      case 'lack':
        if (!t?.plan) return undefined;
        t.plan.lacked(link.peerKey, frame.index);
        return this.#pump(t);
      case 'cancel':
        return link.channel.cancel(root);
      default:
        return undefined;
    }
  }

  #answerHave(link, t, rootBytes, count) {
    link.asked.add(toBase64Url(rootBytes));
    const held = t?.tree.held ?? new Bitfield(count);
    for (const { first, bits } of held.ranges()) link.channel.send({ type: 'have', root: rootBytes, first, bits });
  }

  #onWant(link, t, { root, first, count }) {
    for (let index = first; index < first + count; index++) {
      if (t?.tree.has(index) && t.record.fileName) {
        link.channel.serve({ root: t.root, rootBytes: root, index, load: () => this.#chunkFrame(t, index) });
      } else {
        link.channel.send({ type: 'lack', root, index });
      }
    }
  }

  async #chunkFrame(t, index) {
    if (!t.tree.has(index) || !t.record.fileName) return null;
    const { start, end } = chunkRange(t.offer.size, index);
    const plaintext = await this.files.read(t.record.fileName, start, end - start);
    const ciphertext = encryptChunk(t.key, index, t.offer.size, plaintext);
    t.served += 1;
    this.#changed(t.root);
    return encodeFileFrame({ type: 'chunk', root: t.rootBytes, index, proof: t.tree.proof(index), ciphertext });
  }

  // ---- Receiving -----------------------------------------------------------------------

  #onChunk(link, t, { index, proof, ciphertext }) {
    link.heardAt.set(t.root, performance.now());
    if (t.tree.has(index) || t.writing.has(index)) {
      t.record.received += 1;
      t.record.duplicates += 1;
      this.#saveSoon(t);
      return;
    }
    if (!t.plan || !t.plan.isWanted(link.peerKey, index)) {
      t.ignored += 1; // not asked for (any more: paused, cancelled): ignored
      return;
    }
    t.record.received += 1;
    const leaf = verifiedLeaf({ root: t.rootBytes, index, ciphertext, proof, count: t.count });
    let plaintext = null;
    if (leaf) {
      try {
        plaintext = decryptChunk(t.key, index, t.offer.size, ciphertext);
      } catch (error) {
        if (!(error instanceof FileChunkError)) throw error;
        // The proof shows these are the very bytes the root names: the peer served the
        // file faithfully, and it is the offer's key that does not open it (a member
        // can post an offer with another's root and a wrong key). Nobody is blamed.
        this.#fail(t, codeError('bad_offer'));
        return;
      }
    }
    if (!plaintext) {
      t.rejected += 1;
      if (t.plan.rejected(link.peerKey, index)) {
        // The room's own record of the name first; the name the peer gave its link else.
        const name = this.session.view.names?.get(link.peerKey) ?? link.peer?.name ?? 'a member';
        t.bannedPeers.set(link.peerKey, name);
      }
      this.#strike(link, 'bad_chunk');
      this.#pump(t);
      this.#changed(t.root);
      return;
    }
    t.writing.set(index, { peerKey: link.peerKey, leaf, proof: proof.map((node) => node.slice()) });
    t.samples.push([performance.now(), plaintext.length]);
    const { fileName } = t.record;
    this.files.write(fileName, index * CHUNK_SIZE, plaintext).then(() => {
      if (t.record.fileName !== fileName || !t.writing.has(index)) return;
      t.unflushed.push(index);
      this.#flush(t);
    }, (error) => this.#fail(t, error));
  }

  // Flushes coalesce: the chunks written while one flush runs wait for the next one.
  async #flush(t) {
    if (t.flushing) return;
    t.flushing = true;
    const { fileName } = t.record;
    try {
      while (t.unflushed.length && t.record.fileName === fileName) {
        const batch = t.unflushed.splice(0);
        await this.files.flush(fileName);
        if (t.record.fileName !== fileName) break;
        const fresh = [];
        for (const index of batch) {
          const written = t.writing.get(index);
          if (!written) continue;
          t.writing.delete(index);
          t.tree.add(index, written.leaf, written.proof);
          t.plan?.received(written.peerKey, index);
          fresh.push(index);
        }
        this.#announce(t, fresh);
        this.#saveSoon(t);
        this.#pump(t);
      }
    } catch (error) {
      this.#fail(t, error);
    } finally {
      t.flushing = false;
    }
    if (t.tree.complete && t.record.state === 'active') this.#finish(t);
    this.#changed(t.root);
  }

  // Every chunk is held, verified and flushed: the file is done.
  #finish(t) {
    if (t.finishing) return;
    t.finishing = true;
    this.#changed(t.root);
    t.record.state = 'done';
    t.plan = null;
    this.#saveNow(t).finally(() => {
      t.finishing = false;
      this.#changed(t.root);
    });
  }

  // Tells peers that asked about this file which chunks it holds now.
  #announce(t, indices) {
    if (!indices.length) return;
    const low = Math.min(...indices) >> 3;
    const high = Math.max(...indices) >> 3;
    const bits = t.tree.held.bytes.slice(low, Math.min(high + 1, low + 16384));
    for (const link of this.links.values()) {
      if (link.asked.has(t.root)) link.channel.send({ type: 'have', root: t.rootBytes, first: low * 8, bits });
    }
  }

  #pump(t) {
    if (!t.plan || t.record.state !== 'active') return;
    for (const link of this.links.values()) {
      if (this.current.get(link.peerKey) !== link.connectionId || this.bannedPeers.has(link.peerKey)) continue;
      const runs = t.plan.next(link.peerKey);
      if (runs.length && !link.heardAt.has(t.root)) link.heardAt.set(t.root, performance.now());
      for (const { first, count } of runs) {
        link.channel.send({ type: 'want', root: t.rootBytes, first, count });
      }
    }
    this.#watchStalls();
    this.#changed(t.root);
  }

  // One check every few seconds while anything is asked for.
  #watchStalls() {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      const now = performance.now();
      let waiting = false;
      for (const t of this.#transfersList) {
        if (!t.plan || t.record.state !== 'active') continue;
        for (const link of this.links.values()) {
          const asked = t.plan.inFlightChunks(link.peerKey).filter((index) => !t.writing.has(index));
          if (!asked.length) {
            link.heardAt.delete(t.root);
            continue;
          }
          waiting = true;
          if (now - (link.heardAt.get(t.root) ?? now) < this.stallMs) continue;
          link.channel.send({ type: 'cancel', root: t.rootBytes });
          for (const index of asked) t.plan.giveBack(link.peerKey, index);
          link.heardAt.delete(t.root);
          this.#pump(t);
        }
      }
      if (waiting) this.#watchStalls();
    }, Math.min(5000, this.stallMs / 2));
    this.stallTimer.unref?.(); // node: tests need not wait for it
  }

  // ---- Saving ------------------------------------------------------------------------

  #saveSoon(t) {
    if (t.saveTimer) return;
    t.saveTimer = setTimeout(() => {
      t.saveTimer = null;
      this.#saveNow(t);
    }, saveEveryMs(t.count));
  }

  // The tree holds only flushed chunks, so what is saved is always on disk.
  #saveNow(t) {
    clearTimeout(t.saveTimer);
    t.saveTimer = null;
    t.saving = t.saving.then(() => {
      t.record.tree = t.tree.toBytes();
      return this.store.saveTransfer(t.record);
    }).catch((error) => console.warn('parley: transfer state not saved', error));
    return t.saving;
  }

  // ---- The stored file ---------------------------------------------------------------

  async fileOf(root) {
    const t = this.transfers.get(root);
    if (!t || t.record.state !== 'done' || !t.record.fileName) return null;
    if (!this.urls.has(root)) {
      const loading = this.files.file(t.record.fileName).then((file) => ({ file, url: URL.createObjectURL(file) }));
      this.urls.set(root, loading);
      loading.catch(() => this.urls.delete(root));
    }
    return this.urls.get(root);
  }

  #changed(root) {
    this.dispatchEvent(new CustomEvent('change', { detail: { root } }));
  }
}

function codeError(code) {
  return Object.assign(new Error(code), { code });
}

// A name of 1..255 code points that keeps its extension when cut.
export function fileNameOf(name) {
  const clean = String(name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'file';
  const points = [...clean];
  if (points.length <= MAX_FILE_NAME) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 ? [...clean.slice(dot)].slice(0, 16) : [];
  return [...points.slice(0, MAX_FILE_NAME - extension.length), ...extension].join('');
}

// The browser's guess at the type, when it is a plain `type/subtype`; else unknown.
export function mimeOf(type) {
  const clean = String(type ?? '').split(';')[0].trim().toLowerCase();
  return clean.length <= 127 && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(clean) ? clean : '';
}
