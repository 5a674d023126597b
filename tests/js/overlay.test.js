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

test('a link offered at the high mark is made room for: links shed to one under the target', () => {
  const overlay = new Overlay({ degree, random: seededRandom(4) });
  overlay.learn(ids(40));
  for (const id of ids(5)) overlay.linked(id);
  assert.deepEqual(overlay.makeRoom(), [], 'under the high mark: nothing to shed');
  overlay.dialling('m5');
  const shed = overlay.makeRoom();
  assert.equal(shed.length, 6 - degree.target + 1);
  assert.ok(shed.every((id) => !overlay.links.has(id) && ids(5).includes(id)), 'only ready links are shed');
  assert.equal(overlay.degreeNow + 1, degree.target, 'the offered link brings it to the target');
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
