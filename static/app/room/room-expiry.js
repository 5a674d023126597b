// RoomExpiry: disappearing messages in one open room (docs/protocol.md §7 "Disappearing
// messages"). It says when an entry about to be written expires, and at each entry's
// `expires` it swaps the entry for its stub in the log and in the device store; whoever
// owns what a body named (the room's files) hears of it through `expired`.
//
//   const expiry = new RoomExpiry({ log, store, topic, settings: () => view.settings,
//                                   expired: (records) => …, changed: () => … })
//   expiry.expiresFor(fields, ts) -> ms, or null: the entry never expires
//   await expiry.run()     swap what is due now, then wait for the next one
//   expiry.schedule()      after the log changed: wait for its next expiry
//   expiry.stop()
import { EXPIRING_TYPES } from './entry.js';

// At most this long between looks at the clock while an entry is due to expire: a clock
// set right, or a machine that slept (its timers stopped), is noticed this soon.
const LOOK_EVERY_MS = 10_000;

export class RoomExpiry {
  #at = null;
  #timer = null;
  #stopped = false;

  constructor({ log, store, topic, settings, expired, changed }) {
    Object.assign(this, { log, store, topic, settings, expired, changed });
  }

  // With the message it edits or reacts to, or after the room's timer; never, when the
  // timer is off.
  expiresFor(fields, ts) {
    if (!EXPIRING_TYPES.includes(fields.type)) return null;
    const target = fields.target === undefined ? null : this.log.get(fields.target);
    if (target?.expires) return target.expires;
    const seconds = this.settings().disappear ?? 0;
    return seconds > 0 ? ts + seconds * 1000 : null;
  }

  async run() {
    const records = this.log.expire(Date.now());
    if (records.length > 0) {
      await this.store.saveEntries(records.map((record) => ({ ...this.log.get(record.id), topic: this.topic })));
      this.changed();
      this.expired(records);
    }
    this.schedule();
  }

  schedule() {
    const next = this.#stopped ? null : this.log.nextExpiry();
    if (next === this.#at && this.#timer !== null) return;
    clearTimeout(this.#timer);
    this.#at = next;
    this.#timer = null;
    if (next === null) return;
    this.#timer = setTimeout(() => {
      this.#at = null;
      this.#timer = null;
      this.run().catch((error) => console.warn('parley: expired entries were not swapped for their stubs', error));
    }, Math.min(Math.max(0, next - Date.now()), LOOK_EVERY_MS));
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#at = null;
  }
}
