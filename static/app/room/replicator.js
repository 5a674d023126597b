// Replicator: log replication over one peer link (docs/protocol.md §8). It speaks
// `heads`, `want` and `entries`; acks, typing and hello belong to the owner.
//
//   const replicator = new Replicator({ log, send, onAdded, onRejected, onFork })
//   replicator.start()                 // on a new ready link: our heads
//   replicator.receive(frame)          // a parsed heads/want/entries frame -> handled?
//   replicator.announce(authors?)      // after entries arrived on another link
//   replicator.pushOwn(records)        // after appending our own entries
//   replicator.remoteHeads             // Map author -> { length, head }, as announced
//
// Callbacks: onAdded(records, { duplicates }) when an entries frame brought new entries
// or ones we already had (the owner stores the first and acks both; records may be
// empty); onRejected({ code, author, seq, strike }) per dropped entry, `strike` when the
// relaying peer is to blame (the owner counts it: peers/swarm-peer.js); onFork(fork).
//
// Nothing loops: heads only make a peer ask for what it lacks, a want is answered once,
// and we send entries unasked only when they are our own and the peer holds (or was
// sent) everything before them. Per author at most one want is open on the link, and
// the next one starts at our new length, so no entry crosses a link twice.
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import {
  MAX_DATA_FRAME_BYTES, MAX_ENTRIES_PER_FRAME, MAX_HEADS, MAX_WANT_SPAN,
} from '../peers/data-frames.js';

// A fork is the author's doing, not the relaying peer's: it is reported, not held
// against the link. Nor is an entry of a removed member: the peer may not have heard of
// the removal yet.
const BLAMELESS = new Set(['fork', 'removed']);
const EMPTY_ENTRIES_FRAME_BYTES = JSON.stringify({ t: 'entries', entries: [] }).length;

export class Replicator {
  remoteHeads = new Map();
  #log;
  #send;
  #onAdded;
  #onRejected;
  #onFork;
  #remoteLength = new Map(); // author -> entries the peer holds or has been sent
  #wanted = new Map(); // author -> { from, to } asked for and not yet held

  constructor({ log, send, onAdded = () => {}, onRejected = () => {}, onFork = () => {} }) {
    this.#log = log;
    this.#send = send;
    this.#onAdded = onAdded;
    this.#onRejected = onRejected;
    this.#onFork = onFork;
  }

  start() {
    this.#sendHeads(null, { evenIfEmpty: true });
  }

  announce(authors = null) {
    this.#sendHeads(authors);
    // Entries from another link may have completed what we asked this peer for.
    for (const author of this.#remoteLength.keys()) this.#request(author);
  }

  receive(frame) {
    switch (frame.t) {
      case 'heads': this.#onHeads(frame.heads); return true;
      case 'want': this.#onWant(frame); return true;
      case 'entries': this.#onEntries(frame.entries); return true;
      default: return false;
    }
  }

  pushOwn(records) {
    const push = [];
    const behind = new Set();
    for (const record of [...records].sort((a, b) => a.seq - b.seq)) {
      const held = this.#remoteLength.get(record.author) ?? 0;
      if (record.seq === held) {
        push.push(record.bytes);
        this.#noteRemote(record.author, record.seq + 1);
      } else if (record.seq > held) {
        behind.add(record.author);
      }
    }
    this.#sendEntries(push);
    // A peer that lacks earlier entries would drop a pushed one as a gap and ask for it
    // again: tell it our head instead, and it asks once for the whole range.
    if (behind.size > 0) this.#sendHeads([...behind]);
  }

  #onHeads(heads) {
    for (const { author, length, head } of heads) {
      // A log only grows: an older, shorter announcement does not undo a newer one.
      if (length > (this.remoteHeads.get(author)?.length ?? 0)) {
        this.remoteHeads.set(author, { length, head });
      }
      this.#noteRemote(author, length);
      this.#request(author);
    }
  }

  #onWant({ author, from, to }) {
    const entries = this.#log.range(author, from, to);
    this.#sendEntries(entries);
    if (entries.length > 0) this.#noteRemote(author, from + entries.length);
  }

  #onEntries(texts) {
    const bytesList = [];
    const rejected = [];
    for (const text of texts) {
      try {
        bytesList.push(fromBase64Url(text));
      } catch {
        rejected.push({ code: 'malformed', author: null, seq: null });
      }
    }
    const result = this.#log.ingest(bytesList);
    rejected.push(...result.rejected);

    // Whatever the peer sent, it holds.
    for (const record of result.added) this.#noteRemote(record.author, record.seq + 1);
    for (const id of result.duplicates) {
      const record = this.#log.get(id);
      if (record) this.#noteRemote(record.author, record.seq + 1);
    }
    for (const gap of result.gaps) this.#noteRemote(gap.author, gap.to);
    const touched = new Set([...result.added, ...result.gaps].map(({ author }) => author));
    for (const author of touched) this.#request(author);

    for (const rejection of rejected) {
      this.#onRejected({ ...rejection, strike: !BLAMELESS.has(rejection.code) });
    }
    for (const fork of result.forks) {
      this.#wanted.delete(fork.author);
      this.#onFork(fork);
    }
    if (result.added.length > 0 || result.duplicates.length > 0) {
      this.#onAdded(result.added, { duplicates: result.duplicates });
    }
  }

  #noteRemote(author, length) {
    if (length > (this.#remoteLength.get(author) ?? 0)) this.#remoteLength.set(author, length);
  }

  // One open want per author: ask again only once the last range is held (from this
  // link or another), starting at the new local length.
  #request(author) {
    if (this.#log.isForked(author)) {
      this.#wanted.delete(author);
      return;
    }
    const local = this.#log.length(author);
    const open = this.#wanted.get(author);
    if (open) {
      if (local < open.to) return;
      this.#wanted.delete(author);
    }
    // A removed member's entries past their cap are asked for once per link and then
    // taken out again (room-log.js): the want stays open, so they are not asked again.
    const remote = this.#remoteLength.get(author) ?? 0;
    if (remote <= local) return;
    const to = Math.min(remote, local + MAX_WANT_SPAN);
    this.#wanted.set(author, { from: local, to });
    this.#send({ t: 'want', author, from: local, to });
  }

  #sendHeads(authors, { evenIfEmpty = false } = {}) {
    const only = authors ? new Set(authors) : null;
    const heads = this.#log.heads()
      .filter(({ author }) => !this.#log.isForked(author) && (!only || only.has(author)));
    if (heads.length === 0 && evenIfEmpty) this.#send({ t: 'heads', heads: [] });
    for (let i = 0; i < heads.length; i += MAX_HEADS) {
      this.#send({ t: 'heads', heads: heads.slice(i, i + MAX_HEADS) });
    }
  }

  // Batches stay at most 64 entries and under the frame limit (an entry is at most
  // 22,087 characters of base64url, so a frame always holds at least one).
  #sendEntries(bytesList) {
    let batch = [];
    let size = EMPTY_ENTRIES_FRAME_BYTES;
    const flush = () => {
      if (batch.length > 0) this.#send({ t: 'entries', entries: batch });
      batch = [];
      size = EMPTY_ENTRIES_FRAME_BYTES;
    };
    for (const bytes of bytesList) {
      const text = toBase64Url(bytes);
      const cost = text.length + 3; // quotes and a comma
      if (batch.length === MAX_ENTRIES_PER_FRAME || size + cost >= MAX_DATA_FRAME_BYTES) flush();
      batch.push(text);
      size += cost;
    }
    flush();
  }
}
