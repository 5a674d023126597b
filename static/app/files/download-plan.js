// Which chunk to ask of which peer (docs/protocol.md §11 "Downloading"). Pure: no I/O,
// no timers; the transfer engine tells it what happened and asks what to send next.
//
// Rules: chunks are asked in index order; each chunk is in flight at one peer at a time;
// at most `perPeer` chunks in flight per peer; a peer is only asked for chunks it said it
// has. A chunk comes back to the queue when its peer leaves, lacks it, sends a bad copy
// or the engine gives it back (a stalled request); a rejected chunk goes to another peer
// that has it when there is one. After `maxBadChunksPerPeer` bad chunks a peer is banned
// for this file, also if it reconnects under the same id.
//
// Call received() once the chunk is written and flushed: until then it stays in flight,
// so it is neither asked again nor counted as held before it is on disk.
import { Bitfield } from './bitfield.js';
import { MAX_WANT_COUNT } from './file-frames.js';

export class DownloadPlan {
  #held;
  #perPeer;
  #maxBadChunks;
  #peers = new Map(); // peerId -> { has: Bitfield, inFlight: Set<index> }
  #owner = new Map(); // index in flight -> peerId
  #strikes = new Map(); // peerId -> bad chunks sent
  #banned = new Set();
  #rejectedBy = new Map(); // index -> Set of peerIds that sent a bad copy
  #duplicates = 0;
  #lowestMissing = 0; // every chunk below is held: where scans start

  constructor({ count, held = new Bitfield(count), perPeer = 16, maxBadChunksPerPeer = 4 }) {
    if (!(held instanceof Bitfield) || held.n !== count) throw new RangeError('held must be a Bitfield of count bits');
    if (!Number.isInteger(perPeer) || perPeer < 1) throw new RangeError('perPeer must be >= 1');
    this.count = count;
    this.#held = held;
    this.#perPeer = perPeer;
    this.#maxBadChunks = maxBadChunksPerPeer;
    this.#advanceLowestMissing();
  }

  #advanceLowestMissing() {
    while (this.#lowestMissing < this.count && this.#held.has(this.#lowestMissing)) this.#lowestMissing++;
  }

  #peer(peerId) {
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = { has: new Bitfield(this.count), inFlight: new Set() };
      this.#peers.set(peerId, peer);
    }
    return peer;
  }

  // A `have` range from this peer (throws RangeError for bits past the file).
  peerHas(peerId, first, bits) {
    this.#peer(peerId).has.merge(first, bits);
  }

  peerGone(peerId) {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    for (const index of peer.inFlight) this.#owner.delete(index);
    this.#peers.delete(peerId);
  }

  isBanned(peerId) {
    return this.#banned.has(peerId);
  }

  // Whether `index` is in flight at this peer: a chunk that was not asked for is ignored.
  isWanted(peerId, index) {
    return this.#owner.get(index) === peerId;
  }

  inFlight(peerId) {
    return this.#peers.get(peerId)?.inFlight.size ?? 0;
  }

  // Chunks in flight at any peer (asked, or here but not yet received()).
  get inFlightTotal() {
    return this.#owner.size;
  }

  inFlightChunks(peerId) {
    return [...(this.#peers.get(peerId)?.inFlight ?? [])].sort((a, b) => a - b);
  }

  // A chunk this peer sent a bad copy of is left to another peer that has it.
  #leaveToOthers(peerId, index) {
    const rejecters = this.#rejectedBy.get(index);
    if (!rejecters?.has(peerId)) return false;
    for (const [otherId, other] of this.#peers) {
      if (!rejecters.has(otherId) && !this.#banned.has(otherId) && other.has.has(index)) return true;
    }
    return false;
  }

  // The runs of chunks to `want` from this peer now; they count as in flight from here.
  next(peerId) {
    const peer = this.#peers.get(peerId);
    if (!peer || this.#banned.has(peerId)) return [];
    let budget = this.#perPeer - peer.inFlight.size;
    const picked = [];
    const held = this.#held.bytes;
    const has = peer.has.bytes;
    // Byte at a time: bytes the peer lacks or we hold entirely are skipped whole.
    for (let j = this.#lowestMissing >> 3; budget > 0 && j < held.length; j++) {
      const candidates = has[j] & ~held[j] & 0xff;
      if (candidates === 0) continue;
      for (let k = 0; budget > 0 && k < 8; k++) {
        const index = 8 * j + k;
        if (!(candidates & (1 << k)) || this.#owner.has(index) || this.#leaveToOthers(peerId, index)) continue;
        picked.push(index);
        this.#owner.set(index, peerId);
        peer.inFlight.add(index);
        budget--;
      }
    }
    return runsOf(picked);
  }

  #release(peerId, index) {
    if (this.#owner.get(index) !== peerId) return false;
    this.#owner.delete(index);
    this.#peers.get(peerId)?.inFlight.delete(index);
    return true;
  }

  // A verified chunk, written and flushed. Returns false for a chunk already held (a
  // duplicate: counted in stats).
  received(peerId, index) {
    const owner = this.#owner.get(index);
    if (owner !== undefined) this.#release(owner, index);
    if (!this.#held.set(index)) {
      this.#duplicates++;
      return false;
    }
    this.#rejectedBy.delete(index);
    this.#advanceLowestMissing();
    return true;
  }

  // A bad copy (proof or decryption failed): a strike. Returns true when this strike
  // banned the peer; its other chunks in flight go back to the queue then.
  rejected(peerId, index) {
    this.#release(peerId, index);
    if (!this.#rejectedBy.has(index)) this.#rejectedBy.set(index, new Set());
    this.#rejectedBy.get(index).add(peerId);
    const strikes = (this.#strikes.get(peerId) ?? 0) + 1;
    this.#strikes.set(peerId, strikes);
    if (strikes < this.#maxBadChunks || this.#banned.has(peerId)) return false;
    this.#banned.add(peerId);
    for (const other of this.inFlightChunks(peerId)) this.#release(peerId, other);
    return true;
  }

  // The peer answered `lack`: it does not hold the chunk (any more).
  lacked(peerId, index) {
    this.#release(peerId, index);
    this.#peers.get(peerId)?.has.clear(index);
  }

  // Back to the queue without blame, e.g. a request that stalled.
  giveBack(peerId, index) {
    this.#release(peerId, index);
  }

  get done() {
    return this.#held.complete;
  }

  get stats() {
    return { held: this.#held.count(), inFlight: this.#owner.size, duplicates: this.#duplicates };
  }
}

// Ascending indices -> [{ first, count }] of consecutive chunks, at most one `want` each.
function runsOf(indices) {
  const runs = [];
  for (const index of indices) {
    const last = runs.at(-1);
    if (last && last.first + last.count === index && last.count < MAX_WANT_COUNT) last.count++;
    else runs.push({ first: index, count: 1 });
  }
  return runs;
}
