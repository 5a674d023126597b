// The devices this identity has linked (docs/protocol.md §13), as its first device knows
// them: each one's name, when it was linked, when it was last seen writing in a room.
//
//   const devices = new LinkedDevices({ app, store }); await devices.load()
//   devices.list() -> [{ id, name, linkedAt, lastSeen, revokedAt }]   (lastSeen: ms or null)
//   await devices.link(code) -> { id, name }   links the device showing `code` (pairing.js)
//   await devices.revoke(id)   unlinks it: a `revoke` entry in every open room, and in
//                              every room it shows up in later (watch)
//   devices.watch(session)      a room's session: revocations still due there are written
//   devices.addEventListener('change', …)
import { toBase64Url } from '../crypto/bytes.js';
import { linkDevice } from './pairing.js';
import { grantFor } from './pairing-grant.js';

const SETTING = 'linked-devices';

export class LinkedDevices extends EventTarget {
  #known = [];

  constructor({ app, store }) {
    super();
    this.app = app;
    this.store = store;
  }

  async load() {
    this.#known = (await this.store.loadSetting(SETTING)) ?? [];
  }

  list() {
    return this.#known.map((device) => ({ ...device, lastSeen: this.#lastSeen(device.id) }));
  }

  // Only the device that holds the identity's key certifies another.
  async link(code) {
    if (this.app.isLinkedDevice) throw Object.assign(new Error('not_primary'), { code: 'not_primary' });
    let saved = Promise.resolve();
    let linked = null;
    // The device is kept before its grant leaves: should the last answer be lost, it may
    // be linked all the same, and must stay unlinkable.
    const { device, name } = await linkDevice({
      signaling: this.app.signaling, code,
      grantFor: (asked) => {
        const grant = grantFor(this.app, asked);
        const { created, cert } = grant.device;
        linked = { id: grant.device.key, name: asked.name, linkedAt: Date.now(), created, cert, revokedAt: null, confirmed: false };
        saved = this.#keep(linked);
        return grant;
      },
    }).catch(async (error) => {
      await saved;
      throw error;
    });
    await saved;
    linked = { ...linked, id: toBase64Url(device), name, confirmed: true };
    await this.#keep(linked);
    return linked;
  }

  #keep(device) {
    this.#known = [...this.#known.filter((known) => known.id !== device.id), device];
    this.dispatchEvent(new CustomEvent('change'));
    return this.store.saveSetting(SETTING, this.#known);
  }

  // Every open room hears of it; a room this device left does not (it writes nothing
  // there), nor does one that has not opened yet.
  async revoke(id) {
    const device = this.#known.find((known) => known.id === id);
    if (!device || device.revokedAt) return;
    await this.#keep({ ...device, revokedAt: Date.now() });
    for (const room of this.app.roomList()) await this.#revokeIn(this.app.session(room.topic), device);
  }

  // A revoked device that shows up in a room (one this device left and came back to, one
  // it joined later) is revoked there as soon as this device may write.
  watch(session) {
    session.addEventListener('change', () => {
      for (const device of this.#known) {
        if (device.revokedAt && session.log.length(device.id) > 0) this.#revokeIn(session, device).catch(() => {});
      }
    });
  }

  #writing = new Set(); // "topic device" pairs being revoked now

  async #revokeIn(session, device) {
    const key = `${session?.room.topic} ${device.id}`;
    if (!session || session.log.revocations.has(device.id) || !session.canWrite() || this.#writing.has(key)) return;
    this.#writing.add(key);
    try {
      await session.revokeDevice(device);
    } finally {
      this.#writing.delete(key);
    }
  }

  // The latest entry the device wrote in any open room.
  #lastSeen(id) {
    let latest = null;
    for (const room of this.app.roomList()) {
      for (const record of this.app.session(room.topic)?.log.records() ?? []) {
        if (record.author === id && record.ts !== null && (latest === null || record.ts > latest)) latest = record.ts;
      }
    }
    return latest;
  }
}
