// Members of one room exchanging files in memory: TransferManagers wired through fake
// peer links whose data channels deliver bytes on the next tick, a file store in memory
// instead of the OPFS worker, and a transfer store instead of IndexedDB. Its peers are
// real SwarmPeers (frozen), so a files module that wrote into one would fail here as it
// would in the browser.
//
//   const room = filesRoom()
//   const ada = await room.member('ada'); const bob = await room.member('bob')
//   room.connect(ada, bob)          // a ready link both ways
//   room.disconnect(ada, bob)       // the link closes
//   await ada.manager.send([new File([bytes], 'a.bin')])
//   await room.until(() => bob.manager.status(root)?.state === 'done')
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createIdentity, identityId } from '../../static/app/identity/identity.js';
import { TransferManager } from '../../static/app/files/transfer-manager.js';
import { SwarmPeer } from '../../static/app/peers/swarm-peer.js';

export class MemoryFiles {
  constructor() {
    this.data = new Map(); // name -> Uint8Array
    this.writes = 0;
  }

  #grow(name, size) {
    const current = this.data.get(name) ?? new Uint8Array(0);
    if (current.length >= size) return current;
    const grown = new Uint8Array(size);
    grown.set(current);
    this.data.set(name, grown);
    return grown;
  }

  async write(name, offset, bytes) {
    this.writes += 1;
    this.#grow(name, offset + bytes.length).set(bytes, offset);
    return bytes.length;
  }

  async read(name, offset, length) {
    const bytes = this.data.get(name);
    if (!bytes || bytes.length < offset + length) throw Object.assign(new Error('short read'), { code: 'storage_failed' });
    return bytes.slice(offset, offset + length);
  }

  async flush() {
    return true;
  }

  async truncate(name, size) {
    this.data.set(name, this.#grow(name, size).slice(0, size));
    return true;
  }

  async file(name) {
    return new File([this.data.get(name) ?? new Uint8Array(0)], name);
  }

  async delete(name) {
    this.data.delete(name);
    return true;
  }
}

export class MemoryTransferStore {
  constructor() {
    this.records = new Map();
  }

  async listTransfers(topic) {
    return [...this.records.values()].filter((r) => r.topic === topic).map((r) => structuredClone(r));
  }

  async saveTransfer(record) {
    this.records.set(`${record.topic} ${record.root}`, structuredClone(record));
  }

  async deleteTransfer(topic, root) {
    this.records.delete(`${topic} ${root}`);
  }
}

// One direction of a data channel: what one side sends, the other receives.
class FakeChannel extends EventTarget {
  constructor(label) {
    super();
    this.label = label;
    this.readyState = 'open';
    this.bufferedAmount = 0;
    this.bufferedAmountLowThreshold = 0;
    this.binaryType = 'arraybuffer';
    this.partner = null;
    this.tamper = null; // (bytes) -> bytes, for a peer that sends bad data
    this.sent = [];
  }

  send(bytes) {
    if (this.readyState !== 'open') throw new Error('closed');
    let data = bytes.slice();
    if (this.tamper) data = this.tamper(data);
    this.sent.push(data[0]);
    this.bufferedAmount += data.length;
    setImmediate(() => {
      this.bufferedAmount -= data.length;
      if (this.bufferedAmount <= this.bufferedAmountLowThreshold) this.dispatchEvent(new Event('bufferedamountlow'));
      if (this.partner?.readyState === 'open') {
        this.partner.dispatchEvent(Object.assign(new Event('message'), { data: data.buffer }));
      }
    });
  }

  close() {
    for (const channel of [this, this.partner]) {
      if (channel && channel.readyState !== 'closed') {
        channel.readyState = 'closed';
        channel.dispatchEvent(new Event('close'));
      }
    }
  }
}

// What FileChannel needs of a PeerLink: pc.createDataChannel, takeChannel, side-channel.
class FakeLink extends EventTarget {
  constructor() {
    super();
    this.other = null;
    this.held = new Map();
    this.channels = [];
    this.pc = { createDataChannel: (label) => this.#open(label) };
  }

  #open(label) {
    const mine = new FakeChannel(label);
    const theirs = new FakeChannel(label);
    mine.partner = theirs;
    theirs.partner = mine;
    this.channels.push(mine);
    this.other.channels.push(theirs);
    this.other.held.set(label, { channel: theirs, early: [] });
    const early = this.other.held.get(label).early;
    theirs.addEventListener('message', (event) => {
      if (this.other.held.get(label)?.channel === theirs) early.push(event.data);
    });
    queueMicrotask(() => this.other.dispatchEvent(new Event('side-channel')));
    return mine;
  }

  takeChannel(label) {
    const held = this.held.get(label);
    if (!held) return null;
    this.held.delete(label);
    return held;
  }

  close() {
    for (const channel of this.channels) channel.close();
  }
}

// perPeer: chunks in flight per peer. Small here, so that a 20-chunk file is still
// fetched from several holders at once.
export function filesRoom({ stallMs, perPeer = 8 } = {}) {
  const topic = toBase64Url(new Uint8Array(32).fill(7));
  const members = [];
  let nextConnection = 1;
  const files = new Map(); // root -> offer: the room log's `file` entries, shared

  class Member {
    constructor(name, identity = createIdentity(), stores = {}, { offersLate = false, autoDownloadBytes = Number.MAX_SAFE_INTEGER } = {}) {
      this.name = name;
      this.identity = identity;
      this.selfId = identityId(identity.publicKey);
      this.files = stores.files ?? new MemoryFiles();
      this.store = stores.store ?? new MemoryTransferStore();
      this.peers = new Map(); // connectionId -> peer
      this.swarm = Object.assign(new EventTarget(), {
        readyPeers: () => [...this.peers.values()].filter((p) => p.state === 'ready'),
      });
      this.warnings = [];
      this.session = Object.assign(new EventTarget(), {
        selfId: this.selfId,
        // offersLate: this member has not received the room's file entries yet (see
        // room.deliverOffers).
        view: { files: offersLate ? new Map() : files },
        sendFile: async (offer) => {
          files.set(offer.root, { ...offer, id: offer.root, author: this.selfId, ts: Date.now() });
          for (const member of members) member.session.dispatchEvent(new Event('change'));
        },
        warn: (code) => this.warnings.push(code),
      });
      this.manager = new TransferManager({
        room: { topic }, session: this.session, swarm: this.swarm, store: this.store, files: this.files, stallMs,
        perPeer, autoDownloadBytes: () => autoDownloadBytes,
      });
    }
  }

  const room = {
    files,
    members,
    // Members download every offer by themselves unless `autoDownloadBytes` says less.
    async member(name, { identity, files: memberFiles, store, offersLate, autoDownloadBytes } = {}) {
      const member = new Member(name, identity, { files: memberFiles, store }, { offersLate, autoDownloadBytes });
      members.push(member);
      await member.manager.load();
      member.manager.start();
      return member;
    },
    // The room's file entries reach a member created with `offersLate`.
    deliverOffers(member) {
      member.session.view = { files };
      member.session.dispatchEvent(new Event('change'));
    },
    // A member quits: its manager stops and its links close; its stores stay.
    leave(member) {
      for (const other of members) if (other !== member) room.disconnect(member, other);
      member.manager.stop();
      members.splice(members.indexOf(member), 1);
    },
    connect(a, b) {
      const linkA = new FakeLink();
      const linkB = new FakeLink();
      linkA.other = linkB;
      linkB.other = linkA;
      const id = nextConnection++;
      const peerAtA = readyPeer(`c${id}b`, linkA, b);
      const peerAtB = readyPeer(`c${id}a`, linkB, a);
      a.peers.set(peerAtA.connectionId, peerAtA);
      b.peers.set(peerAtB.connectionId, peerAtB);
      a.swarm.dispatchEvent(Object.assign(new Event('peer'), { detail: { peer: peerAtA } }));
      b.swarm.dispatchEvent(Object.assign(new Event('peer'), { detail: { peer: peerAtB } }));
      return { linkA, linkB, peerAtA, peerAtB };
    },
    disconnect(a, b) {
      for (const [x, y] of [[a, b], [b, a]]) {
        for (const peer of [...x.peers.values()]) {
          if (identityId(peer.identity) !== y.selfId) continue;
          x.peers.delete(peer.connectionId);
          peer.closed('closed');
          peer.link.close();
          x.swarm.dispatchEvent(Object.assign(new Event('peer'), { detail: { peer } }));
        }
      }
    },
    async until(condition, { timeoutMs = 10_000 } = {}) {
      const started = Date.now();
      while (!condition()) {
        if (Date.now() - started > timeoutMs) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
  return room;
}

// A link to `member` that came up the way peers/room-swarm.js brings one up: its
// envelopes named the member's identity, its hello carried the member's name.
function readyPeer(connectionId, link, member) {
  const peer = new SwarmPeer({ connectionId, link });
  peer.learnIdentity(member.identity.publicKey);
  peer.authenticated(member.name);
  return peer;
}

export function randomBytes(size, seed = 1) {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}
