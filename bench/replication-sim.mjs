// Log replication over a simulated room's overlay (issue 20): every member online runs
// the real RoomLog and one real Replicator per link (static/app/room/), the entries are
// real (signed, sealed), and each frame takes its link's latency, as in a browser where a
// RoomSession announces its heads on every other link once entries came on one. Counted:
// when each member holds each entry, how many copies of it reached the member (`entries`
// frames may bring an entry twice when two neighbours answered its wants), and how often
// one entry crossed one link in one direction (never more than once, by design).
//
//   replicate(room, { messages, gapMs }) -> { reachedAll, ms99, msAll, worstMsAll,
//     copies: { mean, max }, mostOnOneLink }
// `room` is overlay-sim.mjs's Room once settled (its links, latencies, clock and queue).
import { deriveRoomKeys } from '../static/app/crypto/room-keys.js';
import { createIdentity } from '../static/app/identity/identity.js';
import { Replicator } from '../static/app/room/replicator.js';
import { RoomLog } from '../static/app/room/room-log.js';

export function replicate(room, { messages = 20, gapMs = 50 } = {}) {
  const secret = Uint8Array.from({ length: 32 }, () => Math.floor(room.random() * 256));
  const keys = deriveRoomKeys(secret);
  const online = [...room.online];
  const members = new Map(); // id -> { log, replicators: Map(neighbour -> Replicator) }
  const firstHeld = new Map(); // entry id -> Map(member -> ms)
  const copies = new Map(); // "member|entry" -> entries received
  const crossings = new Map(); // "from>to|entry" -> times sent
  const appendedAt = new Map();
  const entryIndex = new Map(); // an entry's base64url text -> a small number
  const indexOf = (text) => {
    if (!entryIndex.has(text)) entryIndex.set(text, entryIndex.size);
    return entryIndex.get(text);
  };

  const deliver = (from, to, frame) => {
    if (frame.t === 'entries') {
      for (const text of frame.entries) {
        const key = `${from}>${to}|${indexOf(text)}`;
        crossings.set(key, (crossings.get(key) ?? 0) + 1);
      }
    }
    room.at(room.now + room.latency.get(linkKey(from, to)), () => {
      if (!members.has(to)) return;
      if (frame.t === 'entries') {
        for (const text of frame.entries) {
          const key = `${to}|${indexOf(text)}`;
          copies.set(key, (copies.get(key) ?? 0) + 1);
        }
      }
      members.get(to).replicators.get(from)?.receive(frame);
    });
  };

  for (const id of online) members.set(id, { log: new RoomLog(keys), replicators: new Map() });
  for (const id of online) {
    const member = members.get(id);
    for (const neighbour of room.neighbours(id)) {
      if (!members.has(neighbour)) continue;
      const replicator = new Replicator({
        log: member.log,
        send: (frame) => deliver(id, neighbour, frame),
        onAdded: (records) => {
          for (const record of records) {
            const held = firstHeld.get(record.id);
            if (held && !held.has(id)) held.set(id, room.now - appendedAt.get(record.id));
          }
          if (!records.length) return;
          for (const [other, r] of member.replicators) if (other !== neighbour) r.announce();
        },
      });
      member.replicators.set(neighbour, replicator);
    }
  }
  for (const { replicators } of members.values()) for (const r of replicators.values()) r.start();

  const start = room.now + 1000; // the first heads have crossed
  const writtenAt = Date.now(); // what the entries say; the simulation keeps its own time
  for (let i = 0; i < messages; i += 1) {
    const author = online[Math.floor(room.random() * online.length)];
    room.at(start + i * gapMs, () => {
      const member = members.get(author);
      const record = member.log.append(createIdentity(), { type: 'message', ts: writtenAt, text: `message ${i}` });
      appendedAt.set(record.id, room.now);
      firstHeld.set(record.id, new Map([[author, 0]]));
      for (const r of member.replicators.values()) r.pushOwn([record]);
    });
  }
  room.runUntil(start + messages * gapMs + 60_000);

  const n = online.length;
  const by = (sorted, fraction) => sorted[Math.ceil(fraction * n) - 1] ?? Infinity;
  const spreads = [...firstHeld.values()].map((held) => {
    const ms = [...held.values()].sort((a, b) => a - b);
    return { reached: held.size, ms99: by(ms, 0.99), msAll: by(ms, 1) };
  });
  const perMember = [...copies.values()];
  const median = (field) => spreads.map((s) => s[field]).sort((a, b) => a - b)[spreads.length >> 1];
  return {
    messages,
    reachedAll: spreads.length === messages && spreads.every((s) => s.reached === n),
    ms99: Math.round(median('ms99')),
    msAll: Math.round(median('msAll')),
    worstMsAll: Math.round(Math.max(...spreads.map((s) => s.msAll))),
    // Per member and entry, over those that received it (its author received none).
    copies: {
      mean: perMember.reduce((sum, c) => sum + c, 0) / Math.max(perMember.length, 1),
      max: largest(perMember),
    },
    mostOnOneLink: largest(crossings.values()),
  };
}

// Math.max(...values) overflows the stack with hundreds of thousands of values.
function largest(values) {
  let most = 0;
  for (const value of values) if (value > most) most = value;
  return most;
}

const linkKey = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`);
