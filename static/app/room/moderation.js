// Who may do what in a founded room (docs/protocol.md §7 "Moderation"), from its
// control entries (`role`, `remove`). Pure: the same entries give the same answer on
// every member and mirror, whatever order they arrived in.
//
//   const moderation = evaluateModeration(records, founder)
//   moderation.roleOf(id)             -> 'admin' | 'moderator' | 'member' | 'removed'
//   moderation.roleAt(id, record)     -> the same, just before `record` in room order
//   moderation.caps                   -> Map id -> upTo: the removed, and how much of
//                                        each one's log still counts
//   moderation.removals               -> Map id -> { by, upTo, clock, at }: `at` is the
//                                        removal's place in room order
//   moderation.applied                -> Set of the ids of the control entries that counted
//   moderation.admins(), .moderators() -> ids
//
// The rules. The founder is an admin from the start. Control entries are taken in room
// order (clock, then author key bytes, then seq: §8); each counts only if its author
// holds the role it needs at that point: an admin names any member's role (`role`) and
// removes anyone; a moderator removes members who are neither admins nor moderators.
// Nobody removes themselves, and a removal is for good: the first one that counts
// decides `upTo`, and a removed member's later `role` entries count for nothing.
//
// A removal beats what the removed member wrote concurrently: `upTo` is the length of
// their log that the remover held, and their entries from `upTo` on count for nobody,
// whatever their clocks. When a removal voids control entries of the removed member
// that an earlier pass had already applied (they came first in room order but the
// remover had not seen them), the evaluation starts again with those entries void; and
// if that removal then no longer counts (it voided the ground of its own author's
// role), the void is dropped and the removal itself counts for nothing, and it starts
// again. So of two admins who remove each other, the removal first in room order
// counts, and the other one is void (its author was removed before it, or it is beaten).
import { compareEntries, orderEntries } from './order.js';

// The control entries moderation reads; `revoke` (§13) is room/revocations.js's.
const MODERATION_TYPES = ['role', 'remove'];

// A room made before founders has no admins: every member may do what members may.
const UNFOUNDED = Object.freeze({
  founded: false, roleOf: () => 'member', roleAt: () => 'member', caps: new Map(), removals: new Map(), applied: new Set(),
  admins: () => [], moderators: () => [],
});

class Moderation {
  founded = true;
  #roles;
  #history; // id -> [{ record, role }] in room order; the founder's first has record null

  constructor({ roles, removals, history, applied }) {
    this.#roles = roles;
    this.#history = history;
    this.removals = removals;
    this.applied = new Set(applied.map((record) => record.id)); // the control entries that counted
    this.caps = new Map([...removals].map(([id, { upTo }]) => [id, upTo]));
  }

  roleOf(id) {
    if (this.removals.has(id)) return 'removed';
    return this.#roles.get(id) ?? 'member';
  }

  roleAt(id, record) {
    let role = 'member';
    for (const change of this.#history.get(id) ?? []) {
      if (change.record !== null && compareEntries(change.record, record) >= 0) break;
      role = change.role;
    }
    return role;
  }

  admins() {
    return [...this.#roles].filter(([, role]) => role === 'admin').map(([id]) => id);
  }

  moderators() {
    return [...this.#roles].filter(([, role]) => role === 'moderator').map(([id]) => id);
  }
}

function onePass(control, founder, voidFrom, voided) {
  const roles = new Map([[founder, 'admin']]);
  const removals = new Map();
  const history = new Map([[founder, [{ record: null, role: 'admin' }]]]);
  const applied = [];
  const change = (id, record, role) => {
    if (!history.has(id)) history.set(id, []);
    history.get(id).push({ record, role });
  };
  for (const record of control) {
    if (voided.has(record.id) || record.seq >= (voidFrom.get(record.author) ?? Infinity)) continue;
    const actor = removals.has(record.author) ? 'removed' : roles.get(record.author);
    const { member } = record.body;
    if (removals.has(member) || member === record.author) continue;
    if (record.body.type === 'role') {
      if (actor !== 'admin') continue;
      if (record.body.role === 'member') roles.delete(member);
      else roles.set(member, record.body.role);
      change(member, record, record.body.role);
    } else {
      const mayRemove = actor === 'admin' || (actor === 'moderator' && !roles.has(member));
      if (!mayRemove) continue;
      const { upTo } = record.body;
      const at = { clock: record.clock, author: record.author, seq: record.seq };
      removals.set(member, { by: record.author, upTo, clock: record.clock, at });
      roles.delete(member);
      change(member, record, 'removed');
      const beaten = applied.find((earlier) => earlier.author === member && earlier.seq >= upTo);
      if (beaten) return { beaten: { cause: record.id, member, from: upTo } };
    }
    applied.push(record);
  }
  return { roles, removals, history, applied };
}

export function evaluateModeration(records, founder) {
  if (!founder) return UNFOUNDED;
  const control = orderEntries(records.filter((record) => MODERATION_TYPES.includes(record.body.type)));
  const voids = new Map(); // removal id -> { member, from }: the entries it beat
  const voided = new Set(); // removals that voided the ground they stood on
  // Each removal gives at most one void until it is itself voided (for good), so the
  // loop ends.
  for (;;) {
    const voidFrom = new Map(); // member -> the seq from which their control entries are void
    for (const { member, from } of voids.values()) voidFrom.set(member, Math.min(voidFrom.get(member) ?? Infinity, from));
    const pass = onePass(control, founder, voidFrom, voided);
    if (pass.beaten) {
      voids.set(pass.beaten.cause, pass.beaten);
      continue;
    }
    const counted = new Set(pass.applied.map((record) => record.id));
    const groundless = [...voids.keys()].filter((cause) => !counted.has(cause));
    if (groundless.length === 0) return new Moderation(pass);
    for (const cause of groundless) {
      voids.delete(cause);
      voided.add(cause);
    }
  }
}

export const isModerator = (role) => role === 'admin' || role === 'moderator';
