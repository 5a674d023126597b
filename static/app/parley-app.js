// ParleyApp: the user's device state and the live objects around it — identity, rooms,
// the rendezvous connection and one RoomSession per room. No DOM: ui/ renders it.
//
//   const app = await ParleyApp.start({ store, signalingUrl, WebSocketImpl? })
//   app.identity, app.rooms (Map topic -> room), app.session(topic), app.signalingState
//   await app.setName(name); await app.createRoom(name); await app.joinInvite(invite)
//   app.notifications (push/device-notifications.js); await app.setNotifyLevel(topic, level)
//   app.transfers(topic) -> the room's files (files/transfer-manager.js)
//   app.ice (peers/ice-config.js): ICE servers and "Hide my IP address"; await app.setHideIp(on)
//   app.addEventListener('change', ...)
//   identity/backup-contents.js makes a backup of it and restores one
//   app.selfId: the person (identity id); app.authorId: the key this device signs with,
//     the same but on a linked device (identity.person, docs/protocol.md §13)
//   app.isLinkedDevice; await app.linkDevice(code); app.deviceList() (devices/)
import { createConnectionKeypair, createIdentity, identityId, safetyFingerprint } from './identity/identity.js';
import { DeviceSettings } from './device-settings.js';
import { autoDownloadBytes } from './files/auto-download.js';
import { FileStore } from './files/file-store.js';
import { TransferManager } from './files/transfer-manager.js';
import { IceConfig } from './peers/ice-config.js';
import { RoomSwarm } from './peers/room-swarm.js';
import { CallManager } from './calls/call-manager.js';
import { BigRoomCalls } from './calls/call-rendezvous.js';
import { MAX_CALL_DURATION_MS } from './room/entry-body.js';
import { fromBase64Url, toBase64Url } from './crypto/bytes.js';
import { LinkedDevices } from './devices/linked-devices.js';
import { DeviceNotifications } from './push/device-notifications.js';
import { isNotifyLevel, notifyLevelOf } from './push/notify-levels.js';
import { RoomWaker } from './push/room-waker.js';
import { nameConflicts } from './room/name-conflicts.js';
import { cleanRoomName, createRoom, roomRecord, withKeys } from './room/rooms.js';
import { RoomSession } from './room/room-session.js';
import { SignalingClient } from './signaling/client.js';
import { RoomMirrors } from './mirror/room-mirrors.js';
import { isPerson } from './peers/swarm-peer.js';

export const MAX_DISPLAY_NAME = 64;

const invitedRecord = ({ secret, founder = null, name }) => ({
  ...roomRecord(secret, name, Date.now(), founder), invited: true,
});
const LEAVE_DELIVERY_MS = 3000; // how long leaving waits for its entry to reach those online

export class ParleyApp extends EventTarget {
  // `invite` ({ secret, name }, from the address bar): its room opens before the others,
  // so its `join` goes out with the welcome (a person opening an invite waits for that
  // link). Only for a named identity: a new one joins once onboarding names it.
  static async start({ store, signalingUrl, WebSocketImpl, invite = null }) {
    let identity = await store.loadIdentity();
    if (!identity) {
      identity = { ...createIdentity(), name: '', createdAt: Date.now() };
      await store.saveIdentity(identity);
    }
    const notifications = new DeviceNotifications({ store });
    const app = new ParleyApp({ store, identity, signalingUrl, WebSocketImpl, notifications });
    await Promise.all([notifications.load(), app.ice.load(), app.devices.load()]);
    // The hello goes out now (the socket may be open already: main.js opened it early);
    // each room joins its topic as it opens, on the welcome or at once after it.
    app.signaling.start();
    const [settings, contacts, records] = await Promise.all([
      DeviceSettings.load(store), store.listContacts(), store.listRooms(),
    ]);
    app.settings = settings;
    for (const contact of contacts) app.contacts.set(contact.id, contact);
    for (const room of records) if (room.left) app.leftRooms.set(room.topic, room);
    const kept = records.filter((room) => !room.left);
    if (invite && identity.name) {
      const record = invitedRecord(invite);
      const known = kept.find((room) => room.topic === record.topic);
      try {
        await (known ? app.#openRoom(known) : app.#join(record));
        app.invitedTopic = record.topic;
      } catch (error) {
        // The shell takes the invite from the address bar as before, and says so if it
        // fails again; the other rooms still open.
        console.warn(`the invite's room did not open first: ${error.message}`);
      }
    }
    for (const room of kept) if (!app.rooms.has(room.topic)) await app.#openRoom(room);
    performance.mark('parley:rooms-open');
    notifications.start();
    return app;
  }

  constructor({ store, identity, signalingUrl, WebSocketImpl, notifications = null }) {
    super();
    this.store = store;
    this.identity = identity;
    this.authorId = identityId(identity.publicKey);
    this.selfId = identity.person ?? this.authorId;
    this.isLinkedDevice = Boolean(identity.person);
    // The safety number is the person's, whichever device shows it.
    this.fingerprint = safetyFingerprint(fromBase64Url(this.selfId, 32));
    this.devices = new LinkedDevices({ app: this, store });
    this.rooms = new Map();
    this.settings = new DeviceSettings(store); // device-settings.js
    this.leaving = new Set(); // topics being left: nothing more is written there
    this.leftRooms = new Map(); // topic -> record of a room this device left (kept, hidden)
    this.sessions = new Map();
    this.invitedTopic = null; // the room of the invite this page was opened with
    this.transferManagers = new Map();
    this.calls = new CallManager(); // the one call of this device (docs/protocol.md §6)
    this.calls.addEventListener('history', ({ detail }) => this.#recordCall(detail));
    // One file worker for every room; null where this browser cannot store files.
    this.fileStore = FileStore.open();
    this.contacts = new Map(); // identity id -> { id, name, firstSeen, verifiedAt }
    this.signaling = new SignalingClient({ url: signalingUrl, createConnectionKeypair, WebSocketImpl });
    // A big room's call links its participants itself (calls/call-rendezvous.js).
    this.bigRoomCalls = new BigRoomCalls({ calls: this.calls, signaling: this.signaling });
    this.signalingState = 'connecting';
    this.signaling.addEventListener('state', ({ detail }) => {
      this.signalingState = detail.state;
      this.signalingCloseCode = detail.code ?? null;
      this.#changed();
    });
    // Every link of every room (its data, calls and files) takes its configuration here.
    this.ice = new IceConfig({ signaling: this.signaling, store });
    this.ice.hasLinks = () => [...this.sessions.values()].some((session) => session.swarm.peers.size > 0);
    this.ice.addEventListener('change', ({ detail }) => this.#onIceChange(detail.why));
    this.waker = new RoomWaker({ identity, signaling: this.signaling });
    this.mirrors = new RoomMirrors({ signaling: this.signaling, store }); // docs/protocol.md §12
    this.mirrors.service().catch(() => {}); // known before a mirror links, or asked again later
    this.notifications = notifications;
    notifications?.addEventListener('change', () => this.#changed());
    // Turned on or off: every room hears about it right away (restored rooms once they
    // may write again, see RoomSession.setMailbox).
    notifications?.addEventListener('mailbox', () => {
      for (const [topic, session] of this.sessions) session.setMailbox(notifications.announcement(this.rooms.get(topic)));
    });
  }

  // This linked device was unlinked by its first device (docs/protocol.md §13): it stops
  // at once, and the shell says so ('revoked').
  #onRevoked() {
    if (this.revoked || !this.isLinkedDevice) return;
    this.revoked = true;
    this.shutdown();
    this.dispatchEvent(new CustomEvent('revoked'));
  }

  shutdown() {
    this.ice.stop();
    this.signaling.stop();
    for (const session of this.sessions.values()) session.stop();
    for (const transfers of this.transferManagers.values()) transfers.stop();
  }

  session(topic) {
    return this.sessions.get(topic) ?? null;
  }

  // How many people this device has a ready link to, in any room (one per identity).
  linkedPeerCount() {
    const people = new Set();
    for (const session of this.sessions.values()) {
      for (const peer of session.swarm.readyPeers().filter(isPerson)) people.add(toBase64Url(peer.identity));
    }
    return people.size;
  }

  transfers(topic) {
    return this.transferManagers.get(topic) ?? null;
  }

  // Resolves once the room of the invite this page was opened with has sent its first
  // offers (peers/room-swarm.js `dialled`), or after `ms`; at once without one.
  async inviteDialled(ms) {
    const swarm = this.sessions.get(this.invitedTopic)?.swarm;
    if (!swarm) return;
    let timer;
    await Promise.race([swarm.dialled, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
    clearTimeout(timer);
  }

  // Rooms by latest activity: the newest message, or when the room was made or joined.
  roomList() {
    return [...this.rooms.values()].sort((a, b) => this.lastActivity(b) - this.lastActivity(a));
  }

  lastActivity(room) {
    return Math.max(room.createdAt ?? 0, this.sessions.get(room.topic)?.view.messages.at(-1)?.ts ?? 0);
  }

  // Unread messages in every room: the tab title shows them.
  unreadTotal() {
    let total = 0;
    for (const session of this.sessions.values()) total += session.unreadCount();
    return total;
  }

  async setName(name) {
    const clean = String(name ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_DISPLAY_NAME);
    if (!clean) throw new Error('empty_name');
    const renamed = this.identity.name && this.identity.name !== clean;
    this.identity.name = clean;
    await this.store.saveIdentity(this.identity);
    // The new name becomes part of every room's history, so members who are offline
    // now learn it when they catch up.
    if (renamed) await Promise.all([...this.sessions.values()].map((session) => session.rename(clean)));
    this.#changed();
  }

  // A linked device cannot sign as its identity, so the rooms it makes have no founder
  // (no admins) for now.
  async createRoom(name) {
    const room = createRoom(name, Date.now(), this.isLinkedDevice ? null : this.selfId);
    await this.store.saveRoom(room);
    return this.#openRoom(room);
  }

  // Joining a room twice (opening the same invite again) just selects it. A room this
  // device left comes back with its history, and says so with a new `join`.
  async joinInvite(invite) {
    return this.#join(invitedRecord(invite));
  }

  async #join(record) {
    const existing = this.rooms.get(record.topic);
    if (existing) return existing;
    const left = this.leftRooms.get(record.topic);
    this.leftRooms.delete(record.topic);
    const joining = left ? { ...left, left: false, rejoining: true } : record;
    await this.store.saveRoom(joining);
    return this.#openRoom(joining);
  }

  // Leaving writes a `leave` entry, gives it a moment to reach the members online, and
  // closes the room on this device. Its history stays here, hidden: the room's invite
  // brings it back (a fresh start would write a second log under our key, a fork).
  async leaveRoom(topic) {
    const session = this.sessions.get(topic);
    const room = this.rooms.get(topic);
    if (!session || !room || this.leaving.has(topic)) return;
    this.leaving.add(topic);
    this.#changed(topic);
    // A call in it ends first, so that its history comes before the `leave`.
    this.calls.detach(topic);
    this.bigRoomCalls.detach(topic);
    if (session.canWrite()) {
      await session.leave();
      await session.delivered(LEAVE_DELIVERY_MS);
    }
    session.stop();
    this.transferManagers.get(topic)?.stop();
    this.sessions.delete(topic);
    this.transferManagers.delete(topic);
    this.rooms.delete(topic);
    this.leaving.delete(topic);
    const record = {
      ...room, left: true, ownLength: session.log.length(this.authorId), ownHead: session.log.headId(this.authorId) ?? null,
    };
    delete record.rejoining;
    await this.store.saveRoom(record);
    this.leftRooms.set(topic, record);
    this.#changed();
  }

  // A `room` entry renames the room for every member (docs/protocol.md §7).
  async renameRoom(topic, name) {
    await this.sessions.get(topic)?.renameRoom(cleanRoomName(name));
  }

  async #openRoom(record) {
    const room = withKeys(record);
    const swarm = new RoomSwarm({
      room, identity: this.identity, signaling: this.signaling,
      localName: () => this.identity.name ?? '', iceConfig: this.ice,
      trustsMirror: (identity) => this.mirrors.isService(identity),
    });
    const session = new RoomSession({
      room, identity: this.identity, store: this.store, swarm, sendsReceipts: () => this.settings.readReceipts,
    });
    this.calls.attach(room.topic, swarm);
    this.bigRoomCalls.attach(room.topic, { swarm, session, membershipKey: room.keys.membershipKey });
    session.addEventListener('revoked', () => this.#onRevoked());
    this.devices.watch(session);
    await session.load();
    if (this.revoked) return room; // unlinked while away: nothing more starts
    session.addEventListener('change', () => {
      this.#observeMembers(session);
      this.#followRoomName(room, session);
      this.#changed(room.topic);
    });
    // Members who are away hear that something arrived (docs/protocol.md §10).
    session.addEventListener('appended', ({ detail }) => {
      this.waker.afterOwnEntry(session, detail.record).catch((error) => console.warn('wake failed', error));
    });
    const transfers = new TransferManager({
      room, session, swarm, store: this.store, files: this.fileStore, autoDownloadBytes: () => autoDownloadBytes(this.settings.autoDownload),
    });
    await transfers.load();
    this.rooms.set(room.topic, room);
    this.sessions.set(room.topic, session);
    this.transferManagers.set(room.topic, transfers);
    session.start();
    transfers.start();
    session.setMailbox(this.notifications?.announcement(room) ?? null);
    this.#changed();
    return room;
  }

  // A device setting changes (device-settings.js), and the views hear of it.
  async changeSetting(change) {
    await change(this.settings);
    this.#changed();
  }

  // A save that fails leaves the preference as it was (IceConfig), and the switch with it.
  async setHideIp(on) {
    try {
      await this.ice.setHideIp(on);
    } catch (error) {
      console.warn('parley: Hide my IP address could not be saved on this device', error);
    }
  }

  // Renewed servers reach the live links; turning "Hide my IP address" on redials them
  // all, relay-only, so no direct path of an old link survives. Turning it off leaves the
  // links as they are: only new ones may go direct.
  #onIceChange(why) {
    for (const session of this.sessions.values()) {
      if (why === 'servers') session.swarm.applyIceConfiguration();
      if (why === 'hide-ip' && this.ice.hideIp) session.swarm.redialAll();
    }
    this.#changed();
  }

  // The name the room's members agreed on (its latest `room` entry) is the one shown.
  #followRoomName(room, session) {
    const { roomName } = session.view;
    if (!roomName || roomName === room.name) return;
    room.name = roomName;
    this.store.saveRoom(room).catch((error) => console.warn('room name not saved', error));
  }

  // Everyone seen in a room becomes a contact: remembered with the time this device
  // first saw the key, so a later key under the same name can be told apart.
  #observeMembers(session) {
    for (const [id, name] of session.view.names) {
      if (id === this.selfId) continue;
      const known = this.contacts.get(id);
      if (known && known.name === name) continue;
      const contact = known ? { ...known, name } : { id, name, firstSeen: Date.now(), verifiedAt: null };
      this.contacts.set(id, contact);
      this.store.saveContact(contact);
    }
  }

  // A room's notification level (push/notify-levels.js) is kept in its record, where the
  // service worker reads it, and told to the room when notifications are on.
  notifyLevel(topic) {
    return notifyLevelOf(this.rooms.get(topic));
  }

  async setNotifyLevel(topic, level) {
    const room = this.rooms.get(topic);
    if (!room || !isNotifyLevel(level)) return;
    room.notify = level;
    await this.store.saveRoom(room);
    this.sessions.get(topic)?.setMailbox(this.notifications?.announcement(room) ?? null);
    this.#changed(topic);
  }

  isVerified(id) {
    return Boolean(this.contacts.get(id)?.verifiedAt);
  }

  async setVerified(id, verified) {
    const contact = this.contacts.get(id) ?? { id, name: '', firstSeen: Date.now(), verifiedAt: null };
    const updated = { ...contact, verifiedAt: verified ? Date.now() : null };
    this.contacts.set(id, updated);
    await this.store.saveContact(updated);
    this.#changed();
  }

  // Unacknowledged cases of a new key under a name already known in this room.
  nameConflicts(topic) {
    const session = this.sessions.get(topic);
    const room = this.rooms.get(topic);
    if (!session || !room) return [];
    const firstSeen = new Map([...this.contacts.values()].map((c) => [c.id, c.firstSeen]));
    const acknowledged = new Set(room.acknowledgedKeys ?? []);
    return nameConflicts(session.view.names, { selfId: this.selfId, selfName: this.identity.name, firstSeen })
      .filter((conflict) => !acknowledged.has(conflict.newId));
  }

  async acknowledgeKey(topic, id) {
    const room = this.rooms.get(topic);
    room.acknowledgedKeys = [...new Set([...(room.acknowledgedKeys ?? []), id])];
    await this.store.saveRoom(room);
    this.#changed(topic);
  }

  // Call events go into the room's history (docs/protocol.md §7): how long a call lasted
  // counts from its `started` entry when this device holds it, else from joining.
  #recordCall({ topic, call, event, video, since }) {
    const session = this.sessions.get(topic);
    if (!session) return;
    const fields = { call, event, video };
    if (event === 'ended') {
      const startedAt = session.view.messages.find((m) => m.call?.call === call)?.call.startedAt;
      const from = Math.min(since || Date.now(), startedAt ?? Infinity);
      fields.duration = Math.max(0, Math.min(Date.now() - from, MAX_CALL_DURATION_MS));
    }
    session.recordCall(fields).catch((error) => console.warn('call event not recorded', error));
  }

  #changed(topic = null) {
    this.dispatchEvent(new CustomEvent('change', { detail: { topic } }));
  }
}
