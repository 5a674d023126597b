// What this device's identity may do in a room, and what keeps it from posting now
// (docs/protocol.md §7 "Moderation", "Room settings"): the UI offers only what counts.
// Pure.
//
//   powersOf({ moderation, selfId })
//     -> { role, founded, namesRoles, removes(id), deletesOthers, changesSettings }
//   postingBlock({ view, selfId, now }) -> null | { reason, until }
//     reason 'removed' | 'moderators_only' | 'slow_mode'; `until` (ms) for slow mode
import { isModerator } from './moderation.js';

export function powersOf({ moderation, selfId }) {
  const role = moderation.roleOf(selfId);
  const founded = moderation.founded;
  return {
    role,
    founded,
    namesRoles: role === 'admin',
    // As moderation.js decides: an admin removes anyone, a moderator plain members.
    removes: (id) => id !== selfId && moderation.roleOf(id) !== 'removed'
      && (role === 'admin' || (role === 'moderator' && !isModerator(moderation.roleOf(id)))),
    deletesOthers: isModerator(role),
    // A room made before founders keeps its old rule: anyone renames it.
    changesSettings: !founded || role === 'admin',
  };
}

export function postingBlock({ view, selfId, now }) {
  const { moderation, settings } = view;
  const role = moderation.roleOf(selfId);
  if (role === 'removed') return { reason: 'removed', until: null };
  if (!moderation.founded || isModerator(role)) return null;
  if (settings.posting === 'moderators') return { reason: 'moderators_only', until: null };
  if (settings.slowMode > 0) {
    // The author's latest post that counted (room-rules.js counts those alone).
    const last = view.messages.findLast((message) => message.author === selfId && !message.call);
    const until = last ? last.ts + settings.slowMode * 1000 : 0;
    if (until > now) return { reason: 'slow_mode', until };
  }
  return null;
}
