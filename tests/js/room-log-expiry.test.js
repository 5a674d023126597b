// RoomLog and disappearing messages (docs/protocol.md §7 "Disappearing messages"):
// expired entries become stubs that still chain, are served and are taken by others
// only once they are due.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { createEntry, entryStub, STUB_BYTES, STUB_EARLY_MS } from '../../static/app/room/entry.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { newRoom } from './replication-fixture.js';

const room = newRoom();
const ada = createIdentity();
const ADA = toBase64Url(ada.publicKey);
const T = 1_700_000_000_000;
const say = (text, ts = T) => ({ type: 'message', ts, text });

// Ada writes: a lasting message, one that expires at T + 60 s, and a lasting one after it.
function adaWrites() {
  const log = new RoomLog(room);
  log.append(ada, say('stays'));
  const gone = log.append(ada, say('goes'), { expires: T + 60_000 });
  log.append(ada, say('after'));
  return { log, gone };
}

test('an entry expires into its stub: no body, no clock, the same id and place', () => {
  const { log, gone } = adaWrites();
  assert.equal(log.nextExpiry(), T + 60_000);
  assert.deepEqual(log.expire(T + 59_999), []);
  const expired = log.expire(T + 60_000);
  assert.deepEqual(expired.map((record) => record.body.text), ['goes']);
  const stub = log.get(gone.id);
  assert.equal(stub.seq, 1);
  assert.equal(stub.body, null);
  assert.equal(stub.clock, null);
  assert.equal(stub.ts, null);
  assert.equal(stub.bytes.length, STUB_BYTES);
  assert.deepEqual(log.range(ADA, 1, 2), [entryStub(gone.bytes)]);
  assert.equal(log.nextExpiry(), null);
  assert.deepEqual(log.expire(T + 120_000), []);
  assert.deepEqual(log.records().filter((record) => record.body).map((record) => record.body.text), ['stays', 'after']);
  // The room's clock stays where it was: a member who still holds the entry would
  // refuse a later one of ours with a clock not above it.
  assert.equal(log.append(ada, say('later')).clock, 4);
});

test('a member catching up takes a stub once it is due, and the chain goes on after it', () => {
  const { log } = adaWrites();
  log.expire(T + 60_000);
  const bytes = log.range(ADA, 0, 3);
  const early = new RoomLog(room).ingest(bytes, { now: T + 60_000 - STUB_EARLY_MS - 1 });
  assert.deepEqual(early.rejected, [{ code: 'not_expired', author: ADA, seq: 1 }]);
  assert.deepEqual(early.added.map((record) => record.seq), [0]);
  const bob = new RoomLog(room);
  const due = bob.ingest(bytes, { now: T + 60_000 - STUB_EARLY_MS });
  assert.deepEqual(due.rejected, []);
  assert.deepEqual(due.added.map((record) => record.body?.text ?? null), ['stays', null, 'after']);
});

test('an entry that is due when it arrives is kept as its stub at once', () => {
  const { log, gone } = adaWrites();
  const bob = new RoomLog(room);
  const result = bob.ingest(log.range(ADA, 0, 3), { now: T + 60_000 });
  assert.equal(result.added[1].body, null);
  assert.deepEqual(bob.get(gone.id).bytes, entryStub(gone.bytes));
  assert.equal(bob.nextExpiry(), null);
});

test('after a stub, a clock is checked against the latest one known before it', () => {
  const log = new RoomLog(room);
  log.append(ada, say('one')); // clock 1
  const gone = log.append(ada, say('two'), { expires: T }); // clock 2
  log.expire(T);
  const prev = fromBase64Url(gone.id, 32);
  const next = (clock) => createEntry({
    identity: ada, seq: 2, prev, body: { ...say('three'), clock }, ...room,
  }).bytes;
  const bob = () => {
    const fresh = new RoomLog(room);
    fresh.ingest(log.range(ADA, 0, 2), { now: T });
    return fresh;
  };
  assert.deepEqual(bob().ingest([next(1)], { now: T }).rejected, [{ code: 'bad_clock', author: ADA, seq: 2 }]);
  assert.deepEqual(bob().ingest([next(2)], { now: T }).rejected, []);
});

test('an expiring message a device writes is loaded back from the store as it was', () => {
  const { log } = adaWrites();
  const again = new RoomLog(room);
  assert.deepEqual(again.load(log.records()), []);
  assert.equal(again.nextExpiry(), T + 60_000);
  log.expire(T + 60_000);
  const reloaded = new RoomLog(room);
  assert.deepEqual(reloaded.load(log.records()), []);
  assert.equal(reloaded.nextExpiry(), null);
  assert.equal(reloaded.records().filter((record) => record.body === null).length, 1);
});
