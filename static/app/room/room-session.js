// RoomSession: one open room. It writes the user's messages as signed, encrypted
// entries (room/entry.js), keeps them in the store, sends them to every ready peer, and
// takes entries and delivery receipts from peers after every check of
// docs/protocol.md §7.
//
//   const session = new RoomSession({ room, identity, store, swarm })
//   await session.load(); session.start()
//   await session.send(text)
//   session.addEventListener('change', ...)   // timeline, peers or warnings changed
//   session.timeline.messages(), session.peerList(), session.warnings
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { identityId } from '../identity/identity.js';
import { createEntry, EntryError, openEntry } from './entry.js';
import { Timeline } from './timeline.js';

const MAX_WARNINGS = 20;
const RESEND_LIMIT = 500; // own entries offered to a peer when its link comes up
const QUIET_CLOSE_REASONS = new Set(['left', 'closed', 'channel_closed']);

export class RoomSession extends EventTarget {
  constructor({ room, identity, store, swarm }) {
    super();
    this.room = room;
    this.identity = identity;
    this.selfId = identityId(identity.publicKey);
    this.store = store;
    this.swarm = swarm;
    this.timeline = new Timeline();
    this.warnings = [];
    this.sending = Promise.resolve();
  }

  async load() {
    for (const record of await this.store.listEntries(this.room.topic)) this.timeline.add(record);
  }

  start() {
    this.swarm.addEventListener('peer', ({ detail }) => this.#onPeer(detail.peer));
    this.swarm.addEventListener('frame', ({ detail }) => this.#onFrame(detail.peer, detail.frame));
    this.swarm.addEventListener('rejected', ({ detail }) => this.#warn(detail.code, detail.peer));
    this.swarm.start();
  }

  stop() {
    this.swarm.stop();
  }

  peerList() {
    return [...this.swarm.peers.values()].map((peer) => ({
      connectionId: peer.connectionId,
      id: peer.identity ? identityId(peer.identity) : null,
      name: peer.name ?? (peer.identity ? this.memberName(identityId(peer.identity)) : null),
      state: peer.state,
    }));
  }

  memberName(id) {
    if (id === this.selfId) return this.identity.name;
    return this.room.members?.[id] ?? null;
  }

  // Sends are serialised so two quick messages never take the same sequence number.
  send(text) {
    const result = this.sending.then(() => this.#append(text));
    this.sending = result.catch(() => {});
    return result;
  }

  async #append(text) {
    const seq = this.timeline.nextSeq(this.selfId);
    const head = this.timeline.headId(this.selfId);
    const body = { type: 'message', ts: Date.now(), text };
    const { bytes, id } = createEntry({
      identity: this.identity,
      seq,
      prev: head ? fromBase64Url(head, 32) : null,
      body,
      messageKey: this.room.keys.messageKey,
      discoveryKey: this.room.keys.discoveryKey,
    });
    const record = this.#record({ id: toBase64Url(id), author: this.selfId, seq, prev: head, bytes, body });
    await this.store.saveEntry(record);
    this.timeline.add(record);
    this.swarm.broadcast({ t: 'entry', entry: toBase64Url(bytes) });
    this.#changed();
    return record;
  }

  #record({ id, author, seq, prev, bytes, body }) {
    return {
      id, topic: this.room.topic, author, seq, prev: prev ?? null, bytes,
      ts: body.ts, text: body.text, deliveredTo: [],
    };
  }

  #onPeer(peer) {
    // A link that dies before it was ever usable is something the user should hear about.
    if (peer.state === 'closed' && !peer.greeted && !QUIET_CLOSE_REASONS.has(peer.reason)) {
      this.#warn(peer.reason, peer);
    }
    if (peer.state === 'ready' && !peer.greeted) {
      peer.greeted = true;
      this.swarm.sendTo(peer, { t: 'hello', v: 1, name: this.identity.name ?? '' });
      for (const record of this.timeline.entriesBy(this.selfId).slice(-RESEND_LIMIT)) {
        this.swarm.sendTo(peer, { t: 'entry', entry: toBase64Url(record.bytes) });
      }
    }
    this.#changed();
  }

  async #onFrame(peer, frame) {
    if (frame.t === 'hello') return this.#onHello(peer, frame);
    if (frame.t === 'entry') return this.#onEntry(peer, frame.entry);
    if (frame.t === 'ack') return this.#onAck(peer, frame.ids);
  }

  async #onHello(peer, { name }) {
    peer.name = name.trim() || null;
    const id = identityId(peer.identity);
    if (peer.name && this.room.members?.[id] !== peer.name) {
      this.room.members = { ...this.room.members, [id]: peer.name };
      await this.store.saveRoom(this.room);
    }
    this.#changed();
  }

  async #onEntry(peer, encoded) {
    let opened;
    try {
      opened = openEntry(fromBase64Url(encoded), {
        messageKey: this.room.keys.messageKey,
        discoveryKey: this.room.keys.discoveryKey,
      });
    } catch (error) {
      if (!(error instanceof EntryError)) throw error;
      return this.#warn(error.code, peer);
    }
    const id = toBase64Url(opened.id);
    const author = identityId(opened.author);
    const verdict = this.timeline.check({
      author, seq: opened.seq, prev: toBase64Url(opened.prev), id,
    });
    if (verdict === 'fork' || verdict === 'broken_chain') return this.#warn(verdict, peer);
    if (verdict === 'new') {
      const record = this.#record({
        id, author, seq: opened.seq, prev: opened.seq === 0 ? null : toBase64Url(opened.prev),
        bytes: fromBase64Url(encoded), body: opened.body,
      });
      await this.store.saveEntry(record);
      this.timeline.add(record);
      this.#changed();
    }
    this.swarm.sendTo(peer, { t: 'ack', ids: [id] });
  }

  async #onAck(peer, ids) {
    if (!peer.identity) return;
    const peerId = identityId(peer.identity);
    for (const id of ids) {
      if (this.timeline.get(id)?.author !== this.selfId) continue;
      if (!this.timeline.markDelivered(id, peerId)) continue;
      const record = this.timeline.get(id);
      await this.store.saveEntry({ ...record, deliveredTo: [...record.deliveredTo] });
    }
    this.#changed();
  }

  #warn(code, peer) {
    const who = peer?.identity ? identityId(peer.identity) : null;
    this.warnings = [...this.warnings, { code, peerId: who, name: peer?.name ?? null, at: Date.now() }]
      .slice(-MAX_WARNINGS);
    this.#changed();
  }

  dismissWarnings() {
    this.warnings = [];
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
