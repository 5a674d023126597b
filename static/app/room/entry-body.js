// The decrypted body of a room entry (docs/protocol.md §7):
// {"type": "message", "ts": <ms since epoch>, "text": <1..4000 code points>}, no other keys.

export const MAX_TEXT_CODE_POINTS = 4000;
export const MAX_BODY_BYTES = 16384;

function codePointCount(text) {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function isEntryBody(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 3 || !['type', 'ts', 'text'].every((key) => keys.includes(key))) {
    return false;
  }
  if (body.type !== 'message') return false;
  if (!Number.isSafeInteger(body.ts) || body.ts < 0) return false;
  if (typeof body.text !== 'string') return false;
  const length = codePointCount(body.text);
  return length >= 1 && length <= MAX_TEXT_CODE_POINTS;
}
