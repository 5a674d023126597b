import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deriveRoomKeys, newRoomSecret, ROOM_KEY_CONTEXTS } from '../../static/app/crypto/room-keys.js';

// Computed with Python's hashlib.blake2b from the formula in docs/protocol.md §2
// (tests/interop/test_interop.py recomputes it).
const vectors = JSON.parse(readFileSync(new URL('../interop/vectors.json', import.meta.url)));
const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('room keys match the fixed vector', () => {
  const { secret, ...expected } = vectors.roomKeys;
  const keys = deriveRoomKeys(Uint8Array.from(Buffer.from(secret, 'hex')));
  assert.deepEqual(Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, hex(key)])), expected);
});

test('each key has its own 8-byte context and the keys differ', () => {
  assert.deepEqual(Object.values(ROOM_KEY_CONTEXTS), ['prldisco', 'prlmsgky', 'prlmembr', 'prlmirro']);
  const keys = Object.values(deriveRoomKeys(newRoomSecret()));
  assert.equal(new Set(keys.map(hex)).size, 4);
  for (const key of keys) assert.equal(key.length, 32);
});

test('a secret that is not 32 bytes is refused', () => {
  assert.throws(() => deriveRoomKeys(new Uint8Array(31)), TypeError);
  assert.throws(() => deriveRoomKeys('secret'), TypeError);
  assert.equal(newRoomSecret().length, 32);
});
