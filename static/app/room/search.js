// Search over this device's rooms and messages, on this device only: nothing about a
// search leaves it. Pure: case, accents' composed forms and spacing do not matter.
//
//   searchRooms(rooms, query)                 -> the rooms whose name matches
//   searchMessages(sources, query, { limit }) -> [{ topic, message, at }], newest first
//     sources: [{ topic, messages }]; `at` is where the match starts in message.text,
//     or -1 when only the normalised forms matched (then nothing is marked)
export const MAX_RESULTS = 50;

export function normalise(text) {
  return String(text ?? '').normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
}

export function searchRooms(rooms, query) {
  const wanted = normalise(query).trim();
  if (!wanted) return [];
  return rooms.filter((room) => normalise(room.name).includes(wanted));
}

export function searchMessages(sources, query, { limit = MAX_RESULTS } = {}) {
  const wanted = normalise(query).trim();
  if (!wanted) return [];
  const found = [];
  for (const { topic, messages } of sources) {
    for (const message of messages) {
      if (message.deleted || typeof message.text !== 'string') continue;
      if (!normalise(message.text).includes(wanted)) continue;
      // Lower case can change a text's length ('İ'): then nothing is marked, rather than
      // the wrong words.
      const lower = message.text.toLowerCase();
      const at = lower.length === message.text.length ? lower.indexOf(String(query).trim().toLowerCase()) : -1;
      found.push({ topic, message, at });
    }
  }
  return found.sort((a, b) => b.message.ts - a.message.ts).slice(0, limit);
}

// A piece of `text` around a match, with the match marked: { before, match, after }.
export function snippet(text, at, length, { around = 40 } = {}) {
  const start = Math.max(0, at - around);
  const end = Math.min(text.length, at + length + around);
  return {
    before: (start > 0 ? '…' : '') + text.slice(start, at),
    match: text.slice(at, at + length),
    after: text.slice(at + length, end) + (end < text.length ? '…' : ''),
  };
}
