import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timeline } from '../../static/app/room/timeline.js';

const ZERO = 'A'.repeat(43);
const id = (n) => `id${String(n).padStart(41, '0')}`;
const entry = (author, seq, ts, prev = seq === 0 ? ZERO : id(seq - 1 + (author === 'bob' ? 100 : 0))) => ({
  id: id(seq + (author === 'bob' ? 100 : 0)), author, seq, prev, ts, text: `${author} ${seq}`,
});

test('a chain of entries is accepted in order and shown by time', () => {
  const timeline = new Timeline();
  for (const e of [entry('ada', 0, 10), entry('bob', 0, 5), entry('ada', 1, 20)]) {
    assert.equal(timeline.check(e), 'new');
    timeline.add({ ...e, prev: e.seq === 0 ? null : e.prev });
  }
  assert.deepEqual(timeline.messages().map((m) => m.text), ['bob 0', 'ada 0', 'ada 1']);
  assert.equal(timeline.nextSeq('ada'), 2);
  assert.equal(timeline.headId('ada'), id(1));
  assert.equal(timeline.nextSeq('cyd'), 0);
});

test('duplicates, forks and broken chains are told apart', () => {
  const timeline = new Timeline();
  const first = entry('ada', 0, 10);
  timeline.add(first);
  assert.equal(timeline.check(first), 'duplicate');
  assert.equal(timeline.check({ ...first, id: id(50) }), 'fork');
  assert.equal(timeline.check({ ...entry('ada', 1, 11), prev: id(77) }), 'broken_chain');
  assert.equal(timeline.check({ ...entry('cyd', 0, 11), id: id(60), prev: id(3) }), 'broken_chain');
  // an entry that the already known successor does not point back to
  timeline.add(entry('bob', 1, 30));
  assert.equal(timeline.check({ ...entry('bob', 0, 29), id: id(999) }), 'broken_chain');
  assert.equal(timeline.check(entry('bob', 0, 29)), 'new');
});

test('delivery is counted once per peer and never for the author', () => {
  const timeline = new Timeline();
  timeline.add(entry('ada', 0, 10));
  assert.equal(timeline.markDelivered(id(0), 'bob'), true);
  assert.equal(timeline.markDelivered(id(0), 'bob'), false);
  assert.equal(timeline.markDelivered(id(0), 'ada'), false);
  assert.equal(timeline.markDelivered(id(404), 'bob'), false);
  assert.equal(timeline.get(id(0)).deliveredTo.size, 1);
});

test('the same entries in any arrival order give the same display order', () => {
  const entries = [entry('ada', 0, 10), entry('bob', 0, 10), entry('ada', 1, 10), entry('bob', 1, 3)];
  const orders = new Set();
  for (const permutation of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]) {
    const timeline = new Timeline();
    for (const i of permutation) timeline.add(entries[i]);
    orders.add(timeline.messages().map((m) => m.id).join());
  }
  assert.equal(orders.size, 1);
});
