// Field shapes that entry bodies share with frames and wakes (docs/protocol.md §1, §7),
// in a module of their own so that the service worker (push/wake.js) imports them
// without the entry schemas and what those need (payments/).
//
//   isIdText(id)        a 32-byte id (entry or author) as canonical base64url text
//   MAX_TIMESTAMP_MS    the largest time a JavaScript Date can hold

export const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;

// 43 base64url characters are 258 bits for 32 bytes: the last character must leave the
// 2 spare bits zero, or the same id would have several spellings (§1 "non-canonical").
const ID_TEXT = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

// Also the check for author ids and entry ids in data-channel frames.
export function isIdText(value) {
  return typeof value === 'string' && ID_TEXT.test(value);
}
