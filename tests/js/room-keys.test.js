import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  deriveFoundedRoomKeys, deriveRoomKeys, foundedRoomSecret, newRoomSecret, ROOM_KEY_CONTEXTS,
} from '../../static/app/crypto/room-keys.js';

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
  assert.deepEqual(Object.values(ROOM_KEY_CONTEXTS), ['prldisco', 'prlmsgky', 'prlmembr', 'prlmirro', 'prlcntrl']);
  const keys = Object.values(deriveRoomKeys(newRoomSecret()));
  assert.equal(new Set(keys.map(hex)).size, 5);
  for (const key of keys) assert.equal(key.length, 32);
});

test('a secret that is not 32 bytes is refused', () => {
  assert.throws(() => deriveRoomKeys(new Uint8Array(31)), TypeError);
  assert.throws(() => deriveRoomKeys('secret'), TypeError);
  assert.equal(newRoomSecret().length, 32);
});

test('a founded room\'s secret binds its founder (the vector, and another founder gives another room)', () => {
  const { inviteSecret, founder, secret } = vectors.foundedRoom;
  const invite = Uint8Array.from(Buffer.from(inviteSecret, 'hex'));
  const founderKey = Uint8Array.from(Buffer.from(founder, 'hex'));
  assert.equal(hex(foundedRoomSecret(invite, founderKey)), secret);
  // Its topic is a hash of the founder and a commitment; every other key comes from the
  // bound secret.
  const keys = deriveFoundedRoomKeys(invite, founderKey);
  assert.equal(hex(keys.commitment), vectors.foundedRoom.commitment);
  assert.equal(hex(keys.discoveryKey), vectors.foundedRoom.discoveryKey);
  assert.equal(hex(keys.messageKey), hex(deriveRoomKeys(foundedRoomSecret(invite, founderKey)).messageKey));
  const other = founderKey.slice();
  other[0] ^= 1;
  assert.notEqual(hex(foundedRoomSecret(invite, other)), secret);
  assert.throws(() => foundedRoomSecret(invite, new Uint8Array(31)), TypeError);
  assert.throws(() => foundedRoomSecret(new Uint8Array(31), founderKey), TypeError);
});
