// Who is typing in a room (docs/protocol.md §8 `typing`, ephemeral): what peers said,
// each shown for at most 6 s, and this device's own state, sent at most every 3 s while
// it lasts. Never stored.
//
//   const typing = new Typing({ broadcast, changed })
//   typing.heard(id, active); typing.forget(id); typing.ids(now) -> [id]
//   typing.send(active)
const SHOWN_MS = 6000;
const RESEND_MS = 3000;

export class Typing {
  #until = new Map(); // identity id -> expiry time
  #lastSent = 0;
  #broadcast;
  #changed;

  constructor({ broadcast, changed }) {
    this.#broadcast = broadcast;
    this.#changed = changed;
  }

  heard(id, active) {
    if (active) this.#until.set(id, Date.now() + SHOWN_MS);
    else this.#until.delete(id);
    this.#changed();
    if (active) setTimeout(() => this.#changed(), SHOWN_MS + 50);
  }

  // They wrote, or their link closed: whatever they were typing is over.
  forget(id) {
    this.#until.delete(id);
  }

  ids(now = Date.now()) {
    return [...this.#until].filter(([, until]) => until > now).map(([id]) => id);
  }

  send(active) {
    const now = Date.now();
    if (active && now - this.#lastSent < RESEND_MS) return;
    this.#lastSent = active ? now : 0;
    this.#broadcast({ t: 'typing', active });
  }
}
