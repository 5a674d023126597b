// Properties of room history (docs/protocol.md §8), with real entries and crypto:
// (a) what a log ends up holding, and its order, do not depend on how entries arrive;
// (b) forged, unchained, early, duplicate and replayed entries change nothing;
// (c) replicas that write and replicate in any interleaving agree in the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { createEntry } from '../../static/app/room/entry.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { handBuiltEntry } from './hand-built.js';
import {
  assertSameHistory, Network, newRoom, orderOf, Peer, randomFrom, snapshot,
} from './replication-fixture.js';

const room = newRoom();
const otherRoom = newRoom();

// Three authors who write concurrently and sometimes catch up with each other, so the
// pool has equal clocks across authors as well as causal jumps.
function writeHistory(seed, count = 24) {
  const pick = randomFrom(seed);
  const writers = [0, 1, 2].map(() => ({ identity: createIdentity(), log: new RoomLog(room) }));
  for (let i = 0; i < count; i++) {
    const writer = writers[pick(3)];
    if (pick(4) === 0) {
      const other = writers[pick(3)].log;
      writer.log.ingest(other.heads().flatMap(({ author, length }) => other.range(author, 0, length)));
    }
    writer.log.append(writer.identity, { type: 'message', ts: i, text: `entry ${i}` });
  }
  const all = new RoomLog(room);
  for (const { log } of writers) all.ingest(log.records().map((record) => record.bytes));
  return { writers, all, pool: all.records() };
}

// Ingests `batches` in turn, and again with whatever did not attach (a gap is dropped,
// and the replicator would ask again), until nothing more attaches.
function ingestInBatches(log, pool, sizes) {
  let rest = pool;
  while (rest.length > 0) {
    const before = log.records().length;
    for (let i = 0, k = 0; i < rest.length; i += sizes[k++ % sizes.length]) {
      log.ingest(rest.slice(i, i + sizes[k % sizes.length]).map((record) => record.bytes));
    }
    rest = rest.filter((record) => !log.get(record.id));
    if (log.records().length === before) break;
  }
}

test('(a) any order and any batching of the same entries gives the same log and order', () => {
  fc.assert(fc.property(fc.integer(), fc.integer(), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
    (historySeed, shuffleSeed, sizes) => {
      const { all, pool } = writeHistory(historySeed, 18);
      const pick = randomFrom(shuffleSeed);
      const shuffled = [...pool];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = pick(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const log = new RoomLog(room);
      ingestInBatches(log, shuffled, sizes);
      assert.deepEqual(snapshot(log), snapshot(all));
      assert.deepEqual(orderOf(log), orderOf(all));
    }), { numRuns: 30 });
});

// A log holding a random prefix of each author's entries of a history.
function partialLog({ all }, pick) {
  const log = new RoomLog(room);
  for (const { author, length } of all.heads()) log.ingest(all.range(author, 0, pick(length + 1)));
  return log;
}

const ATTACKS = ['forged bit', 'broken chain', 'gap', 'duplicate', 'replayed old entry', 'other room'];

test('(b) forged, unchained, early, duplicate and replayed entries leave the log unchanged', () => {
  const history = writeHistory(42);
  fc.assert(fc.property(fc.integer(), fc.constantFrom(...ATTACKS), fc.nat(), (seed, attack, choice) => {
    const pick = randomFrom(seed);
    const log = partialLog(history, pick);
    const writer = history.writers[choice % 3];
    const author = toBase64Url(writer.identity.publicKey);
    const held = history.pool.filter((record) => log.get(record.id));
    const length = log.length(author);
    let bytes;
    let expect;
    switch (attack) {
      case 'forged bit': {
        const original = history.pool[choice % history.pool.length].bytes;
        bytes = original.slice();
        bytes[pick(bytes.length)] ^= 1 << pick(8);
        expect = (result) => ['malformed', 'bad_signature'].includes(result.rejected[0]?.code);
        break;
      }
      case 'broken chain': {
        const body = utf8Encode(JSON.stringify({ type: 'message', ts: 1, clock: 1_000, text: 'x' }));
        bytes = handBuiltEntry({
          identity: writer.identity, seq: length, prev: new Uint8Array(32).fill(1 + pick(200)),
          bodyBytes: body, ...room,
        });
        expect = (result) => result.rejected[0]?.code === 'broken_chain';
        break;
      }
      case 'gap': {
        const early = history.pool.filter((record) => record.seq > log.length(record.author));
        if (early.length === 0) return;
        bytes = early[choice % early.length].bytes;
        expect = (result) => result.gaps.length === 1 && result.rejected.length === 0;
        break;
      }
      case 'duplicate':
      case 'replayed old entry': {
        const candidates = attack === 'duplicate'
          ? held.filter((record) => record.seq === log.length(record.author) - 1)
          : held.filter((record) => record.seq < log.length(record.author) - 1);
        if (candidates.length === 0) return;
        bytes = candidates[choice % candidates.length].bytes;
        expect = (result) => result.duplicates.length === 1 && result.rejected.length === 0;
        break;
      }
      case 'other room': {
        const prev = length === 0 ? null : fromBase64Url(log.headId(author), 32);
        bytes = createEntry({
          identity: writer.identity, seq: length, prev,
          body: { type: 'message', ts: 1, clock: log.maxClock() + 1, text: 'elsewhere' }, ...otherRoom,
        }).bytes;
        expect = (result) => result.rejected[0]?.code === 'bad_signature';
        break;
      }
    }
    const before = snapshot(log);
    const result = log.ingest([bytes]);
    assert.deepEqual(snapshot(log), before, attack);
    assert.equal(result.added.length, 0);
    assert.ok(expect(result), `${attack}: ${JSON.stringify({ ...result, forks: result.forks.length })}`);
  }), { numRuns: 150 });
});

const action = fc.oneof(
  fc.record({ write: fc.nat(2) }),
  fc.record({ steps: fc.integer({ min: 1, max: 8 }) }),
);

test('(c) two or three replicas writing in any interleaving end with the same history', () => {
  fc.assert(fc.property(
    fc.constantFrom('pair', 'line', 'triangle'), fc.integer(), fc.array(action, { maxLength: 30 }),
    (shape, seed, actions) => {
      const peers = ['a', 'b', 'c'].slice(0, shape === 'pair' ? 2 : 3).map((name) => new Peer(name, room));
      const network = new Network(randomFrom(seed));
      network.link(peers[0], peers[1]);
      if (shape !== 'pair') network.link(peers[1], peers[2]);
      if (shape === 'triangle') network.link(peers[2], peers[0]);
      let written = 0;
      for (const step of actions) {
        if ('write' in step) peers[step.write % peers.length].write(`w${written++}`);
        else for (let i = 0; i < step.steps; i++) network.step();
      }
      network.run();
      assertSameHistory(...peers);
      assert.equal(peers[0].log.records().length, written);
      network.assertEachEntryCrossedEachLinkAtMostOnce();
      for (const peer of peers) assert.deepEqual(peer.rejections, []);
    }), { numRuns: 100 });
});
