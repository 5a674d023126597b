import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitfield } from '../../static/app/files/bitfield.js';

test('set, has, clear and count', () => {
  const field = new Bitfield(10);
  assert.equal(field.bytes.length, 2);
  assert.equal(field.set(0), true);
  assert.equal(field.set(0), false);
  field.set(9);
  assert.deepEqual([...field.bytes], [1, 2]);
  assert.equal(field.count(), 2);
  assert.equal(field.has(9), true);
  assert.equal(field.has(8), false);
  assert.equal(field.clear(9), true);
  assert.equal(field.clear(9), false);
  assert.equal(field.count(), 1);
  assert.throws(() => field.has(10), RangeError);
  assert.throws(() => field.set(-1), RangeError);
});

test('complete and missing', () => {
  const field = new Bitfield(20);
  for (let i = 0; i < 20; i++) if (i !== 3 && i !== 17) field.set(i);
  assert.deepEqual([...field.missing()], [3, 17]);
  assert.deepEqual([...field.missing(4)], [17]);
  assert.equal(field.complete, false);
  field.set(3);
  field.set(17);
  assert.equal(field.complete, true);
  assert.deepEqual([...field.missing()], []);
  assert.equal(new Bitfield(0).complete, true);
});

test('saved bytes load back, and bits past the end are refused', () => {
  const saved = new Bitfield(12, new Uint8Array([0xff, 0b1010]));
  assert.equal(saved.count(), 10);
  assert.deepEqual([...saved.missing()], [8, 10]);
  assert.throws(() => new Bitfield(12, new Uint8Array([0, 0b10000])), RangeError);
  assert.throws(() => new Bitfield(12, new Uint8Array(1)), RangeError);
  const source = new Uint8Array([1, 0]);
  const copy = new Bitfield(12, source);
  copy.set(1);
  assert.equal(source[0], 1, 'the given bytes are copied');
});

test('ranges cover the whole field in have-sized pieces', () => {
  const field = new Bitfield(100);
  field.set(0);
  field.set(99);
  assert.deepEqual(field.ranges().map(({ first, bits }) => [first, bits.length]), [[0, 13]]);
  assert.deepEqual(field.ranges(5).map(({ first, bits }) => [first, bits.length]),
    [[0, 5], [40, 5], [80, 3]]);
  const big = new Bitfield(16384 * 8 + 1);
  assert.deepEqual(big.ranges().map(({ first, bits }) => [first, bits.length]), [[0, 16384], [131072, 1]]);
});

test('merge takes ranges at any offset', () => {
  const field = new Bitfield(30);
  field.merge(0, new Uint8Array([0b11]));
  field.merge(8, new Uint8Array([0b1, 0b10000000]));
  field.merge(3, new Uint8Array([0b101])); // unaligned: chunks 3 and 5
  field.merge(20, new Uint8Array([0b100000, 0])); // trailing clear byte past n is fine
  assert.deepEqual([...Array(30).keys()].filter((i) => field.has(i)), [0, 1, 3, 5, 8, 23, 25]);
  assert.equal(field.count(), 7);
  assert.throws(() => field.merge(24, new Uint8Array([0b1000000])), RangeError);
  assert.equal(field.count(), 7, 'a refused range changes nothing');
});

test('ranges merged into an empty field rebuild it (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }), fc.infiniteStream(fc.boolean()),
    (n, maxBytes, bits) => {
      const field = new Bitfield(n);
      for (let i = 0; i < n; i++) if (bits.next().value) field.set(i);
      const copy = new Bitfield(n);
      for (const { first, bits: range } of field.ranges(maxBytes)) copy.merge(first, range);
      assert.deepEqual(copy.bytes, field.bytes);
      assert.equal(copy.count(), field.count());
    }));
});
