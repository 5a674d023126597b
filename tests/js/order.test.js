// Room order (docs/protocol.md §8): clock, then author key bytes, then seq.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareBytes, toBase64Url } from '../../static/app/crypto/bytes.js';
import { compareAuthors, compareEntries, orderEntries } from '../../static/app/room/order.js';

const key = (...first) => toBase64Url(Uint8Array.from({ length: 32 }, (_, i) => first[i] ?? 0));
const sign = (n) => Math.sign(n);

test('authors compare as key bytes, not as base64url text', () => {
  // 0xf8 encodes as '-' (62) and 0xfc as '_' (63); 0x00 as 'A', 0xd0 as '0' (52).
  const low = key(0x00);
  const digit = key(0xd0);
  const dash = key(0xf8);
  const underscore = key(0xfc);
  assert.ok(dash < low && digit < low, 'as text, "-" and digits sort before letters');
  assert.ok(compareAuthors(low, digit) < 0);
  assert.ok(compareAuthors(digit, dash) < 0);
  assert.ok(compareAuthors(dash, underscore) < 0);
  assert.equal(compareAuthors(dash, dash), 0);
});

test('clock first, then author bytes, then seq', () => {
  const [a, b] = [key(0x00), key(0xfc)];
  const entries = [
    { id: 'b2', clock: 2, author: b, seq: 1 },
    { id: 'a3', clock: 3, author: a, seq: 1 },
    { id: 'b1', clock: 1, author: b, seq: 0 },
    { id: 'a2', clock: 2, author: a, seq: 0 },
    { id: 'a2bis', clock: 2, author: a, seq: 5 },
  ];
  assert.deepEqual(orderEntries(entries).map((e) => e.id), ['b1', 'a2', 'a2bis', 'b2', 'a3']);
  assert.ok(compareEntries(entries[3], entries[0]) < 0, 'a before b at the same clock');
  assert.ok(compareEntries(entries[2], entries[3]) < 0, 'a lower clock wins over author');
  assert.equal(orderEntries([]).length, 0);
  assert.equal(entries[0].id, 'b2', 'the input is not reordered');
});

test('orderEntries agrees with compareEntries and with byte order for any authors', () => {
  const record = fc.record({
    clock: fc.integer({ min: 1, max: 4 }),
    author: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toBase64Url),
    seq: fc.nat({ max: 3 }),
  });
  fc.assert(fc.property(fc.array(record, { maxLength: 30 }), (records) => {
    const ordered = orderEntries(records);
    for (let i = 1; i < ordered.length; i++) assert.ok(compareEntries(ordered[i - 1], ordered[i]) <= 0);
    assert.deepEqual([...ordered].sort(compareEntries), ordered);
  }), { numRuns: 100 });
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }),
    (x, y) => assert.equal(sign(compareAuthors(toBase64Url(x), toBase64Url(y))), sign(compareBytes(x, y))),
  ), { numRuns: 200 });
});
