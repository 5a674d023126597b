// Per-room notification levels (docs/protocol.md §7 `mailbox` entries, §10): what a
// member wants to be woken for in a room. Kept in the room record on this device (the
// service worker reads it there) and announced to the room in `mailbox` entries.
//
//   NOTIFY_LEVELS                 -> ['all', 'mentions', 'none']
//   notifyLevelOf(room)           -> the room record's level, 'all' when unset
//   mentions(text, name)          -> does the text say @name (case-insensitive)?
//   wakeKindFor(level, text, name)-> 'message' | 'mention' | null (do not wake)
//   allowsWake(level, kind)       -> may a received wake of this kind show?
//
// Pure, no imports: the page and the service worker share it.
export const NOTIFY_LEVELS = Object.freeze(['all', 'mentions', 'none']);
export const DEFAULT_NOTIFY_LEVEL = 'all';

export function isNotifyLevel(value) {
  return NOTIFY_LEVELS.includes(value);
}

export function notifyLevelOf(room) {
  return isNotifyLevel(room?.notify) ? room.notify : DEFAULT_NOTIFY_LEVEL;
}

const WORD = /[\p{L}\p{N}_]/u;

// A display name "appears after an @" (§10): `@ada` and `@Ada Lovelace` mention Ada
// Lovelace only in the second case; case is ignored, as people type names loosely. The
// name must end there ("@Ada" is not a mention of "Ad"), as ui/rich-text.js marks it.
export function mentions(text, name) {
  if (typeof text !== 'string' || typeof name !== 'string' || !name) return false;
  const lower = text.toLowerCase();
  const wanted = `@${name.toLowerCase()}`;
  for (let at = lower.indexOf(wanted); at >= 0; at = lower.indexOf(wanted, at + 1)) {
    const before = at === 0 ? '' : lower[at - 1];
    const after = lower[at + wanted.length] ?? '';
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}

// The sender's side: whether a member whose latest `mailbox` entry says `level` is worth
// waking for this message, and as what.
export function wakeKindFor(level, text, name) {
  const mentioned = mentions(text, name);
  if (level === 'all') return mentioned ? 'mention' : 'message';
  if (level === 'mentions') return mentioned ? 'mention' : null;
  return null;
}

// The receiver's side: the level kept on this device decides, whatever the sender
// believed it to be.
export function allowsWake(level, kind) {
  if (level === 'all') return true;
  if (level === 'mentions') return kind === 'mention';
  return false;
}
