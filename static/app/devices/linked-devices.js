// The devices this identity has linked (docs/protocol.md §13), as its first device knows
// them: each one's name, when it was linked, when it was last seen writing in a room.
//
//   const devices = new LinkedDevices({ app, store }); await devices.load()
//   devices.list() -> [{ id, name, linkedAt, lastSeen, revokedAt }]   (lastSeen: ms or null)
//   await devices.link(code) -> { id, name }   links the device showing `code` (pairing.js)
//   await devices.revoke(id)   unlinks it: a `revoke` entry in every open room
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
    let issued = null;
    const { device, name } = await linkDevice({
      signaling: this.app.signaling, code,
      grantFor: (asked) => {
        const grant = grantFor(this.app, asked);
        issued = grant.device;
        return grant;
      },
    });
    const linked = { id: toBase64Url(device), name, linkedAt: Date.now(), created: issued.created, cert: issued.cert, revokedAt: null };
    this.#known = [...this.#known.filter((known) => known.id !== linked.id), linked];
    await this.store.saveSetting(SETTING, this.#known);
    this.dispatchEvent(new CustomEvent('change'));
    return linked;
  }

  // Every open room hears of it; a room this device left does not (it writes nothing
  // there), nor does one that has not opened yet.
  async revoke(id) {
    const device = this.#known.find((known) => known.id === id);
    if (!device || device.revokedAt) return;
    for (const room of this.app.roomList()) await this.app.session(room.topic)?.revokeDevice(device);
    device.revokedAt = Date.now();
    this.#known = [...this.#known];
    await this.store.saveSetting(SETTING, this.#known);
    this.dispatchEvent(new CustomEvent('change'));
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
