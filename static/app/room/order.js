// The order of a room's entries (docs/protocol.md §8): by Lamport clock, then author key
// bytes, then sequence number. It depends only on the set of entries, so two members
// holding the same entries show them identically.
//
//   compareEntries(a, b)      -> negative, zero or positive, for records {clock, author, seq}
//   orderEntries(records)     -> a new array in room order
//
// Authors are base64url text, which does not sort like the bytes it encodes (as text,
// '-' and the digits sort before the letters, yet they encode the values 52..62), so
// authors are compared as decoded key bytes.
import { compareBytes, fromBase64Url } from '../crypto/bytes.js';

export function compareAuthors(a, b) {
  if (a === b) return 0;
  return compareBytes(fromBase64Url(a, 32), fromBase64Url(b, 32));
}

export function compareEntries(a, b) {
  return a.clock - b.clock || compareAuthors(a.author, b.author) || a.seq - b.seq;
}

// A room has few authors and many entries: rank the authors once by their bytes, then
// sort with numbers only.
export function orderEntries(records) {
  const authors = [...new Set(records.map((record) => record.author))].sort(compareAuthors);
  const rank = new Map(authors.map((author, index) => [author, index]));
  return [...records].sort((a, b) =>
    a.clock - b.clock || rank.get(a.author) - rank.get(b.author) || a.seq - b.seq);
}
