// Two RoomSessions wired together in memory, the way Holepunch tests replicate(a, b):
// real entries, real crypto, frames as JSON text through the data-frame schema; no
// browser, no IndexedDB, no network. Test support, not a test file.
import { createIdentity, identityId } from '../../static/app/identity/identity.js';
import { encodeDataFrame, parseDataFrame } from '../../static/app/peers/data-frames.js';
import { SwarmPeer } from '../../static/app/peers/swarm-peer.js';
import { OVERLAY_DEGREE } from '../../static/app/peers/overlay.js';
import { createRoom, withKeys } from '../../static/app/room/rooms.js';
import { RoomSession } from '../../static/app/room/room-session.js';

// The device store's API (storage/db.js), in memory.
export class MemoryStore {
  constructor() {
    this.entries = new Map();
    this.forks = [];
    this.rooms = new Map();
  }
  async listEntries(topic) { return [...this.entries.values()].filter((e) => e.topic === topic); }
  async getEntry(id) { return this.entries.get(id); }
  async saveEntries(records) { for (const r of records) this.entries.set(r.id, structuredClone(r)); }
  async deleteEntries(ids) { for (const id of ids) this.entries.delete(id); }
  async listForks(topic) { return this.forks.filter((f) => f.topic === topic); }
  async saveFork(fork) { this.forks.push(structuredClone(fork)); }
  async saveRoom(room) { this.rooms.set(room.topic, structuredClone({ ...room, keys: undefined })); }
}

// One side of an in-memory link, with the swarm API RoomSession uses. Its peer is a real
// SwarmPeer, moved through its states the way peers/room-swarm.js moves it.
class LinkedSwarm extends EventTarget {
  constructor() {
    super();
    this.peers = new Map();
    this.remote = null;
    this.peer = this.#newPeer();
    this.delivered = [];
  }
  start() {}
  stop() {}
  readyPeers() { return [...this.peers.values()].filter((p) => p.state === 'ready'); }
  linksToFew(memberCount) { return memberCount - 1 > OVERLAY_DEGREE.high; } // as RoomSwarm's
  broadcast(frame) { return this.readyPeers().filter((p) => this.sendTo(p, frame)).length; }
  sendTo(peer, frame) {
    if (peer.state !== 'ready') return false;
    const text = encodeDataFrame(frame); // the same schema as a real data channel
    queueMicrotask(() => this.remote.receive(text));
    return true;
  }
  receive(text) {
    if (this.peer.state !== 'ready') return;
    const frame = parseDataFrame(text);
    this.delivered.push(frame);
    this.dispatchEvent(new CustomEvent('frame', { detail: { peer: this.peer, frame } }));
  }
  // Every connection is a new peer object, as a new link is in the real swarm.
  #newPeer() {
    const peer = new SwarmPeer({
      connectionId: 'link',
      link: { close: (reason) => this.drop(reason) },
      trustsMirror: () => true, // a test that says a peer is the mirror means it
      onStrike: (code) => this.dispatchEvent(new CustomEvent('rejected', { detail: { connectionId: 'link', code, peer } })),
    });
    return peer;
  }

  connect(remoteIdentity, remoteName, role = null) {
    if (this.peer.state === 'closed') this.peer = this.#newPeer();
    this.peer.learnIdentity(remoteIdentity);
    this.peer.authenticated(remoteName, role);
    this.peers.set('link', this.peer);
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer: this.peer } }));
  }
  drop(reason) {
    if (!this.peer.closed(reason)) return;
    this.peers.delete('link');
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer: this.peer } }));
  }
}

export function person(name) {
  return { ...createIdentity(), name };
}

export async function sessionFor(identity, roomRecord, store = new MemoryStore()) {
  const room = withKeys(structuredClone(roomRecord));
  const swarm = new LinkedSwarm();
  const session = new RoomSession({ room, identity, store, swarm });
  await session.load();
  session.start();
  await session.writing;
  return { session, swarm, store, room, id: identityId(identity.publicKey) };
}

export function link(a, b) {
  a.swarm.remote = b.swarm;
  b.swarm.remote = a.swarm;
  a.swarm.connect(b.session.identity.publicKey, b.session.identity.name);
  b.swarm.connect(a.session.identity.publicKey, a.session.identity.name);
}

export function unlink(a, b) {
  a.swarm.drop('closed');
  b.swarm.drop('closed');
}

// Lets every queued frame, store write and change event run.
export async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

export { createRoom, identityId };
