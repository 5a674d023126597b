import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareBytes, concatBytes, equalBytes, fromBase64Url, randomBytes, readUint32, readUint64,
  toBase64Url, utf8Decode, utf8Encode, writeUint32, writeUint64,
} from '../../static/app/crypto/bytes.js';

test('base64url agrees with node\'s own encoder for every length up to 64', () => {
  for (let length = 0; length <= 64; length++) {
    const bytes = randomBytes(length);
    const encoded = Buffer.from(bytes).toString('base64url');
    assert.equal(toBase64Url(bytes), encoded);
    assert.deepEqual(fromBase64Url(encoded, length), bytes);
  }
  assert.equal(toBase64Url(new Uint8Array(32)).length, 43);
  assert.equal(toBase64Url(new Uint8Array(16)).length, 22);
});

test('base64url decoding rejects padding, other alphabets, stray bits and wrong lengths', () => {
  for (const bad of ['AA==', 'AA=', '+A', '/A', 'A A', 'AA\n', 'A', 'AB', 'AAB', 'é', 42, null]) {
    assert.throws(() => fromBase64Url(bad), { code: 'malformed' }, JSON.stringify(bad));
  }
  assert.throws(() => fromBase64Url('AAAA', 2), { code: 'malformed' });
  assert.deepEqual(fromBase64Url('AAAA', 3), new Uint8Array(3));
});

test('UTF-8 decoding is strict and keeps a byte order mark', () => {
  assert.equal(utf8Decode(utf8Encode('héllo 🎉')), 'héllo 🎉');
  assert.equal(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)), '\ufeffA');
  for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80]]) {
    assert.throws(() => utf8Decode(Uint8Array.from(bad)), { code: 'malformed' });
  }
});

test('concatenation, equality and lexicographic order', () => {
  assert.deepEqual(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)), Uint8Array.of(1, 2, 3));
  assert.ok(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
  assert.ok(!equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
  assert.ok(!equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0)));
  assert.ok(compareBytes(Uint8Array.of(1, 255), Uint8Array.of(2, 0)) < 0);
  assert.ok(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9)) > 0);
  assert.ok(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0);
  assert.equal(compareBytes(Uint8Array.of(7), Uint8Array.of(7)), 0);
});

test('integers are big-endian; 64-bit values past 2^53 - 1 read as Infinity', () => {
  const bytes = new Uint8Array(12);
  writeUint32(bytes, 0, 0x01020304);
  writeUint64(bytes, 4, 2 ** 40 + 5);
  assert.deepEqual([...bytes], [1, 2, 3, 4, 0, 0, 1, 0, 0, 0, 0, 5]);
  assert.equal(readUint32(bytes, 0), 0x01020304);
  assert.equal(readUint64(bytes, 4), 2 ** 40 + 5);
  writeUint64(bytes, 4, Number.MAX_SAFE_INTEGER);
  assert.equal(readUint64(bytes, 4), Number.MAX_SAFE_INTEGER);
  bytes.fill(0xff, 4);
  assert.equal(readUint64(bytes, 4), Infinity);
  assert.throws(() => writeUint64(bytes, 4, -1), RangeError);
  assert.throws(() => writeUint64(bytes, 4, 2 ** 53), RangeError);
  assert.equal(readUint32(utf8Encode('xABCD').subarray(1), 0), 0x41424344);
});
