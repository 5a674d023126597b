// peers/overlay.js: the degree policy of a room's links (issue 20).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Overlay, OVERLAY_DEGREE, overlayDegreeOf, slowestOf } from '../../static/app/peers/overlay.js';
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

test('a degree a server suggests is taken only if it is one', () => {
  assert.deepEqual(overlayDegreeOf({ target: 3, low: 2, high: 4 }), { target: 3, low: 2, high: 4 });
  assert.deepEqual(overlayDegreeOf({ target: 1, low: 1, high: 1 }), { target: 1, low: 1, high: 1 });
  for (const wrong of [
    null, undefined, 3, [3, 2, 4], {}, { target: 3, low: 2 }, { target: 3, low: 4, high: 5 },
    { target: 5, low: 2, high: 4 }, { target: 3, low: 0, high: 4 }, { target: 3, low: 2, high: 65 },
    { target: 3.5, low: 2, high: 4 }, { target: '3', low: 2, high: 4 },
  ]) assert.equal(overlayDegreeOf(wrong), null, JSON.stringify(wrong));
});

test('a new degree holds from the next plan on', () => {
  const overlay = new Overlay({ degree, random: seededRandom(9) });
  overlay.learn(ids(40));
  for (const id of overlay.plan().dial) overlay.linked(id);
  assert.equal(overlay.links.size, degree.target);
  overlay.setDegree({ target: 2, low: 1, high: 3 });
  const { prune } = overlay.plan();
  assert.equal(prune.length, degree.target - 2);
  assert.throws(() => overlay.setDegree({ target: 2, low: 3, high: 4 }), RangeError);
});

test('a lost link is replaced up to the target at the next plan; between the marks, nothing else', () => {
  const settled = (seed) => {
    const overlay = new Overlay({ degree, random: seededRandom(seed) });
    overlay.learn(ids(40));
    for (const id of overlay.plan().dial) overlay.linked(id);
    return overlay;
  };
  const turnedDown = settled(10);
  turnedDown.refused([...turnedDown.links][0]); // or pruned: within the marks, not replaced
  assert.deepEqual(turnedDown.plan(), { dial: [], prune: [] });

  const lost = settled(10);
  const [gone] = lost.links;
  lost.lost(gone);
  const { dial } = lost.plan();
  assert.equal(dial.length, 1);
  assert.ok(!lost.known.has(gone) && !dial.includes(gone));
  assert.deepEqual(lost.plan(), { dial: [], prune: [] }, 'one replacement per loss');
});

test('a shuffle swaps one link for a candidate in a big room, and does nothing in a small one', () => {
  const small = new Overlay({ degree, random: seededRandom(11) });
  small.learn(ids(degree.high));
  for (const id of small.plan().dial) small.linked(id);
  assert.deepEqual(small.shuffle(), { dial: [], prune: [] });

  const big = new Overlay({ degree, random: seededRandom(12) });
  big.learn(ids(40));
  for (const id of big.plan().dial) big.linked(id);
  const { dial, prune } = big.shuffle();
  assert.equal(dial.length, 1);
  assert.ok(!big.links.has(dial[0]));
  assert.equal(prune.length, 1);
  assert.ok(big.links.has(prune[0]));
  // Under the target it only dials.
  big.refused(prune[0]);
  big.refused([...big.links][0]);
  assert.equal(big.shuffle().prune.length, 0);
});

test('members who keep dialling in take the links others chose, not the ones this member chose', () => {
  const overlay = new Overlay({ degree, random: seededRandom(13) });
  overlay.learn(ids(40));
  const mine = overlay.plan().dial;
  for (const id of mine) {
    overlay.dialling(id, { ours: true });
    overlay.linked(id);
  }
  for (const id of ids(30, 100)) { // one dial-in after another, as a crowd of sybils would
    overlay.makeRoom(id);
    overlay.linked(id);
    assert.ok(overlay.degreeNow <= degree.high);
  }
  const kept = mine.filter((id) => overlay.links.has(id));
  assert.ok(kept.length >= degree.target - 1, `kept ${kept.length} of ${mine.length}`);
  assert.deepEqual([...overlay.chosen].sort(), [...kept].sort());
});

test('a busy link (a call) is never pruned, shed to make room or shuffled away', () => {
  const overlay = new Overlay({ degree: { target: 2, low: 1, high: 3 }, random: seededRandom(7) });
  overlay.learn(['a', 'b', 'c', 'd', 'e', 'f']);
  for (const id of ['a', 'b', 'c']) {
    overlay.dialling(id, { ours: true });
    overlay.linked(id);
  }
  for (const id of ['a', 'b', 'c']) overlay.setBusy(id, true);
  assert.deepEqual(overlay.makeRoom('d'), [], 'nothing to shed: every link is busy');
  overlay.linked('d');
  assert.deepEqual(overlay.plan().prune, ['d'], 'over the high mark, only the free link goes');
  overlay.unlinked('d');
  for (let i = 0; i < 20; i++) assert.deepEqual(overlay.shuffle().prune, []);
  overlay.setBusy('b', false);
  const pruned = new Set();
  for (let i = 0; i < 20; i++) pruned.add(...overlay.shuffle().prune);
  assert.deepEqual([...pruned], ['b']);
  overlay.unlinked('a');
  assert.equal(overlay.busy.has('a'), false, 'a closed link is busy no more');
});

test('a slow neighbour: far slower than the others\' median, and slow in itself', () => {
  const times = (entries) => new Map(Object.entries(entries));
  assert.equal(slowestOf(times({ a: 20, b: 30, c: 900 })), 'c');
  assert.equal(slowestOf(times({ a: 20, b: 30, c: 350 })), null, 'under 400 ms is not slow');
  assert.equal(slowestOf(times({ a: 300, b: 350, c: 800 })), null, 'not three times the others');
  assert.equal(slowestOf(times({ a: 20, c: 900 })), null, 'too few to compare');
  assert.equal(slowestOf(times({ a: 20, b: null, c: 25, d: 1200, e: 900 })), 'd', 'unknown ones aside');
});

test('the shuffle swaps a slow neighbour first, a busy one never', () => {
  const overlay = new Overlay({ degree: { target: 2, low: 1, high: 3 }, random: seededRandom(9) });
  overlay.learn(['a', 'b', 'c', 'd', 'e', 'f']);
  for (const id of ['a', 'b', 'c']) overlay.linked(id);
  for (let i = 0; i < 10; i++) assert.deepEqual(overlay.shuffle({ slow: 'b' }).prune, ['b']);
  overlay.setBusy('b', true);
  assert.notDeepEqual(overlay.shuffle({ slow: 'b' }).prune, ['b']);
});
