// A founded room's settings and the rules every receiver enforces with them
// (docs/protocol.md §7 "Room settings"), walked in room order by room-state.js. Pure.
//
//   const rules = new RoomRules(moderation)
//   rules.take(record)      -> true when a `settings` or `room` entry counts (by an admin)
//   rules.refusal(record)   -> null, or why a `message`, `file` or `payment` entry counts for nobody:
//                              'moderators_only' or 'slow_mode'
//   rules.settings          -> { description, posting, slowMode, disappear } in effect so far
//   rules.changed           -> the keys that the latest `settings` entry taken changed
//
// The disappearing-message timer (`disappear`, §7 "Disappearing messages") is the one
// setting a room made before founders has too: there anyone sets it.
//
// Who may post and slow mode apply to an entry as they stand at its place in room
// order, so every member decides the same. Slow mode counts from the author's own `ts`:
// one message or file per `slowMode` seconds per member; admins and moderators are
// exempt. A room made before founders has no rules (every entry counts, as before).
import { isModerator } from './moderation.js';

export const DEFAULT_SETTINGS = Object.freeze({ description: '', posting: 'everyone', slowMode: 0, disappear: 0 });
const POSTS = new Set(['message', 'file', 'payment']);

export class RoomRules {
  #moderation;
  #lastPost = new Map(); // author -> ts of their latest post that counted
  settings = DEFAULT_SETTINGS;
  changed = []; // the keys the latest `settings` entry taken changed

  constructor(moderation) {
    this.#moderation = moderation;
  }

  take(record) {
    const founded = this.#moderation.founded;
    if (founded && this.#moderation.roleAt(record.author, record) !== 'admin') return false;
    if (record.body.type === 'settings') {
      if (!founded && record.body.disappear === undefined) return false;
      const counted = founded ? record.body : { disappear: record.body.disappear };
      const { description, posting, slowMode, disappear } = counted;
      this.changed = Object.keys(DEFAULT_SETTINGS).filter((key) => Object.hasOwn(counted, key));
      this.settings = Object.freeze({
        description: description ?? this.settings.description,
        posting: posting ?? this.settings.posting,
        slowMode: slowMode ?? this.settings.slowMode,
        disappear: disappear ?? this.settings.disappear,
      });
    }
    return true;
  }

  refusal(record) {
    if (!this.#moderation.founded || !POSTS.has(record.body.type)) return null;
    if (isModerator(this.#moderation.roleAt(record.author, record))) return null;
    if (this.settings.posting === 'moderators') return 'moderators_only';
    const last = this.#lastPost.get(record.author);
    if (this.settings.slowMode > 0 && last !== undefined && record.ts - last < this.settings.slowMode * 1000) {
      return 'slow_mode';
    }
    this.#lastPost.set(record.author, record.ts);
    return null;
  }
}
