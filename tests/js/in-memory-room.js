// Two RoomSessions wired together in memory, the way Holepunch tests replicate(a, b):
// real entries, real crypto, no browser and no network. Test support, not a test file.
import { createIdentity, identityId } from '../../static/app/identity/identity.js';
import { createRoom, withKeys } from '../../static/app/room/rooms.js';
import { RoomSession } from '../../static/app/room/room-session.js';

export class MemoryStore {
  constructor() {
    this.entries = new Map();
    this.rooms = new Map();
  }
  async listEntries(topic) { return [...this.entries.values()].filter((e) => e.topic === topic); }
  async getEntry(id) { return this.entries.get(id); }
  async saveEntry(record) { this.entries.set(record.id, structuredClone(record)); }
  async saveRoom(room) { this.rooms.set(room.topic, room); }
}

// One side of an in-memory link: the swarm API RoomSession uses.
class LinkedSwarm extends EventTarget {
  constructor(identity) {
    super();
    this.peers = new Map();
    this.remote = null;
    this.peer = { connectionId: 'link', identity: null, name: null, state: 'connecting' };
    this.identity = identity;
    this.sent = [];
  }
  start() {}
  stop() {}
  broadcast(frame) { return this.sendTo(this.peer, frame) ? 1 : 0; }
  sendTo(peer, frame) {
    if (peer.state !== 'ready') return false;
    this.sent.push(frame);
    // Frames travel as JSON text, as on the data channel, and arrive asynchronously.
    const text = JSON.stringify(frame);
    queueMicrotask(() => this.remote.receive(JSON.parse(text)));
    return true;
  }
  receive(frame) {
    this.dispatchEvent(new CustomEvent('frame', { detail: { peer: this.peer, frame } }));
  }
  connect() {
    this.peer.state = 'ready';
    this.peers.set('link', this.peer);
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer: this.peer } }));
  }
}

export function person(name) {
  return { ...createIdentity(), name };
}

export async function sessionFor(identity, roomRecord, store = new MemoryStore()) {
  const room = withKeys(structuredClone(roomRecord));
  const swarm = new LinkedSwarm(identity);
  const session = new RoomSession({ room, identity, store, swarm });
  await session.load();
  session.start();
  return { session, swarm, store, room };
}

export function link(a, b) {
  a.swarm.remote = b.swarm;
  b.swarm.remote = a.swarm;
  a.swarm.peer.identity = b.session.identity.publicKey;
  b.swarm.peer.identity = a.session.identity.publicKey;
  a.swarm.connect();
  b.swarm.connect();
}

export function settle() {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

export { createRoom, identityId };
