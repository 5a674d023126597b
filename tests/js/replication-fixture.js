// Peers with a RoomLog each, wired together in memory the way Holepunch tests
// replicate(a, b): real entries and crypto, frames as JSON text through the data-frame
// schema, no browser and no network. Each link direction is an ordered queue (like a
// data channel); the network delivers one frame at a time, in any order between queues.
// Test support, not a test file.
import assert from 'node:assert/strict';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { encodeDataFrame, parseDataFrame } from '../../static/app/peers/data-frames.js';
import { entryId } from '../../static/app/room/entry.js';
import { orderEntries } from '../../static/app/room/order.js';
import { Replicator } from '../../static/app/room/replicator.js';
import { RoomLog } from '../../static/app/room/room-log.js';

export const newRoom = () => deriveRoomKeys(newRoomSecret());

// Everything a log shows from outside, to check that a rejection changed nothing.
export function snapshot(log) {
  const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    heads: log.heads().sort((a, b) => (a.author < b.author ? -1 : 1)),
    records: log.records().sort(byId),
    maxClock: log.maxClock(),
    forks: log.forks(),
  };
}

export const orderOf = (log) => orderEntries(log.records()).map((record) => record.id);

// A small deterministic PRNG, so a failing fast-check seed replays the same schedule.
export function randomFrom(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

export class Peer {
  constructor(name, room, identity = createIdentity()) {
    this.name = name;
    this.identity = identity;
    this.id = toBase64Url(identity.publicKey);
    this.log = new RoomLog(room);
    this.links = [];
    this.rejections = [];
    this.forks = [];
  }

  // What RoomSession does when the user writes: append, then push to every link.
  write(text, fields = {}) {
    const record = this.log.append(this.identity, { type: 'message', ts: 1, text, ...fields });
    for (const link of this.links) link.replicator.pushOwn([record]);
    return record;
  }

  // New entries from one link: tell the other links (§8 "After storing new entries").
  added(fromLink, records) {
    if (records.length === 0) return;
    const authors = [...new Set(records.map((record) => record.author))];
    for (const link of this.links) if (link !== fromLink) link.replicator.announce(authors);
  }
}

export class Network {
  constructor(pick = randomFrom(1)) {
    this.pick = pick;
    this.channels = []; // { name, to: endpoint, queue: [text] }
    this.crossings = new Map(); // `${link}|${entry id}` -> times sent over that link
    this.frames = [];
  }

  link(a, b) {
    const name = `${a.name}-${b.name}`;
    const ends = [a, b].map((peer) => ({ peer, replicator: null }));
    ends.forEach((end, i) => {
      const channel = { name, to: ends[1 - i], queue: [] };
      this.channels.push(channel);
      end.replicator = new Replicator({
        log: end.peer.log,
        send: (frame) => this.#send(channel, frame),
        onAdded: (records) => end.peer.added(end, records),
        onRejected: (rejection) => end.peer.rejections.push(rejection),
        onFork: (fork) => end.peer.forks.push(fork),
      });
      end.peer.links.push(end);
    });
    for (const end of ends) end.replicator.start();
    return ends;
  }

  #send(channel, frame) {
    const text = encodeDataFrame(frame); // throws on anything a peer would reject
    this.frames.push({ link: channel.name, frame: JSON.parse(text), bytes: text.length });
    if (frame.t === 'entries') {
      for (const entry of frame.entries) {
        const key = `${channel.name}|${toBase64Url(entryId(fromBase64Url(entry)))}`;
        this.crossings.set(key, (this.crossings.get(key) ?? 0) + 1);
      }
    }
    channel.queue.push(text);
  }

  pending() {
    return this.channels.filter((channel) => channel.queue.length > 0);
  }

  // Delivers one frame from a randomly chosen non-empty queue; false when all are empty.
  step() {
    const ready = this.pending();
    if (ready.length === 0) return false;
    const channel = ready[this.pick(ready.length)];
    channel.to.replicator.receive(parseDataFrame(channel.queue.shift()));
    return true;
  }

  run(limit = 1_000_000) {
    let steps = 0;
    while (this.step()) assert.ok(++steps < limit, 'replication does not settle');
    return steps;
  }

  assertEachEntryCrossedEachLinkAtMostOnce() {
    for (const [key, count] of this.crossings) assert.equal(count, 1, `${key} crossed ${count} times`);
  }
}

export function assertSameHistory(...peers) {
  const [first, ...rest] = peers;
  for (const peer of rest) {
    assert.deepEqual(snapshot(peer.log).heads, snapshot(first.log).heads, `${peer.name} heads`);
    assert.deepEqual(orderOf(peer.log), orderOf(first.log), `${peer.name} order`);
  }
}
