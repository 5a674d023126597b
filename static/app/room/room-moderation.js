// A room's moderation as this device takes part in it (docs/protocol.md §7
// "Moderation", "Room settings"): what its identity may do, what keeps it from posting
// now, and the entries it writes to moderate. The session owns one; the UI asks it.
//
//   session.moderation.powers()        -> room-powers.js powersOf
//   session.moderation.postingBlock()  -> null | { reason, until }
//   session.moderation.roleOf(id)
//   await session.moderation.setRole(id, 'moderator'), .removeMember(id), .changeSettings({ slowMode: 30 })
import { postingBlock, powersOf } from './room-powers.js';

export class RoomModeration {
  #log;
  #selfId;
  #view;
  #write;

  constructor({ log, selfId, view, write }) {
    this.#log = log;
    this.#selfId = selfId;
    this.#view = view;
    this.#write = write;
  }

  powers() {
    return powersOf({ moderation: this.#log.moderation, selfId: this.#selfId });
  }

  roleOf(id) {
    return this.#log.moderation.roleOf(id);
  }

  postingBlock(now = Date.now()) {
    return postingBlock({ view: this.#view(), selfId: this.#selfId, now });
  }

  setRole(member, role) {
    return this.#write({ type: 'role', member, role });
  }

  // `upTo`: as much of their log as this device holds; what they wrote beyond it,
  // unseen here, counts for nobody (the removal beats it).
  removeMember(member) {
    return this.#write({ type: 'remove', member, upTo: this.#log.length(member) });
  }

  changeSettings(fields) {
    return this.#write({ type: 'settings', ...fields });
  }
}
