import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitfield } from '../../static/app/files/bitfield.js';
import { DownloadPlan } from '../../static/app/files/download-plan.js';

// A peer that holds every chunk of an n-chunk file.
function holdsAll(plan, peerId) {
  const all = new Bitfield(plan.count);
  for (let i = 0; i < plan.count; i++) all.set(i);
  for (const { first, bits } of all.ranges()) plan.peerHas(peerId, first, bits);
}

const indicesOf = (runs) => runs.flatMap(({ first, count }) => Array.from({ length: count }, (_, k) => first + k));

test('one peer gets runs in index order, at most perPeer in flight', () => {
  const plan = new DownloadPlan({ count: 100, held: new Bitfield(100) });
  holdsAll(plan, 'a');
  assert.deepEqual(plan.next('a'), [{ first: 0, count: 16 }]);
  assert.deepEqual(plan.next('a'), []);
  assert.equal(plan.inFlight('a'), 16);
  plan.received('a', 3);
  assert.deepEqual(plan.next('a'), [{ first: 16, count: 1 }]);
  assert.deepEqual(plan.next('nobody'), []);
});

test('runs break at chunks held, in flight or missing at the peer, and at 64', () => {
  const held = new Bitfield(200);
  held.set(2);
  const plan = new DownloadPlan({ count: 200, held, perPeer: 100 });
  plan.peerHas('a', 0, new Uint8Array([0b11011111, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.deepEqual(plan.next('a'), [{ first: 0, count: 2 }, { first: 3, count: 2 }, { first: 6, count: 64 }, { first: 70, count: 32 }]);
});

test('two peers never get the same chunk', () => {
  const plan = new DownloadPlan({ count: 40, held: new Bitfield(40) });
  holdsAll(plan, 'a');
  holdsAll(plan, 'b');
  assert.deepEqual(plan.next('a'), [{ first: 0, count: 16 }]);
  assert.deepEqual(plan.next('b'), [{ first: 16, count: 16 }]);
  assert.deepEqual(plan.next('a'), []);
  for (let i = 0; i < 16; i++) plan.received('a', i);
  assert.deepEqual(plan.next('a'), [{ first: 32, count: 8 }]);
  assert.equal(plan.isWanted('b', 20), true);
  assert.equal(plan.isWanted('a', 20), false);
});

test('a peer that goes away gives its chunks back', () => {
  const plan = new DownloadPlan({ count: 20, held: new Bitfield(20) });
  holdsAll(plan, 'a');
  holdsAll(plan, 'b');
  plan.next('a');
  plan.next('b');
  plan.peerGone('a');
  assert.equal(plan.inFlight('a'), 0);
  for (let i = 16; i < 20; i++) plan.received('b', i);
  assert.deepEqual(plan.next('b'), [{ first: 0, count: 16 }]);
  assert.deepEqual(plan.next('a'), [], 'a gone peer is asked nothing');
});

test('a rejected chunk goes to another peer, and only back to the same one if none has it', () => {
  const plan = new DownloadPlan({ count: 4, held: new Bitfield(4) });
  holdsAll(plan, 'a');
  plan.next('a');
  assert.equal(plan.rejected('a', 1), false);
  assert.deepEqual(plan.next('a'), [{ first: 1, count: 1 }], 'no other peer has it');
  plan.rejected('a', 1);
  holdsAll(plan, 'b');
  assert.deepEqual(plan.next('a'), []);
  assert.deepEqual(plan.next('b'), [{ first: 1, count: 1 }]);
  assert.equal(plan.stats.inFlight, 4);
});

test('a peer with too many bad chunks is banned and its chunks go back', () => {
  const plan = new DownloadPlan({ count: 40, held: new Bitfield(40), maxBadChunksPerPeer: 4 });
  holdsAll(plan, 'a');
  holdsAll(plan, 'b');
  plan.next('a');
  assert.deepEqual([plan.rejected('a', 0), plan.rejected('a', 1), plan.rejected('a', 2)], [false, false, false]);
  assert.equal(plan.isBanned('a'), false);
  assert.equal(plan.rejected('a', 3), true);
  assert.equal(plan.isBanned('a'), true);
  assert.equal(plan.inFlight('a'), 0);
  assert.deepEqual(plan.next('a'), []);
  assert.deepEqual(plan.next('b'), [{ first: 0, count: 16 }]);
  plan.peerGone('a');
  holdsAll(plan, 'a');
  assert.deepEqual(plan.next('a'), [], 'still banned after reconnecting');
});

test('lack clears the chunk at that peer only', () => {
  const plan = new DownloadPlan({ count: 3, held: new Bitfield(3) });
  holdsAll(plan, 'a');
  plan.next('a');
  plan.lacked('a', 1);
  plan.received('a', 0);
  plan.received('a', 2);
  assert.deepEqual(plan.next('a'), []);
  holdsAll(plan, 'b');
  assert.deepEqual(plan.next('b'), [{ first: 1, count: 1 }]);
});

test('given-back chunks are asked again, held chunks never, duplicates are counted', () => {
  const held = new Bitfield(10);
  for (const i of [0, 1, 2, 5]) held.set(i);
  const plan = new DownloadPlan({ count: 10, held });
  holdsAll(plan, 'a');
  assert.deepEqual(plan.next('a'), [{ first: 3, count: 2 }, { first: 6, count: 4 }]);
  plan.giveBack('a', 4);
  assert.deepEqual(plan.next('a'), [{ first: 4, count: 1 }]);
  for (const i of [3, 4, 6, 7, 8]) assert.equal(plan.received('a', i), true);
  assert.equal(plan.received('a', 3), false);
  assert.equal(plan.received('b', 0), false);
  assert.deepEqual(plan.stats, { held: 9, inFlight: 1, duplicates: 2 });
  assert.equal(plan.done, false);
  plan.received('a', 9);
  assert.equal(plan.done, true);
  assert.deepEqual(plan.next('a'), []);
  assert.equal(held.count(), 10, 'the plan keeps the given bitfield up to date');
});

test('a resumed download asks nothing it already holds', () => {
  const held = new Bitfield(1000);
  for (let i = 0; i < 1000; i += 2) held.set(i);
  const plan = new DownloadPlan({ count: 1000, held, perPeer: 1000 });
  holdsAll(plan, 'a');
  const asked = indicesOf(plan.next('a'));
  assert.equal(asked.length, 500);
  assert.ok(asked.every((i) => i % 2 === 1));
});

test('random events keep every rule (property)', () => {
  const peers = ['a', 'b', 'c'];
  const event = fc.record({
    kind: fc.constantFrom('has', 'next', 'received', 'rejected', 'lacked', 'gone', 'giveBack'),
    peer: fc.constantFrom(...peers),
    index: fc.nat(59),
    bits: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  });
  fc.assert(fc.property(fc.array(event, { maxLength: 200 }), (events) => {
    const plan = new DownloadPlan({ count: 60, held: new Bitfield(60), perPeer: 5, maxBadChunksPerPeer: 3 });
    const peerHas = Object.fromEntries(peers.map((p) => [p, new Set()]));
    const heldSoFar = new Set();
    for (const { kind, peer, index, bits } of events) {
      const inFlight = plan.inFlightChunks(peer);
      const target = inFlight.length ? inFlight[index % inFlight.length] : index;
      if (kind === 'has') {
        const first = index - (index % 8);
        const range = bits.slice(0, Math.ceil((60 - first) / 8));
        if (first + 8 * range.length > 60) range[range.length - 1] &= (1 << ((60 - first) % 8)) - 1;
        plan.peerHas(peer, first, range);
        range.forEach((byte, j) => { for (let k = 0; k < 8; k++) if (byte & (1 << k)) peerHas[peer].add(first + 8 * j + k); });
      } else if (kind === 'next') {
        for (const i of indicesOf(plan.next(peer))) {
          assert.ok(!heldSoFar.has(i), 'asked for a held chunk');
          assert.ok(peerHas[peer].has(i), 'asked a peer for a chunk it does not have');
          assert.ok(!plan.isBanned(peer));
        }
      } else if (kind === 'received' && inFlight.length) {
        plan.received(peer, target);
        heldSoFar.add(target);
      } else if (kind === 'rejected' && inFlight.length) plan.rejected(peer, target);
      else if (kind === 'lacked' && inFlight.length) {
        plan.lacked(peer, target);
        peerHas[peer].delete(target);
      } else if (kind === 'gone') {
        plan.peerGone(peer);
        peerHas[peer].clear();
      } else if (kind === 'giveBack' && inFlight.length) plan.giveBack(peer, target);
      const owners = new Map();
      for (const p of peers) {
        assert.ok(plan.inFlight(p) <= 5);
        for (const i of plan.inFlightChunks(p)) {
          assert.ok(!owners.has(i), `chunk ${i} in flight at two peers`);
          owners.set(i, p);
        }
      }
      assert.equal(plan.stats.inFlight, owners.size);
      assert.equal(plan.stats.held, heldSoFar.size);
    }
  }), { numRuns: 300 });
});
