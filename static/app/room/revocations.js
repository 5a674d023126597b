// Which linked devices are revoked in a room (docs/protocol.md §13 "Revoking a device"),
// from its `revoke` entries. Pure: every member and mirror gets the same answer from the
// same entries.
//
//   evaluateRevocations(records) -> Map device id -> { upTo, at }   (`at`: the revoke's
//                                   place in room order, as a removal's)
//
// A `revoke` counts only when the device is its author's in this room: the device's first
// entry is a `device` entry naming the author, certified by it (room/room-log.js refuses
// any other `device` entry). Anyone can sign a certificate of any key, so the one a
// `revoke` carries proves nothing alone: nobody unlinks another person's device, nor
// another person. The first one in room order decides; it never takes the device's own
// `device` entry out (upTo is at least 1).
import { orderEntries } from './order.js';

export function evaluateRevocations(records) {
  const owners = new Map();
  for (const record of records) if (record.body?.type === 'device' && record.seq === 0) owners.set(record.author, record.body.identity);
  const revoked = new Map();
  for (const record of orderEntries(records.filter((r) => r.body?.type === 'revoke'))) {
    const { device, upTo } = record.body;
    if (revoked.has(device) || owners.get(device) !== record.author) continue;
    // The device's first entry (its `device` entry) always stays: it is what makes the
    // revocation count, so `upTo` is at least 1.
    revoked.set(device, { upTo: Math.max(1, upTo), at: { clock: record.clock, author: record.author, seq: record.seq } });
  }
  return revoked;
}
