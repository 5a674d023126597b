// RoomLog: the entries of one room that this device holds (docs/protocol.md §8). Per
// author a contiguous prefix of that author's log, each entry chained to the one before
// and with a larger clock; authors caught signing two entries at one sequence number
// are marked forked and frozen. Pure: no DOM, no storage; the owner saves what it adds.
//
//   const log = new RoomLog({ discoveryKey, messageKey, controlKey, founder })
//   log.load(records); log.loadForks(forks)           // trusted, from the device store
//   log.append(identity, { type: 'message', ts, text }, { expires })  -> record (clock added here)
//   log.ingest([bytes, …], { now }) -> { added, duplicates, rejected, forks, gaps }
//   log.expire(now) -> the records that expired now (their stubs replace them)
//   log.nextExpiry() -> the earliest `expires` of a record that still has its body, or null
//   log.heads(), log.length(author), log.headId(author), log.range(author, from, to)
//   log.records(), log.get(id), log.maxClock(), log.isForked(author), log.forks()
//   log.moderation, log.revocations, log.cap(author), log.takeRemoved()
//
// In every room the log also keeps the devices their identities revoked (§13,
// room/revocations.js): a revoked device's entries are capped as a removed member's.
//
// In a founded room (a `founder`, §2) the log also keeps the room's moderation
// (room/moderation.js): a removed member's entries from the removal's `upTo` on are
// refused (`removed`, nobody's fault), and taken out again when the removal arrives
// after them: the owner collects those with `takeRemoved()` and deletes them from the
// store. They are checked and evaluated first, since a control entry among them may
// come earlier in room order than the removal and undo it (two admins removing each
// other).
//
// A record is { id, author, seq, prev, bytes, clock, ts, body, expires }: ids and authors
// are base64url text, `prev` is null at seq 0, `bytes` is the whole entry, `expires` null
// unless it is a version 2 entry (§7 "Disappearing messages"). An expired entry's record
// is its stub: `bytes` without the ciphertext, and `body`, `ts` and `clock` null; it keeps
// its place in the chain and is served like any entry. Records are frozen.
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { deviceCertVerifies } from '../devices/device-cert.js';
import { CONTROL_TYPES } from './entry-body.js';
import {
  createEntry, decryptRoomEntryBody, entryStub, EntryError, keyNameFor, STUB_EARLY_MS, verifyEntrySignature,
} from './entry.js';
import { evaluateModeration } from './moderation.js';
import { evaluateRevocations } from './revocations.js';
import { compareEntries } from './order.js';

const isZero = (bytes) => bytes.every((byte) => byte === 0);

function freezeRecord({ id, author, seq, prev, bytes, clock, ts, body, expires = null }) {
  return Object.freeze({ id, author, seq, prev: prev ?? null, bytes, clock, ts, body, expires });
}

// What stays of an expired record: no body, no clock, no time of writing.
export function stubRecord(record) {
  return freezeRecord({ ...record, bytes: entryStub(record.bytes), clock: null, ts: null, body: null });
}

const isDue = (record, now) => record.expires !== null && record.expires <= now;

// A `device` entry counts only as its author's first, certified by the identity it names
// (docs/protocol.md §13): else anyone could speak for anyone.
function checkDevice(author, seq, body) {
  if (body.type !== 'device') return;
  const certified = seq === 0 && deviceCertVerifies({
    identity: fromBase64Url(body.identity, 32), device: fromBase64Url(author, 32), created: body.created,
    cert: fromBase64Url(body.cert, 64),
  });
  if (!certified) throw new EntryError('malformed', 'a device entry must be the first, and certified');
}

export class RoomLog {
  #keys;
  #logs = new Map(); // author -> records, index = seq
  #byId = new Map();
  #forked = new Set();
  #forks = [];
  #maxClock = 0;
  #founder;
  #control = []; // the control entries held, from which the moderation is evaluated
  #removed = []; // records taken out by a removal, until the owner takes them
  moderation;
  revocations = new Map();

  constructor({ discoveryKey, messageKey, controlKey = null, founder = null }) {
    if (!(discoveryKey instanceof Uint8Array) || discoveryKey.length !== 32) {
      throw new TypeError('discoveryKey must be 32 bytes');
    }
    if (!(messageKey instanceof Uint8Array) || messageKey.length !== 32) {
      throw new TypeError('messageKey must be 32 bytes');
    }
    if (controlKey !== null && !(controlKey instanceof Uint8Array && controlKey.length === 32)) {
      throw new TypeError('controlKey must be 32 bytes');
    }
    this.#keys = { discoveryKey, messageKey, controlKey };
    this.#founder = founder;
    this.moderation = evaluateModeration([], founder);
  }

  // Records from the store were checked when they arrived. Only what extends an author's
  // contiguous chain is taken; the rest is returned, so the owner can tell.
  load(records) {
    const skipped = [];
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    for (const record of sorted) {
      if (this.#byId.has(record.id)) continue;
      const log = this.#logs.get(record.author) ?? [];
      const fits = record.seq === log.length && (record.prev ?? null) === (log.at(-1)?.id ?? null);
      if (fits) this.#store(freezeRecord(record));
      else skipped.push(record);
    }
    this.#moderate();
    return skipped;
  }

  loadForks(forks) {
    for (const { author, seq, existing, conflicting } of forks) {
      this.#forked.add(author);
      this.#forks.push(Object.freeze({ author, seq, existing, conflicting }));
    }
  }

  // The log owns seq, prev and clock, so the caller's body comes without `clock`.
  append(identity, body, { expires = null } = {}) {
    const author = toBase64Url(identity.publicKey);
    if (this.#forked.has(author)) throw new EntryError('fork', 'own log is marked forked');
    const log = this.#logs.get(author) ?? [];
    const seq = log.length;
    const prev = log.at(-1)?.id ?? null;
    // The stored body is the JSON a reader decodes, not the caller's object.
    const fullBody = JSON.parse(JSON.stringify({ ...body, clock: this.#maxClock + 1 }));
    checkDevice(author, seq, fullBody);
    const key = this.#keys[keyNameFor(fullBody.type)];
    if (!key) throw new EntryError('malformed', 'a control entry needs the room\'s control key');
    const { bytes, id } = createEntry({
      identity, seq, prev: prev && fromBase64Url(prev, 32), body: fullBody,
      discoveryKey: this.#keys.discoveryKey, messageKey: key, expires,
    });
    const record = freezeRecord({
      id: toBase64Url(id), author, seq, prev, bytes, clock: fullBody.clock, ts: fullBody.ts,
      body: fullBody, expires,
    });
    this.#store(record);
    if (CONTROL_TYPES.includes(record.body.type)) this.#moderate();
    return record;
  }

  // §8 "On entries": checks 1–2 for every entry, then per author in seq order: duplicate,
  // fork or gap by position, then chain, decryption and body, and clock. Nothing of a
  // rejected entry is kept; the rest of its author's batch is dropped unreported (it no
  // longer attaches, and asking the same peer again would bring the same entry back).
  ingest(bytesList, { now = Date.now() } = {}) {
    const result = { added: [], duplicates: [], rejected: [], forks: [], gaps: [] };
    const byAuthor = new Map();
    for (const input of bytesList) {
      const bytes = input instanceof Uint8Array ? input.slice() : input;
      let verified;
      try {
        verified = verifyEntrySignature(bytes, this.#keys.discoveryKey);
      } catch (error) {
        if (!(error instanceof EntryError)) throw error;
        // The author field of an entry that fails here is not proven: name nobody.
        result.rejected.push({ code: error.code, author: null, seq: null });
        continue;
      }
      const author = toBase64Url(verified.author);
      if (!byAuthor.has(author)) byAuthor.set(author, []);
      byAuthor.get(author).push({ ...verified, id: toBase64Url(verified.id), bytes });
    }
    for (const [author, items] of byAuthor) {
      items.sort((a, b) => a.seq - b.seq); // stable: of two rivals the first sent wins
      this.#ingestAuthor(author, items, result, now);
    }
    // Entries past a removed member's cap are taken in first: one of them may be a
    // control entry that comes earlier in room order and changes who was removed.
    this.#moderate({ again: result.added.some((record) => record.body && CONTROL_TYPES.includes(record.body.type)) });
    const kept = result.added.filter((record) => this.#byId.has(record.id));
    for (const record of result.added) {
      if (!this.#byId.has(record.id)) result.rejected.push({ code: 'removed', author: record.author, seq: record.seq });
    }
    result.added = kept;
    return result;
  }

  #ingestAuthor(author, items, result, now) {
    let dropping = false;
    let gap = null;
    for (const item of items) {
      const log = this.#logs.get(author) ?? [];
      if (item.seq < log.length) {
        if (log[item.seq].id === item.id) {
          result.duplicates.push(item.id);
        } else if (this.#forked.has(author)) {
          result.rejected.push({ code: 'fork', author, seq: item.seq });
        } else {
          const fork = Object.freeze({
            author, seq: item.seq, existing: log[item.seq].id, conflicting: item.bytes,
          });
          this.#forked.add(author);
          this.#forks.push(fork);
          result.forks.push(fork);
        }
      } else if (this.#forked.has(author)) {
        result.rejected.push({ code: 'fork', author, seq: item.seq });
      } else if (dropping) {
        continue;
      } else if (item.seq > log.length) {
        gap = { author, from: log.length, to: item.seq + 1 };
      } else {
        try {
          const record = this.#check(author, item, log, now);
          this.#store(record);
          result.added.push(record);
        } catch (error) {
          if (!(error instanceof EntryError)) throw error;
          result.rejected.push({ code: error.code, author, seq: item.seq });
          dropping = true;
        }
      }
    }
    if (gap && !this.#forked.has(author)) result.gaps.push(gap);
  }

  // An entry at seq = length: chain, then decryption and body, then clock (§7 order); a
  // stub instead only if it is due (check 8). An entry that is due already is kept as
  // its stub.
  #check(author, item, log, now) {
    const previous = log.at(-1) ?? null;
    const chained = previous ? toBase64Url(item.prev) === previous.id : isZero(item.prev);
    if (!chained) throw new EntryError('broken_chain');
    const fields = { id: item.id, author, seq: item.seq, prev: previous?.id, bytes: item.bytes, expires: item.expires };
    if (item.stub) {
      if (item.expires > now + STUB_EARLY_MS) throw new EntryError('not_expired');
      return freezeRecord({ ...fields, clock: null, ts: null, body: null });
    }
    const body = decryptRoomEntryBody(item.bytes, this.#keys);
    checkDevice(author, item.seq, body);
    const lastClock = log.findLast((record) => record.clock !== null)?.clock;
    if (lastClock !== undefined && !(body.clock > lastClock)) throw new EntryError('bad_clock');
    const record = freezeRecord({ ...fields, clock: body.clock, ts: body.ts, body });
    return isDue(record, now) ? stubRecord(record) : record;
  }

  // Every record whose time has come is replaced by its stub (§7 "Disappearing
  // messages"); the owner stores the stubs and deletes what the bodies named (files).
  expire(now = Date.now()) {
    const expired = [];
    for (const log of this.#logs.values()) {
      log.forEach((record, seq) => {
        if (record.body === null || !isDue(record, now)) return;
        const stub = stubRecord(record);
        log[seq] = stub;
        this.#byId.set(stub.id, stub);
        expired.push(record);
      });
    }
    // The room's clock stays: a member still holding the entry would find a later
    // entry of ours with a clock not above it out of order.
    return expired;
  }

  nextExpiry() {
    let next = null;
    for (const record of this.#byId.values()) {
      if (record.body !== null && record.expires !== null && (next === null || record.expires < next)) next = record.expires;
    }
    return next;
  }

  #store(record) {
    if (!this.#logs.has(record.author)) this.#logs.set(record.author, []);
    this.#logs.get(record.author).push(record);
    this.#byId.set(record.id, record);
    if (record.clock > this.#maxClock) this.#maxClock = record.clock;
    if (record.body && CONTROL_TYPES.includes(record.body.type)) this.#control.push(record);
  }

  // Evaluate the moderation again (after control entries arrived) and take out what a
  // removal does not let count.
  #moderate({ again = true } = {}) {
    if (again) {
      if (this.#founder) this.moderation = evaluateModeration(this.#control, this.#founder);
      this.revocations = evaluateRevocations(this.#control);
    }
    for (const author of new Set([...this.moderation.caps.keys(), ...this.revocations.keys()])) {
      const log = this.#logs.get(author);
      const upTo = this.cap(author);
      if (!log || log.length <= upTo) continue;
      const cut = log.splice(upTo);
      for (const record of cut) this.#byId.delete(record.id);
      this.#removed.push(...cut);
      if (log.length === 0) this.#logs.delete(author);
      // A removed member's clocks do not carry the room's: they could push it to the end.
      if (cut.some((record) => record.clock === this.#maxClock)) this.#recountClock();
    }
    const held = (record) => this.#byId.has(record.id);
    if (!this.#control.every(held)) this.#control = this.#control.filter(held);
  }

  #recountClock() {
    this.#maxClock = 0;
    for (const record of this.#byId.values()) if (record.clock > this.#maxClock) this.#maxClock = record.clock;
  }

  // How much of `author`'s log may count here: Infinity unless they were removed, else
  // up to the removal's `upTo`, and never an entry after the removal in room order (an
  // `upTo` larger than the remover held would otherwise let a removed member write on).
  // A revoked device keeps its first entry: the `device` entry that makes the revocation
  // count (room/revocations.js), even when the revocation comes first in room order.
  cap(author) {
    const revocation = this.revocations.has(author) ? Math.max(1, this.#capBy(this.revocations.get(author), author)) : Infinity;
    return Math.min(this.#capBy(this.moderation.removals.get(author), author), revocation);
  }

  // A removal's or a revocation's cap: its `upTo`, and nothing placed after it.
  #capBy(limit, author) {
    if (!limit) return Infinity;
    const log = this.#logs.get(author) ?? [];
    const after = limit.at ? log.findIndex((record) => record.clock !== null && compareEntries(record, limit.at) > 0) : -1;
    return after === -1 ? limit.upTo : Math.min(limit.upTo, after);
  }

  takeRemoved() {
    const removed = this.#removed;
    this.#removed = [];
    return removed;
  }

  // Forked authors are listed too: what a device holds. The Replicator does not announce
  // them, because it will not serve them.
  heads() {
    return [...this.#logs].map(([author, log]) => ({
      author, length: log.length, head: log.at(-1).id,
    }));
  }

  length(author) {
    return this.#logs.get(author)?.length ?? 0;
  }

  headId(author) {
    return this.#logs.get(author)?.at(-1)?.id ?? null;
  }

  range(author, from, to) {
    if (this.#forked.has(author)) return [];
    return (this.#logs.get(author) ?? []).slice(from, to).map((record) => record.bytes);
  }

  records() {
    return [...this.#byId.values()];
  }

  get(id) {
    return this.#byId.get(id);
  }

  maxClock() {
    return this.#maxClock;
  }

  isForked(author) {
    return this.#forked.has(author);
  }

  forks() {
    return [...this.#forks];
  }
}
