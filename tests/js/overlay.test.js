// peers/overlay.js: the degree policy of a room's links (issue 20).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Overlay, OVERLAY_DEGREE } from '../../static/app/peers/overlay.js';
import { seededRandom } from '../../bench/overlay-sim.mjs';

const ids = (n, from = 0) => Array.from({ length: n }, (_, i) => `m${from + i}`);
const degree = { target: 4, low: 3, high: 6 };

test('the default degree keeps low <= target <= high, and a wrong one is refused', () => {
  assert.ok(OVERLAY_DEGREE.low <= OVERLAY_DEGREE.target && OVERLAY_DEGREE.target <= OVERLAY_DEGREE.high);
  assert.throws(() => new Overlay({ degree: { target: 5, low: 6, high: 8 } }), RangeError);
});

test('a room no bigger than the high mark is a full mesh', () => {
  const overlay = new Overlay({ degree, random: seededRandom(1) });
  overlay.learn(ids(6));
  assert.deepEqual(overlay.plan().dial.sort(), ids(6).sort());
  overlay.learn(['m6']);
  assert.equal(overlay.plan().dial.length, degree.target, 'one more: back to the target');
});

test('a big room: dial up to the target under the low mark, nothing between the marks', () => {
  const overlay = new Overlay({ degree, random: seededRandom(2) });
  overlay.learn(ids(40));
  const { dial } = overlay.plan();
  assert.equal(new Set(dial).size, degree.target);
  for (const id of dial) overlay.dialling(id);
  assert.deepEqual(overlay.plan(), { dial: [], prune: [] }, 'links on their way count');
  for (const id of dial) overlay.linked(id);
  overlay.unlinked(dial[0]);
  assert.deepEqual(overlay.plan(), { dial: [], prune: [] }, 'at the low mark: nothing');
  overlay.unlinked(dial[1]);
  const again = overlay.plan().dial;
  assert.equal(again.length, 2, 'under the low mark: back to the target');
  assert.ok(again.every((id) => !overlay.links.has(id)));
});

test('links over the high mark are pruned down to the target', () => {
  const overlay = new Overlay({ degree, random: seededRandom(3) });
  overlay.learn(ids(40));
  for (const id of ids(8)) overlay.linked(id);
  const { prune, dial } = overlay.plan();
  assert.deepEqual(dial, []);
  assert.equal(prune.length, 8 - degree.target);
  assert.ok(prune.every((id) => overlay.links.has(id)));
});

test('a link offered at the high mark is made room for: ready links shed first, to one under the target', () => {
  const overlay = new Overlay({ degree, random: seededRandom(4) });
  overlay.learn(ids(40));
  for (const id of ids(5)) overlay.linked(id);
  assert.deepEqual(overlay.makeRoom('m30'), [], 'under the high mark: nothing to shed');
  overlay.dialling('m5');
  const shed = overlay.makeRoom('m31');
  assert.equal(shed.length, 6 - degree.target + 1);
  assert.ok(shed.every((id) => !overlay.links.has(id) && ids(5).includes(id)), 'ready links go first');
  assert.ok(overlay.pending.has('m5'));
  assert.equal(overlay.degreeNow + 1, degree.target, 'the offered link brings it to the target');
});

test('dials still on their way are shed when too few links are ready', () => {
  const overlay = new Overlay({ degree, random: seededRandom(7) });
  overlay.learn(ids(40));
  overlay.linked('m0');
  for (const id of ids(5, 1)) overlay.dialling(id);
  const shed = overlay.makeRoom('m30');
  assert.equal(shed.length, 3);
  assert.ok(shed.includes('m0'), 'the ready link first');
  assert.equal(overlay.degreeNow + 1, degree.target);
});

test('a member already linked or being dialled costs nothing when it dials in', () => {
  const overlay = new Overlay({ degree, random: seededRandom(8) });
  overlay.learn(ids(40));
  for (const id of ids(3)) overlay.linked(id);
  for (const id of ids(3, 3)) overlay.dialling(id);
  assert.deepEqual(overlay.makeRoom('m4'), [], 'both ends dialled: one link');
  assert.deepEqual(overlay.makeRoom('m1'), []);
  assert.equal(overlay.degreeNow, 6);
});

test('one that refused or left is no candidate', () => {
  const overlay = new Overlay({ degree, random: seededRandom(6) });
  overlay.learn(ids(40));
  overlay.refused('m5');
  overlay.forget('m6');
  for (let round = 0; round < 50; round += 1) {
    const { dial } = overlay.plan();
    assert.ok(!dial.includes('m5') && !dial.includes('m6'));
  }
});

test('what it remembers is bounded, never dropping a link', () => {
  const overlay = new Overlay({ degree, random: seededRandom(5) });
  for (const id of ids(4)) overlay.linked(id);
  overlay.learn(ids(5000, 4));
  assert.equal(overlay.known.size, 1024);
  for (const id of ids(4)) assert.ok(overlay.known.has(id));
});
