// RoomLog (docs/protocol.md §7 receiver checks, §8 logs): Ada writes, Bob's log ingests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { createEntry, entryId } from '../../static/app/room/entry.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { handBuiltEntry } from './hand-built.js';
import { assertRejected } from './room-fixture.js';
import { newRoom, snapshot } from './replication-fixture.js';

const room = newRoom();
const otherRoom = newRoom();
const ada = createIdentity();
const ADA = toBase64Url(ada.publicKey);
const say = (text) => ({ type: 'message', ts: 1_700_000_000_000, text });

// Ada's log with `count` messages, and its entries' bytes.
function adaWrites(count) {
  const log = new RoomLog(room);
  for (let i = 0; i < count; i++) log.append(ada, say(`m${i}`));
  return { log, bytes: log.range(ADA, 0, count), records: log.records() };
}

// An entry by Ada made by hand: any seq, prev, clock or keys.
function crafted({ seq, prev = null, clock, keys = room, body = { ...say('x'), clock } }) {
  const prevBytes = prev === null ? null : fromBase64Url(prev, 32);
  return createEntry({ identity: ada, seq, prev: prevBytes, body, ...keys }).bytes;
}

// Ingests `bytes` into `log` and checks that nothing about the log changed.
function ingestUnchanged(log, bytes) {
  const before = snapshot(log);
  const result = log.ingest(bytes);
  assert.deepEqual(snapshot(log), before);
  assert.equal(result.added.length, 0);
  return result;
}

test('appending chains entries and counts the clock past everything held', () => {
  const log = new RoomLog(room);
  const first = log.append(ada, say('one'));
  assert.deepEqual(
    { author: first.author, seq: first.seq, prev: first.prev, clock: first.clock },
    { author: ADA, seq: 0, prev: null, clock: 1 });
  assert.deepEqual(first.body, { ...say('one'), clock: 1 });
  assert.equal(first.id, toBase64Url(entryId(first.bytes)));
  const second = log.append(ada, say('two'));
  assert.equal(second.prev, first.id);
  assert.equal(second.clock, 2);
  // Bob has seen Ada's two entries, so his first entry comes after them.
  const bob = createIdentity();
  const bobsLog = new RoomLog(room);
  bobsLog.ingest([first.bytes, second.bytes]);
  const reply = bobsLog.append(bob, say('three'));
  assert.deepEqual([reply.seq, reply.clock], [0, 3]);
  assert.deepEqual(bobsLog.heads().map((h) => h.length), [2, 1]);
  assert.ok(Object.isFrozen(reply));
  assertRejected(() => log.append(ada, { type: 'message', ts: 1, text: '' }), 'malformed');
  assert.equal(log.length(ADA), 2, 'a refused append changes nothing');
});

test('a new member ingests a whole log; a second delivery is all duplicates', () => {
  const { log: adas, bytes } = adaWrites(5);
  const bobs = new RoomLog(room);
  const result = bobs.ingest([...bytes].reverse());
  assert.deepEqual(result.added.map((r) => r.seq), [0, 1, 2, 3, 4]);
  assert.deepEqual(result.added.map((r) => r.body.text), ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.deepEqual(bobs.heads(), adas.heads());
  assert.deepEqual(snapshot(bobs), snapshot(adas));
  const again = ingestUnchanged(bobs, bytes);
  assert.deepEqual(again.duplicates, adas.records().map((r) => r.id));
  assert.deepEqual([again.rejected, again.forks, again.gaps], [[], [], []]);
  assert.deepEqual(bobs.range(ADA, 1, 3), bytes.slice(1, 3));
  assert.deepEqual(bobs.range(ADA, 3, 100), bytes.slice(3));
  assert.equal(bobs.headId(ADA), adas.headId(ADA));
  assert.equal(bobs.get(result.added[2].id), result.added[2]);
  assert.equal(bobs.maxClock(), 5);
});

test('an entry past the end is a gap: dropped, with the range to ask for', () => {
  const { bytes } = adaWrites(6);
  const bobs = new RoomLog(room);
  bobs.ingest(bytes.slice(0, 2));
  const result = ingestUnchanged(bobs, [bytes[5], bytes[3]]);
  assert.deepEqual(result.gaps, [{ author: ADA, from: 2, to: 6 }]);
  assert.deepEqual(result.rejected, []);
  // With the missing entry, the same batch attaches.
  assert.equal(bobs.ingest([bytes[5], bytes[3], bytes[2], bytes[4]]).added.length, 4);
});

test('a forged or foreign entry is rejected before anything else, and names nobody', () => {
  const { bytes } = adaWrites(2);
  const bobs = new RoomLog(room);
  bobs.ingest([bytes[0]]);
  const forged = bytes[1].slice();
  forged[120] ^= 1;
  const truncated = bytes[1].slice(0, 150);
  const foreign = crafted({ seq: 1, prev: bobs.headId(ADA), clock: 2, keys: otherRoom });
  const result = ingestUnchanged(bobs, [forged, truncated, foreign, 'not bytes']);
  assert.deepEqual(result.rejected, [
    { code: 'bad_signature', author: null, seq: null },
    { code: 'malformed', author: null, seq: null },
    { code: 'bad_signature', author: null, seq: null },
    { code: 'malformed', author: null, seq: null },
  ]);
});

test('broken chain, undecryptable, malformed body and bad clock are rejected, in that order', () => {
  const { log: adas } = adaWrites(2);
  const bobs = new RoomLog(room);
  bobs.ingest(adas.range(ADA, 0, 2));
  const head = bobs.headId(ADA);
  const elsewhere = toBase64Url(new Uint8Array(32).fill(7));
  const undecryptable = { ...room, messageKey: otherRoom.messageKey };
  const badBody = handBuiltEntry({
    identity: ada, seq: 2, prev: fromBase64Url(head, 32), bodyBytes: utf8Encode('{"type":"message"}'), ...room,
  });
  const cases = [
    [crafted({ seq: 2, prev: elsewhere, clock: 3 }), 'broken_chain'],
    [crafted({ seq: 2, prev: elsewhere, clock: 1, keys: undecryptable }), 'broken_chain'],
    [crafted({ seq: 2, prev: head, clock: 1, keys: undecryptable }), 'undecryptable'],
    [badBody, 'malformed'],
    [crafted({ seq: 2, prev: head, clock: 2 }), 'bad_clock'],
    [crafted({ seq: 2, prev: head, clock: 1 }), 'bad_clock'],
  ];
  for (const [bytes, code] of cases) {
    assert.deepEqual(ingestUnchanged(bobs, [bytes]).rejected, [{ code, author: ADA, seq: 2 }]);
  }
  // Sequence 0 must have a zero prev.
  const fresh = new RoomLog(room);
  const rootWithPrev = handBuiltEntry({
    identity: ada, seq: 0, prev: new Uint8Array(32).fill(1),
    bodyBytes: utf8Encode(JSON.stringify({ ...say('x'), clock: 1 })), ...room,
  });
  assert.equal(ingestUnchanged(fresh, [rootWithPrev]).rejected[0].code, 'broken_chain');
  // A clock that only has to beat the author's own previous entry.
  assert.equal(bobs.ingest([crafted({ seq: 2, prev: head, clock: 3 })]).added.length, 1);
});

test('after a rejected entry the rest of that author\'s batch is dropped, others go on', () => {
  const { bytes } = adaWrites(4);
  const bob = createIdentity();
  const bobsOwn = new RoomLog(room);
  const bobsEntry = bobsOwn.append(bob, say('hi')).bytes;
  const carols = new RoomLog(room);
  carols.ingest(bytes.slice(0, 1));
  const wrong = crafted({ seq: 1, prev: toBase64Url(new Uint8Array(32).fill(3)), clock: 2 });
  const result = carols.ingest([bytes[2], bytes[3], wrong, bobsEntry]);
  assert.deepEqual(result.rejected, [{ code: 'broken_chain', author: ADA, seq: 1 }]);
  assert.deepEqual(result.gaps, [], 'asking the same peer again would bring the same entry');
  assert.deepEqual(result.added.map((r) => r.author), [toBase64Url(bob.publicKey)]);
  assert.equal(carols.length(ADA), 1);
});

test('two signed entries at one sequence number are a fork: kept as evidence, author frozen', () => {
  const { bytes } = adaWrites(3);
  const bobs = new RoomLog(room);
  bobs.ingest(bytes.slice(0, 2));
  const rival = crafted({ seq: 1, prev: toBase64Url(entryId(bytes[0])), clock: 9 });
  const before = snapshot(bobs);
  const result = bobs.ingest([rival]);
  const evidence = { author: ADA, seq: 1, existing: toBase64Url(entryId(bytes[1])), conflicting: rival };
  assert.deepEqual(result.forks, [evidence]);
  assert.deepEqual(result.rejected, []);
  assert.deepEqual(bobs.forks(), [evidence]);
  assert.ok(bobs.isForked(ADA));
  assert.deepEqual(snapshot(bobs).records, before.records, 'the entries held stay');
  // From now on: nothing more of Ada is accepted or served, duplicates are still known.
  const later = bobs.ingest([bytes[2], bytes[0]]);
  assert.deepEqual(later.rejected, [{ code: 'fork', author: ADA, seq: 2 }]);
  assert.deepEqual(later.duplicates, [toBase64Url(entryId(bytes[0]))]);
  assert.deepEqual(later.gaps, []);
  assert.deepEqual(bobs.range(ADA, 0, 10), []);
  assert.equal(bobs.length(ADA), 2);
});

test('a fork is found before the chain is checked, and a forked own log refuses to append', () => {
  const { bytes } = adaWrites(2);
  const adas = new RoomLog(room);
  adas.ingest(bytes);
  const rootRival = crafted({ seq: 0, clock: 1 });
  const unchained = crafted({ seq: 1, prev: toBase64Url(new Uint8Array(32).fill(5)), clock: 5 });
  assert.equal(new RoomLog(room).ingest([...bytes, unchained]).forks.length, 1);
  assert.equal(adas.ingest([rootRival]).forks[0].seq, 0);
  assertRejected(() => adas.append(ada, say('more')), 'fork');
  assert.equal(adas.length(ADA), 2);
});

test('load takes stored records as they chain and returns the rest; forks load too', () => {
  const { log: adas, records } = adaWrites(4);
  const bobs = new RoomLog(room);
  const stray = { ...records[3], id: 'x'.repeat(43), seq: 7 };
  const skipped = bobs.load([records[2], stray, records[0], records[1], records[0]]);
  assert.deepEqual(skipped, [stray]);
  assert.equal(bobs.length(ADA), 3);
  assert.equal(bobs.maxClock(), 3);
  assert.deepEqual(bobs.ingest([records[3].bytes]).added.map((r) => r.seq), [3]);
  assert.deepEqual(snapshot(bobs), snapshot(adas));
  const fork = { author: ADA, seq: 1, existing: records[1].id, conflicting: new Uint8Array(3) };
  bobs.loadForks([fork]);
  assert.ok(bobs.isForked(ADA));
  assert.deepEqual(bobs.forks(), [fork]);
  assert.deepEqual(bobs.range(ADA, 0, 4), []);
  assert.deepEqual(bobs.heads(), adas.heads(), 'heads still say what is held');
});
