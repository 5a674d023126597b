// Transfer: one file of a room as this device holds it (docs/protocol.md §11): the offer,
// the chunks verified so far (a PartialTree), the download's course and its counters. It
// owns that state; the modules around it (files/download-control.js, chunk-receiver.js,
// chunk-server.js) ask it and call its transitions, they do not write into it.
//
//   const t = Transfer.fromOffer({ offer, record, topic, canStore })   a received offer
//   const t = Transfer.sent({ offer, topic, fileName, tree })          one this device prepared
//   t.root, t.rootBytes, t.offer, t.key, t.count, t.tree, t.plan
//   t.format (files/chunk-formats.js); t.cipher() -> Promise of { seal, open } of its chunks
//   t.state (offered | active | paused | cancelled | done | failed), t.reason, t.role,
//   t.fileName, t.isActive, t.heldBytes
//   t.start() -> 'begin' | 'resume' | null; t.beginPlan(perPeer); t.pause(); t.fail(code)
//   t.cancel() -> { fileName } (the stored file to delete, or null), or null: nothing to cancel
//   t.beginFinishing(); t.finish(); t.endFinishing()   all held: done once saved
//   t.status({ sources, now }) -> what a file card shows (files/transfer-manager.js)
//   t.storedFile(files) -> Promise of { file, url } once done; t.releaseStoredFile()
//   t.toRecord()     what IndexedDB keeps (store `transfers`; the shape is stored: keep it)
//
// A chunk goes through four stages here: `checking` (arrived, its proof and tag being
// checked: asynchronous in chunk format 2), `writing` (verified, handed to the file
// worker), written and waiting for a flush, then held (in the tree, so proved to others
// and saved). Only held chunks count, so what is saved is always on disk.
import { fromBase64Url, toBase64Url } from '../crypto/encoding.js';
import { randomBytes } from '../crypto/bytes.js';
import { Bitfield } from './bitfield.js';
import { CHUNK_SIZE, chunkCount, MAX_CHUNKS } from './chunk-crypto.js';
import { formatOf, knowsFormat } from './chunk-formats.js';
import { DownloadPlan } from './download-plan.js';
import { PartialTree } from './merkle.js';
import { SaveSchedule } from './save-schedule.js';
import { SpeedMeter } from './speed-meter.js';
import { StoredFileUrl } from './stored-file-url.js';

export { SPEED_WINDOW_MS } from './speed-meter.js';

export class Transfer {
  #record;
  #tree;
  #plan = null;
  #cipher = null; // Promise of the file key's { seal, open } (files/chunk-formats.js)
  #checking = new Set(); // indices arrived and being verified
  #writing = new Map(); // index -> { peerKey, leaf, proof }: verified, being written
  #unflushed = []; // indices written, waiting for a flush
  #flushing = false;
  #finishing = false;
  #saves = new SaveSchedule();
  #forgotten = false; // a disappearing file gone (forget): nothing of it is saved again
  #meter = new SpeedMeter(); // the verified chunks, for the speed
  #rejected = 0;
  #ignored = 0;
  #served = 0;
  #bannedSources = new Map(); // identity id -> name: not asked for this file again
  #storedFile = new StoredFileUrl(); // the finished file and its object URL, once asked for

  constructor({ offer, record, tree }) {
    this.offer = offer;
    this.root = offer.root;
    this.rootBytes = fromBase64Url(offer.root, 32);
    this.key = fromBase64Url(offer.key, 32);
    // A later version's format: nothing of it is fetched or served here; the tree
    // below (format 1's, of one chunk) is never filled.
    const known = knowsFormat(offer);
    this.format = formatOf(known ? offer : {});
    const tooLarge = offer.size > CHUNK_SIZE * MAX_CHUNKS;
    this.count = tooLarge || !known ? 1 : chunkCount(offer.size);
    this.#record = record;
    this.#tree = tree ?? savedTree(record.tree, this.count, this.rootBytes, this.format)
      ?? new PartialTree(this.count, this.rootBytes, this.format);
    if (tooLarge) this.#setState('failed', 'too_large');
    else if (!known) this.#setState('failed', 'newer_format');
    else if (record.reason === 'newer_format') this.#setState('offered', null); // updated since
  }

  // An offer from the room log, with the record saved for it before (a reload) or none.
  // canStore: false where this browser cannot store files; only a finished file is kept.
  static fromOffer({ offer, record = null, topic, canStore = true }) {
    const transfer = new Transfer({
      offer,
      record: record ?? {
        topic, root: offer.root, fileName: null, role: 'receiver', state: 'offered', reason: null,
        tree: null, received: 0, duplicates: 0, createdAt: Date.now(),
      },
      tree: null,
    });
    if (!canStore && transfer.state !== 'done') transfer.#setState('failed', 'no_storage');
    return transfer;
  }

  // A file this device prepared (files/prepare-file.js): every chunk held from the start.
  static sent({ offer, topic, fileName, tree }) {
    return new Transfer({
      offer,
      record: {
        topic, root: offer.root, fileName, role: 'sender', state: 'done', reason: null,
        tree: null, received: 0, duplicates: 0, createdAt: Date.now(),
      },
      tree,
    });
  }

  // ---- What others ask -------------------------------------------------------------------

  get state() {
    return this.#record.state;
  }

  get reason() {
    return this.#record.reason;
  }

  get role() {
    return this.#record.role;
  }

  get fileName() {
    return this.#record.fileName;
  }

  get isActive() {
    return this.#record.state === 'active';
  }

  get tree() {
    return this.#tree;
  }

  // The DownloadPlan while a download runs or is paused; null otherwise.
  get plan() {
    return this.#plan;
  }

  get heldCount() {
    return this.#tree.held.count();
  }

  get heldBytes() {
    return Math.min(this.offer.size, this.heldCount * CHUNK_SIZE);
  }

  holds(index) {
    return this.#tree.has(index);
  }

  // Held, or here and on its way to the disk: either way not taken again.
  hasOrIsWriting(index) {
    return this.#tree.has(index) || this.isWriting(index);
  }

  // Arrived: being checked, or verified and being written.
  isWriting(index) {
    return this.#checking.has(index) || this.#writing.has(index);
  }

  // The file key's { seal, open } for this offer's chunk format, made once.
  cipher() {
    this.#cipher ??= this.format.cipher(this.key);
    return this.#cipher;
  }

  get writingCount() {
    return this.#writing.size;
  }

  get unflushedCount() {
    return this.#unflushed.length;
  }

  get savePending() {
    return this.#saves.pending;
  }

  get bannedNames() {
    return [...this.#bannedSources.values()];
  }

  // ---- The course of a download ---------------------------------------------------------

  // Starts or resumes fetching. 'resume': a paused download whose plan is kept; 'begin':
  // a new plan is due; null: nothing to fetch (sent by us, done, running, too large, a
  // later version's format).
  start() {
    const { role, state, reason } = this.#record;
    if (role === 'sender' || state === 'done' || state === 'active') return null;
    if (reason === 'too_large' || reason === 'newer_format') return null;
    const resuming = state === 'paused' && this.#plan !== null;
    this.#setState('active', null);
    this.#record.fileName ??= toBase64Url(randomBytes(18));
    return resuming ? 'resume' : 'begin';
  }

  // A new plan from what is held; every source is asked again.
  beginPlan(perPeer) {
    this.#plan = new DownloadPlan({ count: this.count, held: new Bitfield(this.count, this.#tree.held.bytes), perPeer });
    return this.#plan;
  }

  // A paused download keeps its plan: chunks already on their way are still taken.
  pause() {
    if (!this.isActive) return false;
    this.#halt('paused', null);
    return true;
  }

  fail(code) {
    if (!this.isActive) return false;
    this.#halt('failed', code);
    return true;
  }

  // A disappearing file's time is up (docs/protocol.md §7): it stops, no write or flush
  // of it goes on (the file name is gone), nothing is saved again, and `write` (deleting
  // the record) runs after the saves before it. -> whether it was still running.
  forget(write) {
    const wasActive = this.fail('expired');
    this.#forgotten = true;
    this.#record.fileName = null;
    return { wasActive, done: this.#saves.now(write) };
  }

  // Forgets every chunk; returns { fileName } with the stored file to delete (null if
  // none was made), or null when there is nothing to cancel.
  cancel() {
    if (this.role === 'sender' || this.state === 'done') return null;
    this.#halt('cancelled', null);
    this.#tree = new PartialTree(this.count, this.rootBytes, this.format);
    this.#checking.clear();
    this.#writing.clear();
    this.#unflushed = [];
    const { fileName } = this.#record;
    this.#record.fileName = null;
    return { fileName };
  }

  #halt(state, reason) {
    this.#setState(state, reason);
    if (state !== 'paused') this.#plan = null;
    this.#meter.clear();
  }

  // Every chunk is held: the file is done once its state is saved; until then the card
  // says "verifying". False if it was already finishing.
  beginFinishing() {
    if (this.#finishing) return false;
    this.#finishing = true;
    return true;
  }

  finish() {
    this.#setState('done', null);
    this.#plan = null;
  }

  endFinishing() {
    this.#finishing = false;
  }

  #setState(state, reason) {
    this.#record.state = state;
    this.#record.reason = reason;
  }

  // ---- Chunks coming in (files/chunk-receiver.js) -------------------------------------------

  countDuplicate() {
    this.#record.received += 1;
    this.#record.duplicates += 1;
  }

  countReceived() {
    this.#record.received += 1;
  }

  countIgnored() {
    this.#ignored += 1;
  }

  countRejected() {
    this.#rejected += 1;
  }

  countServed() {
    this.#served += 1;
  }

  // A source that sent damaged chunks, with the name the room knows it by.
  banSource(peerKey, name) {
    this.#bannedSources.set(peerKey, name);
  }

  // A chunk that arrived is being checked (its proof, its tag); endCheck once it is done,
  // whatever the outcome.
  beginCheck(index) {
    this.#checking.add(index);
  }

  endCheck(index) {
    this.#checking.delete(index);
  }

  // A verified chunk handed to the file worker (bytes: its plaintext length).
  startWrite(index, { peerKey, leaf, proof }, bytes, now) {
    this.#writing.set(index, { peerKey, leaf, proof });
    this.#meter.add(now, bytes);
  }

  // The write of `index` into `fileName` is done; false if the transfer moved on since
  // (cancelled, or the chunk is no longer expected).
  written(index, fileName) {
    if (this.#record.fileName !== fileName || !this.#writing.has(index)) return false;
    this.#unflushed.push(index);
    return true;
  }

  // Whether the written chunks should be flushed now: `batch` of them, or nothing else
  // asked for is on its way (so none would join the batch).
  flushDue(batch) {
    if (!this.#unflushed.length) return false;
    if (this.#unflushed.length >= batch || !this.#plan || !this.isActive) return true;
    return this.#plan.inFlightTotal <= this.#writing.size;
  }

  // Flushes coalesce: false while one runs.
  beginFlush() {
    if (this.#flushing) return false;
    this.#flushing = true;
    return true;
  }

  endFlush() {
    this.#flushing = false;
  }

  takeUnflushed() {
    return this.#unflushed.splice(0);
  }

  // The chunks of a flushed batch count as held now: in the tree and released in the
  // plan. Returns the indices that were still expected.
  flushed(batch) {
    const fresh = [];
    for (const index of batch) {
      const written = this.#writing.get(index);
      if (!written) continue;
      this.#writing.delete(index);
      this.#tree.add(index, written.leaf, written.proof);
      this.#plan?.received(written.peerKey, index);
      fresh.push(index);
    }
    return fresh;
  }

  // ---- Saving (the caller writes; the Transfer keeps the timer and the order) ------------

  saveSoon(delayMs, save) {
    if (!this.#forgotten) this.#saves.soon(delayMs, save);
  }

  // Saves after the saves before it; write(record) stores the record.
  saveNow(write) {
    if (this.#forgotten) return Promise.resolve();
    return this.#saves.now(() => write(this.toRecord()));
  }

  // The record as stored: the same object each time, with the tree as it is now.
  toRecord() {
    this.#record.tree = this.#tree.toBytes();
    return this.#record;
  }

  // ---- The finished file -------------------------------------------------------------------

  // The stored file and an object URL of it (the file on disk, not a copy in memory), the
  // same each time it is asked for; null until the file is done.
  storedFile(files) {
    if (this.state !== 'done' || !this.fileName) return null;
    return this.#storedFile.get(() => files.file(this.fileName), this.offer.mime);
  }

  releaseStoredFile() {
    this.#storedFile.release();
  }

  // ---- What a file card shows ------------------------------------------------------------

  // Bytes/s of the chunks verified over the last SPEED_WINDOW_MS (files/speed-meter.js).
  speed(now = performance.now()) {
    return this.#meter.speed(now);
  }

  // sources: ready peers that announced a chunk this transfer still lacks.
  status({ sources, asking = 0, now = performance.now() }) {
    const held = this.heldCount;
    const bytes = this.heldBytes;
    const speed = this.speed(now);
    let state = this.#record.state;
    if (state === 'active') {
      if (this.#finishing || held === this.count) state = 'verifying';
      else if (sources === 0) state = asking > 0 ? 'asking' : 'waiting';
      else state = 'transferring';
    }
    const remaining = this.offer.size - bytes;
    return {
      state, reason: this.#record.reason, role: this.#record.role, held, count: this.count, size: this.offer.size,
      bytes, speed, eta: speed > 0 && state === 'transferring' ? remaining / speed : null,
      received: this.#record.received, duplicates: this.#record.duplicates, rejected: this.#rejected,
      ignored: this.#ignored, served: this.#served,
      peers: sources,
      // Who was marked for sending damaged chunks, by the name this room knows.
      banned: this.bannedNames,
    };
  }
}

// A saved tree checked against the root, or null (none, or damaged: start again).
function savedTree(bytes, count, rootBytes, format) {
  if (!bytes) return null;
  try {
    return PartialTree.fromBytes(bytes, count, rootBytes, format);
  } catch {
    return null;
  }
}
