// Read receipts (room/read-receipts.js) with the real room state and mock timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadReceipts, readCount } from '../../static/app/room/read-receipts.js';

const view = (messages, readUpTo = []) => ({ messages, readUpTo: new Map(readUpTo) });
const msg = (author, clock) => ({ author, clock });

function receipts(t, state, enabled = () => true) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const written = [];
  const r = new ReadReceipts({ enabled, state: () => state, write: async (body) => written.push(body), delayMs: 3000 });
  return { r, written };
}

test('one receipt for a burst of reading, up to the newest message of someone else', (t) => {
  const state = { view: view([msg('bob', 1), msg('bob', 2), msg('me', 3)]), selfId: 'me', lastReadClock: 3, canWrite: true };
  const { r, written } = receipts(t, state);
  r.afterRead();
  r.afterRead();
  t.mock.timers.tick(2999);
  assert.deepEqual(written, []);
  t.mock.timers.tick(1);
  assert.deepEqual(written, [{ type: 'read', upTo: 2 }]);
});

test('no receipt when turned off, when it says nothing new, or while this device may not write', (t) => {
  const base = { view: view([msg('bob', 4)]), selfId: 'me', lastReadClock: 4, canWrite: true };
  for (const [state, enabled] of [
    [base, () => false],
    [{ ...base, view: view([msg('bob', 4)], [['me', 4]]) }, () => true],
    [{ ...base, view: view([msg('me', 4)]) }, () => true],
    [{ ...base, canWrite: false }, () => true],
    [{ ...base, bigRoom: true }, () => true], // every member's receipts would reach every member
  ]) {
    const { r, written } = receipts(t, state, enabled);
    r.afterRead();
    t.mock.timers.tick(3000);
    assert.deepEqual(written, []);
    t.mock.timers.reset();
  }
});

test('a message counts as read by the members whose receipts reach its clock', () => {
  const v = view([], [['me', 9], ['bob', 5], ['cy', 4]]);
  assert.equal(readCount(v, 'me', { clock: 5 }), 1);
  assert.equal(readCount(v, 'me', { clock: 4 }), 2);
  assert.equal(readCount(v, 'me', { clock: 6 }), 0);
});
