import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../../static/app/crypto/bytes.js';
import { FRESHNESS_PAST_MS, ReplayGuard } from '../../static/app/signaling/replay-guard.js';

const NOW = 1_700_000_000_000;
const identity = randomBytes(32);

test('a pair is remembered until its timestamp leaves the window, then forgotten', () => {
  const guard = new ReplayGuard();
  const nonce = randomBytes(16);
  guard.remember(identity, nonce, NOW, NOW);
  assert.ok(guard.has(identity, nonce, NOW, NOW + FRESHNESS_PAST_MS));
  assert.ok(!guard.has(randomBytes(32), nonce, NOW, NOW));
  assert.ok(!guard.has(identity, randomBytes(16), NOW, NOW));
  assert.equal(guard.has(identity, nonce, NOW, NOW + FRESHNESS_PAST_MS + 1), false);
  assert.equal(guard.size, 0);
});

test('memory stays bounded, and what it forgets still counts as a replay', () => {
  const guard = new ReplayGuard({ maxEntries: 3 });
  const nonces = Array.from({ length: 5 }, () => randomBytes(16));
  nonces.forEach((nonce, i) => guard.remember(identity, nonce, NOW + i, NOW + i));
  assert.equal(guard.size, 3);
  for (const [i, nonce] of nonces.entries()) assert.ok(guard.has(identity, nonce, NOW + i, NOW + 5));
  assert.ok(guard.has(identity, randomBytes(16), NOW + 1, NOW + 5)); // at the floor: refused
  assert.ok(!guard.has(identity, randomBytes(16), NOW + 2, NOW + 5));
});

test('a window shorter than the freshness window is refused', () => {
  assert.throws(() => new ReplayGuard({ windowMs: FRESHNESS_PAST_MS - 1 }), RangeError);
  assert.throws(() => new ReplayGuard({ maxEntries: 0 }), RangeError);
  assert.ok(new ReplayGuard({ windowMs: 150_000 }));
});
