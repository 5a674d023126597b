// RoomSession: one open room. It owns the room's logs (RoomLog), runs one Replicator
// per ready peer link, keeps the device store in step, and derives what the UI shows
// (buildRoomState). docs/protocol.md §6–§8. It reads the swarm's peers and reports a
// peer's rejected entries to it (peer.strike); the peer decides when that is enough.
//
//   const session = new RoomSession({ room, identity, store, swarm, sendsReceipts })
//   await session.load(); session.start(); session.stop()
//   writes: send(text, { reply }), edit, remove, react, sendFile(offer) (§11),
//     requestPayment(fields), payRequest(request, { txid } | { preimage }), confirmReceived(request),
//     recordCall({ call, event, video, duration }), rename(name), renameRoom(name),
//     leave(), setMailbox({ mailbox, notify } | null) (§10); setTyping(active), markRead()
//   session.view -> buildRoomState's { messages, timeline, names, members, ... }
//   reads: peerList(), memberList(), memberCount(), isBig(), memberName(id), typingNames(), unreadCount(),
//     deliveredCount(message), readCount(message), canWrite(), warnings
//   await session.delivered(ms)   every member linked now holds our whole log (or ms)
//   events: 'change'; 'revoked' (this linked device was unlinked, §13); 'appended' (e.detail.record: each own entry written); 'expired'
//     (e.detail.records: entries whose time ran out, with the bodies they had)
//     (room/room-expiry.js: disappearing messages, docs/protocol.md §7)
import { identityId } from '../identity/identity.js';
import { memberList } from './member-list.js';
import { memberName } from './member-names.js';
import { OwnDelivery } from './own-delivery.js';
import { PendingJoin } from './pending-join.js';
import { ReadReceipts, readCount } from './read-receipts.js';
import { Replicator } from './replicator.js';
import { RoomLog } from './room-log.js';
import { DEFAULT_SETTINGS } from './room-rules.js';
import { RoomExpiry } from './room-expiry.js';
import { RoomModeration } from './room-moderation.js';
import { buildRoomState } from './room-state.js';
import { Typing } from './typing.js';
import { isPerson } from '../peers/swarm-peer.js';

const MAX_WARNINGS = 20;
const ACK_BATCH = 64;
const JOIN_WAIT_MS = 10_000; // a `join` through an invite waits at most this for the history
const JOIN_AFTER_HISTORY_MS = 300;
// A blind mirror checks what it can without the message key (docs/protocol.md §12): an
// entry that fails a check it cannot make is its author's doing, not the mirror's.
const blamesAuthor = (peer, code) => peer.isMirror && (code === 'undecryptable' || code === 'bad_clock');

export class RoomSession extends EventTarget {
  constructor({ room, identity, store, swarm, sendsReceipts = () => true }) {
    super();
    this.room = room;
    this.identity = identity;
    // The key this device signs with (its log's author) and the person it is: the same,
    // but on a linked device (identity.person, docs/protocol.md §13).
    this.authorId = identityId(identity.publicKey);
    this.selfId = identity.person ?? this.authorId;
    this.store = store;
    this.swarm = swarm;
    this.log = new RoomLog({
      discoveryKey: room.keys.discoveryKey, messageKey: room.keys.messageKey, controlKey: room.keys.controlKey,
      founder: room.founder ?? null,
    });
    this.view = {
      messages: [], timeline: [], names: new Map(), members: new Set(), mailboxes: new Map(), files: new Map(),
      roomName: null, left: new Set(), lastActive: new Map(), readUpTo: new Map(),
      settings: DEFAULT_SETTINGS, refused: [], moderation: this.log.moderation,
    };
    this.warnings = [];
    this.replicators = new Map(); // ready peer (SwarmPeer) -> its Replicator, until it closes
    this.delivery = new OwnDelivery({ room, store, linked: () => this.#heldByLinked() });
    // A join that could not be written (this device catching up) is due again later.
    this.join = new PendingJoin(() => this.#append(this.#joinBody())
      .then(() => this.#syncMailbox(), () => this.join.wait(JOIN_WAIT_MS)));
    this.receipts = new ReadReceipts({
      enabled: sendsReceipts,
      state: () => ({
        view: this.view, selfId: this.selfId, lastReadClock: this.room.lastReadClock ?? 0,
        canWrite: this.canWrite() && !this.join.pending, bigRoom: this.isBig(),
      }),
      write: (body) => this.#append(body),
    });
    this.typing = new Typing({
      // Typing is for people: a mirror is not told.
      broadcast: (frame) => this.swarm.readyPeers().filter(isPerson).forEach((peer) => this.swarm.sendTo(peer, frame)),
      changed: () => this.#changed(),
    });
    this.moderation = new RoomModeration({
      // Roles are the signing key's (§13): a linked device moderates nothing.
      log: this.log, selfId: this.authorId, view: () => this.view, write: (body) => this.#append(body),
    });
    this.writing = Promise.resolve();
    this.changeQueued = false;
    this.seqOf = new Map();
    this.wantedMailbox = null; // { mailbox, notify }: what our latest `mailbox` entry should say
    this.expiry = new RoomExpiry({
      log: this.log, store, topic: room.topic, settings: () => this.view.settings,
      expired: (records) => this.dispatchEvent(new CustomEvent('expired', { detail: { records } })),
      changed: () => this.#rebuild(),
    });
  }

  async load() {
    this.log.load(await this.store.listEntries(this.room.topic));
    this.log.loadForks(await this.store.listForks(this.room.topic));
    await this.#forgetRemoved();
    await this.expiry.run();
    this.#rebuild();
  }

  start() {
    this.swarm.addEventListener('peer', ({ detail }) => this.#onPeer(detail.peer));
    this.swarm.addEventListener('frame', ({ detail }) => this.#onFrame(detail.peer, detail.frame));
    this.swarm.addEventListener('rejected', ({ detail }) => this.#warn(detail.code, detail.peer));
    this.swarm.addEventListener('twins', () => this.#changed());
    this.swarm.start();
    // Through an invite, or back in a room this device left (its own log whole), the
    // `join` waits for the room's history (room/pending-join.js).
    const fresh = !this.room.restored && this.log.length(this.authorId) === 0 && !this.log.isForked(this.authorId);
    if ((fresh && this.room.invited) || this.room.rejoining) this.join.wait(JOIN_WAIT_MS);
    else if (fresh) this.#append(this.#joinBody());
    this.#syncMailbox();
  }

  stop() {
    this.expiry.stop();
    this.join.stop();
    this.receipts.stop();
    this.swarm.stop();
  }

  // Writing: every append is serialised so sequence numbers and clocks never collide.

  send(text, { reply = null } = {}) {
    return this.#post({ type: 'message', text, ...(reply ? { reply } : {}) });
  }

  // A post the room's rules would refuse is not written (room/room-powers.js).
  #post(body) {
    const blocked = this.moderation.postingBlock();
    return blocked ? Promise.reject(new Error(blocked.reason)) : this.#append(body);
  }

  edit(target, text) {
    return this.#append({ type: 'edit', target, text });
  }

  remove(target) {
    return this.#append({ type: 'delete', target });
  }

  react(target, emoji, on = true) {
    return this.#append({ type: 'reaction', target, emoji, on });
  }

  // A file offer (docs/protocol.md §11); files/transfer-manager.js prepares it.
  sendFile(offer) {
    return this.#post({ type: 'file', ...offer });
  }

  // Payments (docs/protocol.md §7 "Payments"): a request is a post; a receipt (a
  // `txid` or a Lightning `preimage`) and a "received" answer one (ui/payment-card.js).
  requestPayment(fields) {
    return this.#post({ type: 'payment', ...fields });
  }

  payRequest(request, proof) {
    return this.#append({ type: 'paid', request, ...proof });
  }

  confirmReceived(request) {
    return this.#append({ type: 'received', request });
  }

  // A call event in the room's history (docs/protocol.md §7 `call`): event 'started',
  // 'joined' or 'ended'; `duration` (ms) only, and always, with 'ended'.
  recordCall({ call, event, video, duration }) {
    return this.#append({ type: 'call', call, event, video, ...(event === 'ended' ? { duration } : {}) });
  }

  // Unlinks one of this identity's devices here (§13): as much of its log as this device
  // holds counts, what it writes from now on does not.
  revokeDevice({ id, created, cert }) {
    return this.#append({ type: 'revoke', device: id, upTo: this.log.length(id), created, cert });
  }

  renameRoom(name) {
    return this.#append({ type: 'room', name });
  }

  // After its `leave`, a session writes nothing more (ParleyApp.leaveRoom stops it).
  async leave() {
    const record = await this.#append({ type: 'leave' });
    this.hasLeft = true;
    return record;
  }

  // Resolves once every member linked now holds all of our own log, or after `ms`.
  delivered(ms) {
    return this.delivery.whenAllHold({ length: () => this.log.length(this.authorId), changes: this, ms });
  }

  rename(name) {
    return this.#append({ type: 'name', name });
  }

  // Where and when to wake this device (docs/protocol.md §10). A `mailbox` entry is
  // written only when it would change what the room knows, and only once this device
  // may write (a restored room waits until it holds its own log again, see canWrite).
  setMailbox(announcement) {
    this.wantedMailbox = announcement;
    this.#syncMailbox();
  }

  #syncMailbox() {
    const run = this.writing.then(async () => {
      const wanted = this.wantedMailbox;
      // Not before the join: the mailbox entry would take its place at the room's start.
      if (!wanted || !this.canWrite() || this.join.pending) return;
      const known = this.view.mailboxes.get(this.authorId);
      if (known?.mailbox === wanted.mailbox && known?.notify === wanted.notify) return;
      await this.#appendNow({ type: 'mailbox', mailbox: wanted.mailbox, notify: wanted.notify });
    });
    this.writing = run.catch(() => {});
  }

  // False while this device does not hold its own log as far as it is known to go:
  // after a restore (docs/protocol.md §9), or when a peer announces more of our own log
  // than we hold, or while a member keeps another device of our identity instead of
  // this one (peers/device-twins.js). Appending then would fork our own log.
  canWrite() {
    if (this.swarm.twins?.superseded) return false;
    if (this.log.moderation.roleOf(this.authorId) === 'removed' || this.log.revocations.has(this.authorId)) return false;
    const length = this.log.length(this.authorId);
    const restored = this.room.restored;
    if (restored && length < restored.ownLength) return false;
    if (restored?.ownHead && this.log.get(restored.ownHead)?.seq !== restored.ownLength - 1) return false;
    for (const peer of this.swarm.readyPeers()) {
      if ((this.replicators.get(peer)?.remoteHeads.get(this.authorId)?.length ?? 0) > length) return false;
    }
    return !this.log.isForked(this.authorId);
  }

  #append(fields) {
    const result = this.writing.then(() => this.#appendNow(fields));
    this.writing = result.catch(() => {});
    return result;
  }

  // A linked device's first entry names whose device it is (§13); the person joined
  // the room on their first device.
  #joinBody() {
    const { device, person, name } = this.identity;
    if (person && device) return { type: 'device', identity: person, created: device.created, cert: device.cert, name: device.name };
    return { type: 'join', name: name || 'Someone' };
  }

  // Only from inside the `writing` chain.
  async #appendNow(fields) {
    if (this.hasLeft) throw new Error('left');
    if (fields.type !== 'join' && this.join.take()) await this.#appendNow(this.#joinBody());
    if (!this.canWrite()) throw new Error('catching_up');
    const ts = Date.now();
    const appended = this.log.append(this.identity, { ...fields, ts }, { expires: this.expiry.expiresFor(fields, ts) });
    const record = { ...appended, topic: this.room.topic };
    await this.store.saveEntries([record]);
    if (fields.type === 'join' && this.room.rejoining) {
      delete this.room.rejoining;
      await this.store.saveRoom(this.room);
    }
    for (const peer of this.swarm.readyPeers()) this.replicators.get(peer)?.pushOwn([record]);
    this.#rebuild();
    this.dispatchEvent(new CustomEvent('appended', { detail: { record } }));
    // A person who comes into a room on a linked device first is named there by a `join`.
    if (fields.type === 'device' && !this.view.names.has(this.selfId)) {
      await this.#appendNow({ type: 'join', name: this.identity.name || 'Someone' });
    }
    return record;
  }

  // What the UI reads.

  // The person a link's or an entry's key speaks for: a linked device's identity (§13).
  personOf(id) {
    return this.view.devices?.get(id) ?? id;
  }

  peerList() {
    return [...this.swarm.peers.values()].map((peer) => {
      const key = peer.identity ? identityId(peer.identity) : null;
      const id = key && this.personOf(key);
      // A linked device (§13) is its person, named with the device: ours is ours.
      const device = key && this.view.deviceNames?.get(key);
      const person = id ? this.memberName(id, peer.name) : peer.name ?? null;
      const name = id === this.selfId ? (device ? `Your device: ${device}` : 'Your other device') : device ? `${person} (${device})` : person;
      return {
        connectionId: peer.connectionId, id, name, state: peer.state, ownDevice: id === this.selfId,
        route: peer.link?.route ?? null, mirror: peer.isMirror,
        notify: (id && this.view.mailboxes.get(id)?.notify) ?? null,
      };
    });
  }

  // A member's name as shown (room/member-names.js); `said` is what a peer calls itself
  // on its link, for a member with no name entry yet (a newcomer's `join` waits).
  memberName(id, said = null) {
    const linked = (peer) => peer.identity && this.personOf(identityId(peer.identity)) === id;
    const hello = said ?? (this.view.names.has(id) ? null : this.swarm.readyPeers().find(linked)?.name);
    return memberName({ view: this.view, room: this.room, identity: this.identity, selfId: this.selfId }, id, hello ?? null);
  }

  // Members who have not left, this device's identity among them.
  memberCount() {
    return [...this.view.members].filter((id) => !this.view.left.has(id)).length;
  }

  // Too many members for a full mesh: this device links to a few (docs/protocol.md §6).
  isBig() {
    return this.swarm.linksToFew(this.memberCount());
  }

  // Who is in the room: online, last seen, left (room/member-list.js).
  memberList() {
    const online = new Set(this.swarm.readyPeers().filter(isPerson).filter((peer) => peer.identity).map((peer) => this.personOf(identityId(peer.identity))));
    return memberList({
      view: this.view, selfId: this.selfId, online, lastLinked: this.room.lastLinked ?? {},
      nameOf: (id) => this.memberName(id),
    });
  }

  readCount(message) {
    return message.author === this.selfId ? readCount(this.view, this.selfId, message) : 0;
  }

  deliveredCount(message) {
    const seq = this.log.get(message.id)?.author === this.authorId ? this.seqOf.get(message.id) : undefined;
    return seq === undefined ? 0 : this.delivery.holders(seq);
  }

  // What each linked member's heads say it holds of our own log (room/own-delivery.js).
  #heldByLinked() {
    // Our own other devices are not whom "delivered" counts.
    return this.swarm.readyPeers().filter(isPerson).filter((peer) => peer.identity)
      .map((peer) => ({ peer, id: this.personOf(identityId(peer.identity)) }))
      .filter(({ id }) => id !== this.selfId)
      .map(({ peer, id }) => ({ id, length: this.replicators.get(peer)?.remoteHeads.get(this.authorId)?.length ?? 0 }));
  }

  typingNames(now = Date.now()) {
    return this.typing.ids(now).map((id) => this.memberName(id) ?? 'Someone');
  }

  // Call events are history, not something to read: they are not counted.
  unreadCount() {
    const read = this.room.lastReadClock ?? 0;
    return this.view.messages.filter((m) => m.author !== this.selfId && m.clock > read && !m.deleted && !m.call).length;
  }

  async markRead() {
    const newest = this.view.messages.at(-1)?.clock ?? 0;
    if (newest <= (this.room.lastReadClock ?? 0)) return;
    this.room.lastReadClock = newest;
    await this.store.saveRoom(this.room);
    this.receipts.afterRead();
    this.#changed();
  }

  setTyping(active) {
    this.typing.send(active);
  }

  // Something a peer did that the user should hear about, from outside the session
  // (files/transfer-manager.js: a peer that keeps sending bad chunks).
  warn(code, peer) {
    this.#warn(code, peer);
  }

  dismissWarnings() {
    this.warnings = [];
    this.#changed();
  }

  // Peers and frames.

  #onPeer(peer) {
    // A link that dies before it was ever usable is something the user should hear about.
    if (peer.state === 'closed' && !this.replicators.has(peer) && !peer.quiet) {
      this.#warn(peer.reason, peer);
    }
    if (peer.state === 'closed' && this.replicators.delete(peer) && peer.identity) {
      // Last seen: when this device last had them on a link.
      this.room.lastLinked = { ...this.room.lastLinked, [this.personOf(identityId(peer.identity))]: Date.now() };
      this.store.saveRoom(this.room).catch(() => {});
    }
    if (peer.state === 'ready' && !this.replicators.has(peer)) {
      const replicator = new Replicator({
        log: this.log,
        send: (frame) => this.swarm.sendTo(peer, frame),
        onAdded: (records, info) => this.#onAdded(peer, records, info),
        // A strike reaches the user as the swarm's `rejected` event, like a bad frame.
        onRejected: ({ code, strike, author }) => {
          // A removed member's entry is nobody's fault when relayed (the relay may not have
          // heard yet), but a removed member who keeps sending their own wears the link out.
          if (code === 'removed') {
            if (peer.identity && author === identityId(peer.identity)) peer.strike(code);
            return;
          }
          if (strike && !blamesAuthor(peer, code)) peer.strike(code);
          else this.#warn(code, peer);
        },
        onFork: (fork) => this.#onFork(peer, fork),
      });
      this.replicators.set(peer, replicator);
      replicator.start();
    }
    if (peer.state === 'closed' && peer.identity) this.typing.forget(this.personOf(identityId(peer.identity)));
    this.#changed();
  }

  #onFrame(peer, frame) {
    switch (frame.t) {
      case 'heads':
        this.replicators.get(peer)?.receive(frame);
        // How far a mirror holds the room shows as it comes (docs/protocol.md §12).
        return peer.isMirror ? this.#changed() : undefined;
      case 'want':
      case 'entries':
        return this.replicators.get(peer)?.receive(frame);
      case 'ack':
        return this.#onAck(peer, frame.ids);
      case 'typing':
        if (peer.isMirror) return undefined;
        return peer.identity ? this.typing.heard(this.personOf(identityId(peer.identity)), frame.active) : undefined;
      default:
        return undefined;
    }
  }

  async #onAdded(fromPeer, records, { duplicates = [] } = {}) {
    const stored = records.map((record) => ({ ...record, topic: this.room.topic }));
    await this.store.saveEntries(stored);
    await this.#forgetRemoved();
    const received = [...stored.map((r) => r.id), ...duplicates];
    for (let i = 0; i < received.length; i += ACK_BATCH) {
      this.swarm.sendTo(fromPeer, { t: 'ack', ids: received.slice(i, i + ACK_BATCH) });
    }
    if (!stored.length) return;
    for (const record of stored) if (fromPeer.identity && record.author === identityId(fromPeer.identity)) this.typing.forget(this.personOf(record.author));
    for (const peer of this.swarm.readyPeers()) if (peer !== fromPeer) this.replicators.get(peer)?.announce();
    if (this.room.restored && this.canWrite()) {
      delete this.room.restored;
      await this.store.saveRoom(this.room);
    }
    this.#rebuild();
    if (this.join.pending) this.join.wait(JOIN_AFTER_HISTORY_MS); // once the batches stop
    this.#syncMailbox(); // a mailbox held back while catching up can go out now
  }

  // A removal that arrived after a member's entries takes them out of the log; they
  // leave the store too (docs/protocol.md §7 "Moderation").
  async #forgetRemoved() {
    const removed = this.log.takeRemoved();
    if (removed.length > 0) await this.store.deleteEntries(removed.map((record) => record.id));
  }

  async #onFork(peer, fork) {
    await this.store.saveFork({ ...fork, topic: this.room.topic, detectedAt: Date.now() });
    this.#warn('fork', peer);
    this.#rebuild();
  }

  #onAck(peer, ids) {
    if (!peer.identity) return;
    const peerId = this.personOf(identityId(peer.identity));
    if (peerId === this.selfId) return;
    let changed = false;
    for (const id of ids) {
      const seq = this.log.get(id)?.author === this.authorId ? this.seqOf.get(id) : undefined;
      if (seq !== undefined && this.delivery.note(peerId, seq + 1)) changed = true;
    }
    if (changed) this.#changed();
  }

  #warn(code, peer) {
    const who = peer?.identity ? identityId(peer.identity) : null;
    this.warnings = [...this.warnings, { code, peerId: who, name: peer?.name ?? null, at: Date.now() }]
      .slice(-MAX_WARNINGS);
    this.#changed();
  }

  #rebuild() {
    const records = this.log.records();
    this.seqOf = new Map(records.map((record) => [record.id, record.seq]));
    this.view = buildRoomState(records, { selfId: this.selfId, moderation: this.log.moderation, revocations: this.log.revocations });
    // Unlinked (§13): this device writes nothing more, and the app says so.
    if (!this.revoked && this.log.revocations.has(this.authorId)) {
      this.revoked = true;
      this.dispatchEvent(new CustomEvent('revoked'));
    }
    this.expiry.schedule();
    this.#changed();
  }

  // Many events can arrive in one burst (a catch-up of hundreds of entries): the UI
  // hears about them once per task.
  #changed() {
    if (this.changeQueued) return;
    this.changeQueued = true;
    setTimeout(() => {
      this.changeQueued = false;
      this.dispatchEvent(new CustomEvent('change'));
    }, 0);
  }
}
