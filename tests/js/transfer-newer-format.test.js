// An offer in a later version's chunk format (docs/protocol.md §11): kept, shown as such,
// never fetched; once this device runs a version that knows the format, it can be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/encoding.js';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { CHUNK_SIZE } from '../../static/app/files/chunk-crypto.js';
import { Transfer } from '../../static/app/files/transfer.js';

await sodiumReady;

const offer = (format) => ({
  name: 'later.bin', mime: '', chunk: CHUNK_SIZE, size: 5 * CHUNK_SIZE,
  root: toBase64Url(new Uint8Array(32).fill(7)), key: toBase64Url(new Uint8Array(32).fill(9)),
  ...(format === undefined ? {} : { format }),
});

test('a later format is failed for good as newer_format, and start() fetches nothing', () => {
  const t = Transfer.fromOffer({ offer: offer(3), topic: 'topic' });
  assert.equal(t.state, 'failed');
  assert.equal(t.reason, 'newer_format');
  assert.equal(t.start(), null);
  assert.equal(t.state, 'failed', 'still failed: nothing was asked for');
});

test('a record saved as newer_format is offered again once the format is known', () => {
  const record = structuredClone(Transfer.fromOffer({ offer: offer(3), topic: 'topic' }).toRecord());
  const known = Transfer.fromOffer({ offer: offer(2), record, topic: 'topic' });
  assert.equal(known.state, 'offered');
  assert.equal(known.reason, null);
  assert.equal(known.start(), 'begin');
});
