import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FramePacer } from '../../static/app/signaling/pacer.js';

function clock() {
  let now = 0;
  const timers = [];
  return {
    now: () => now,
    schedule: (fn, ms) => { timers.push({ at: now + ms, fn }); return timers.length; },
    advance(ms) {
      now += ms;
      for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
        if (timer.at <= now) timer.fn(); else timers.push(timer);
      }
    },
  };
}

test('a burst beyond the bucket is delayed, in order, not dropped', () => {
  const c = clock();
  const sent = [];
  const pacer = new FramePacer({ ratePerSecond: 10, burst: 10, send: (f) => sent.push(f), now: c.now, schedule: c.schedule });
  for (let i = 0; i < 20; i++) pacer.push(i);
  assert.equal(sent.length, 9, 'the bucket keeps a 10% margin under the server');
  assert.equal(pacer.pending, 11);
  for (let t = 0; t < 30 && pacer.pending; t++) c.advance(200);
  assert.deepEqual(sent, [...Array(20).keys()]);
});

test('the sending rate stays under the server rate', () => {
  const c = clock();
  let sent = 0;
  const pacer = new FramePacer({ ratePerSecond: 20, burst: 100, send: () => sent++, now: c.now, schedule: c.schedule });
  for (let i = 0; i < 500; i++) pacer.push(i);
  const first = sent;
  c.advance(10_000);
  for (let t = 0; t < 200; t++) c.advance(50);
  assert.equal(first, 90);
  assert.ok(sent - first <= 0.9 * 20 * 20 + 1, `sent ${sent - first} in 20 s`);
});

test('reset drops what was waiting', () => {
  const c = clock();
  const sent = [];
  const pacer = new FramePacer({ ratePerSecond: 1, burst: 1, send: (f) => sent.push(f), now: c.now, schedule: c.schedule });
  pacer.push('a');
  pacer.push('b');
  pacer.reset();
  c.advance(5000);
  assert.deepEqual(sent, ['a']);
});
