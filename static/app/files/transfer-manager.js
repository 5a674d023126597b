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
//   manager.filesMirrorLacks(connectionId)   files held whole here that a mirror does not
//   await manager.forget(root)              a disappearing file's time is up: delete it
//
// A download: for each ready peer, `have?`; a DownloadPlan picks what to `want` of whom
// (at most 64 chunks in flight per peer, each chunk at one peer at a time). A chunk is
// verified against the root (Merkle proof, then its AEAD tag), written at i·S, and once
// the write is flushed it counts as held: added to the PartialTree that proves it to
// others, released in the plan, saved, and announced (`have`) to peers that asked.
//
// This file routes offers and frames; the state and the jobs are elsewhere:
// files/transfer.js is one file's state and its transitions (a Transfer, in a
// TransferRegistry: files/transfer-registry.js), files/file-links.js the room's links,
// files/download-control.js runs each download (start, pause, cancel; `want`, stalls),
// files/chunk-receiver.js takes chunks in (verify, decrypt, write, flush, save),
// files/chunk-server.js serves them (`have`, `want` -> sealed chunks, read in spans),
// files/offer-fields.js names offers.
import { toBase64Url } from '../crypto/encoding.js';
import { randomBytes } from '../crypto/bytes.js';
import { identityId } from '../identity/identity.js';
import { CHUNK_SIZE, chunkCount, MAX_CHUNKS } from './chunk-crypto.js';
import { autoDownloadBytes as autoDownloadOf, DEFAULT_AUTO_DOWNLOAD } from './auto-download.js';
import { ChunkReceiver } from './chunk-receiver.js';
import { ChunkServer } from './chunk-server.js';
import { DownloadControl } from './download-control.js';
import { FileChannel } from './file-channel.js';
import { FileLinks } from './file-links.js';
import { checkFrameChunks, FileFrameError } from './file-frames.js';
import { fileNameOf, mimeOf } from './offer-fields.js';
import { prepareFile } from './prepare-file.js';
import { Transfer } from './transfer.js';
import { TransferRegistry } from './transfer-registry.js';

export { fileNameOf, mimeOf };

// Every chunk 0..count-1 set in a `have` bitfield that starts at chunk 0.
function holdsAll(bits, count) {
  for (let index = 0; index < count; index += 1) {
    if (!(bits[index >> 3] & (1 << (index & 7)))) return false;
  }
  return true;
}

// `have?` questions about files this device has not heard of yet, kept per link.
const MAX_EARLY_QUESTIONS = 256;

export class TransferManager extends EventTarget {
  // autoDownloadBytes: the largest offer that downloads by itself (files/auto-download.js).
  constructor({ room, session, swarm, store, files, stallMs, perPeer, autoDownloadBytes = () => autoDownloadOf(DEFAULT_AUTO_DOWNLOAD) }) {
    super();
    this.autoDownloadBytes = autoDownloadBytes;
    this.room = room;
    this.topic = room.topic;
    this.session = session;
    this.swarm = swarm;
    this.store = store;
    this.files = files; // FileStore, or null where this browser cannot store files
    this.transfers = new TransferRegistry();
    this.links = new FileLinks();
    this.preparing = new Map(); // id -> { id, name, size, done, state, reason }
    this.server = new ChunkServer({ files, onServed: (t) => this.#changed(t.root) });
    this.receiver = new ChunkReceiver({
      files, store, session, links: this.links,
      pump: (t) => this.downloads.pump(t), fail: (t, error) => this.downloads.fail(t, error),
      changed: (root) => this.#changed(root), strike: (link, code) => this.#strike(link, code),
    });
    this.downloads = new DownloadControl({
      files, transfers: this.transfers, links: this.links, receiver: this.receiver,
      changed: (root) => this.#changed(root), stallMs, perPeer,
    });
  }

  async load() {
    this.transfers.restore(await this.store.listTransfers(this.topic));
  }

  start() {
    this.swarm.addEventListener('peer', ({ detail }) => this.#onPeer(detail.peer));
    this.session.addEventListener('change', () => this.#syncOffers());
    this.session.addEventListener('expired', ({ detail }) => this.#onExpired(detail.records));
    for (const peer of this.swarm.readyPeers()) this.#onPeer(peer);
    this.#syncOffers();
    // A closing tab saves what is on disk now rather than at the next save.
    this.onPageHide = () => {
      for (const t of this.transfers) if (t.savePending) this.receiver.saveNow(t);
    };
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  stop() {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    this.downloads.stop();
    this.links.closeAll();
    for (const t of this.transfers) t.releaseStoredFile();
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
        key: toBase64Url(prepared.key), ...(prepared.format !== 1 && { format: prepared.format }),
      };
      const transfer = Transfer.sent({
        offer: { ...offer, author: this.session.selfId }, topic: this.topic, fileName, tree: prepared.tree,
      });
      await this.store.saveTransfer(transfer.toRecord());
      this.transfers.add(transfer);
      await this.session.sendFile(offer);
      for (const link of this.links.current()) if (link.peer.isMirror) this.#keep(link, transfer);
      this.preparing.delete(item.id);
      this.#changed(null);
      this.#changed(root);
    } catch (error) {
      console.warn('parley: a file could not be offered', error);
      item.state = 'failed';
      item.reason = error?.code ?? 'prepare_failed';
      this.#changed(null);
      if (root) {
        this.transfers.remove(root);
        await this.store.deleteTransfer(this.topic, root).catch(() => {});
      }
      await this.files?.delete(fileName).catch(() => {});
    }
  }

  // ---- Offers and their transfers ---------------------------------------------------

  #syncOffers() {
    for (const [root, offer] of this.session.view.files ?? []) {
      if (this.transfers.has(root)) continue;
      const record = this.transfers.takeSaved(root);
      let transfer;
      try {
        transfer = Transfer.fromOffer({ offer, record, topic: this.topic, canStore: Boolean(this.files) });
      } catch (error) {
        console.warn('parley: a file offer cannot be fetched', error);
        continue;
      }
      this.transfers.add(transfer);
      // Peers that asked `have?` before the offer reached us get their answer now: an
      // asker counts us as someone who may hold the file until we answer.
      for (const link of this.links) {
        if (link.asked.has(root)) this.server.answerHave(link, transfer, transfer.rootBytes, transfer.count);
      }
      if (transfer.isActive) this.downloads.begin(transfer);
      else if (!record && transfer.state === 'offered' && offer.size <= this.autoDownloadBytes()) this.download(root);
      this.#changed(root);
    }
  }

  status(root) {
    const t = this.transfers.get(root);
    // Sources: ready peers that announced a chunk we still lack.
    if (!t) return null;
    return t.status({
      sources: t.plan ? this.links.sourcesOf(root) : 0, asking: t.plan ? this.links.askingOf(root) : 0,
    });
  }

  // ---- Disappearing files (docs/protocol.md §7) ---------------------------------------

  #onExpired(records) {
    for (const { body } of records) {
      // Another offer of the same bytes that has not expired keeps the file.
      if (body.type === 'file' && !this.session.view.files.has(body.root)) {
        this.forget(body.root).catch((error) => console.warn('parley: an expired file was not deleted', error));
      }
    }
  }

  // The copy in OPFS, the saved progress and the transfer go; peers drop what they were
  // sending us of it, and nobody is served it from here again.
  async forget(root) {
    const t = this.transfers.get(root);
    if (!t) return;
    const { fileName } = t;
    const { wasActive, done } = t.forget(() => this.store.deleteTransfer(this.topic, root));
    if (wasActive) for (const link of this.links) link.channel.send({ type: 'cancel', root: t.rootBytes });
    t.releaseStoredFile();
    this.transfers.remove(root);
    for (const link of this.links) link.has.delete(root);
    await done;
    // The file worker takes requests in order: what was written before is on disk now,
    // and nothing writes this name again (the transfer forgot it).
    if (fileName) await this.files?.delete(fileName);
    this.#changed(root);
  }

  // ---- Download control (files/download-control.js) ----------------------------------

  download(root) {
    const t = this.transfers.get(root);
    if (t) this.downloads.download(t);
  }

  resume(root) {
    this.download(root);
  }

  pause(root) {
    const t = this.transfers.get(root);
    if (t) this.downloads.pause(t);
  }

  async cancel(root) {
    const t = this.transfers.get(root);
    if (t) await this.downloads.cancel(t);
  }

  // ---- Links ---------------------------------------------------------------------------

  #onPeer(peer) {
    if (peer.state === 'ready' && !this.links.has(peer.connectionId) && peer.identity) {
      const link = {
        connectionId: peer.connectionId, peer, peerKey: identityId(peer.identity), strikes: 0,
        asked: new Set(), has: new Map(), heardAt: new Map(), awaiting: new Set(), channel: null,
        whole: new Set(), // roots a mirror said it holds every chunk of
      };
      link.channel = new FileChannel({
        link: peer.link,
        onFrame: (frame) => this.#onFrame(link, frame),
        onMalformed: (code) => this.#strike(link, code),
      });
      this.links.add(link);
      for (const t of this.transfers) {
        if (t.plan) this.links.askHave(link, t.root, t.rootBytes);
        if (peer.isMirror && t.state === 'done') this.#keep(link, t);
      }
    } else if (peer.state === 'closed' && this.links.has(peer.connectionId)) {
      const { link, wasCurrent } = this.links.remove(peer.connectionId);
      link.channel.close();
      if (wasCurrent) {
        for (const t of this.transfers) {
          t.plan?.peerGone(link.peerKey);
          this.downloads.pump(t);
        }
      }
      for (const t of this.transfers) this.#changed(t.root);
    }
  }

  // A blind mirror keeps the chunks of every file a member holds whole (docs/protocol.md
  // §12): it fetches them over the file channel like any downloader, and serves them.
  // Its answer to `have?`, and the `have` it sends once it holds the whole file, say how
  // far it got (filesMirrorLacks).
  #keep(link, transfer) {
    const { size, format = 1 } = transfer.offer;
    const expires = this.session.view.files.get(transfer.root)?.expires ?? null;
    // A mirror checks chunks itself: it must know the format's hash (format 1 unsaid),
    // and when a disappearing file goes.
    this.swarm.sendTo(link.peer, {
      t: 'keep', root: transfer.root, size, ...(format !== 1 && { format }), ...(expires !== null && { expires }),
    });
    this.links.askHave(link, transfer.root, transfer.rootBytes);
  }

  filesMirrorLacks(connectionId) {
    const link = this.links.current().find((candidate) => candidate.connectionId === connectionId);
    if (!link) return null;
    return [...this.transfers].filter((t) => t.state === 'done' && !link.whole.has(t.root)).length;
  }

  #strike(link, code) {
    if (this.links.strike(link)) this.session.warn?.(code, link.peer);
  }

  #onFrame(link, frame) {
    if (!this.links.isCurrent(link)) return;
    const root = toBase64Url(frame.root);
    const offer = this.session.view.files?.get(root);
    if (!offer) {
      // Not a file of this room — or not yet: the offer may still be on its way to us.
      // A question is remembered (a bounded number per link), so that the chunks we
      // fetch once the offer arrives are announced to the peer that asked.
      if (frame.type === 'have?' && link.asked.size < MAX_EARLY_QUESTIONS) link.asked.add(root);
      return;
    }
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
        return this.server.answerHave(link, t, frame.root, count);
      case 'have':
        link.awaiting.delete(root);
        if (link.peer.isMirror && frame.first === 0 && holdsAll(frame.bits, count)) {
          link.whole.add(root);
          this.#changed(root);
        }
        if (!t?.plan) return undefined;
        if (frame.bits.some((byte) => byte !== 0)) link.has.set(root, true);
        t.plan.peerHas(link.peerKey, frame.first, frame.bits);
        this.downloads.pump(t);
        return this.#changed(root);
      case 'want':
        return this.server.want(link, t, frame);
      case 'chunk':
        return t ? this.receiver.chunk(link, t, frame) : undefined;
      case 'lack':
        if (!t?.plan) return undefined;
        t.plan.lacked(link.peerKey, frame.index);
        return this.downloads.pump(t);
      case 'cancel':
        this.server.cancel(link);
        return link.channel.cancel(root);
      default:
        return undefined;
    }
  }

  // ---- The stored file ---------------------------------------------------------------

  async fileOf(root) {
    return this.transfers.get(root)?.storedFile(this.files) ?? null;
  }

  #changed(root) {
    this.dispatchEvent(new CustomEvent('change', { detail: { root } }));
  }
}

function codeError(code) {
  return Object.assign(new Error(code), { code });
}
