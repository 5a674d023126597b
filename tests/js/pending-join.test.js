import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PendingJoin } from '../../static/app/room/pending-join.js';

test('the join is due after the wait, re-armed by each batch, and taken once', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let written = 0;
  const join = new PendingJoin(() => { written += 1; });
  join.wait(10_000);
  t.mock.timers.tick(9_000);
  join.wait(300); // a batch of history arrived
  t.mock.timers.tick(299);
  assert.equal(written, 0);
  join.wait(300); // another one
  t.mock.timers.tick(300);
  assert.equal(written, 1);
  t.mock.timers.tick(60_000);
  assert.equal(written, 1);
  assert.equal(join.take(), false, 'nothing left to take');
});

test('batches that keep coming do not hold the join back past the first wait', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let written = 0;
  const join = new PendingJoin(() => { written += 1; });
  join.wait(10_000);
  for (let i = 0; i < 60; i++) {
    t.mock.timers.tick(200);
    if (join.pending) join.wait(300); // as RoomSession does for each batch
  }
  assert.equal(written, 1, 'due at 10 s although a batch came every 0.2 s');
});

test('an own entry first takes the join, and the timer then writes nothing', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let written = 0;
  const join = new PendingJoin(() => { written += 1; });
  join.wait(10_000);
  assert.equal(join.take(), true);
  t.mock.timers.tick(10_000);
  assert.equal(written, 0);
});
