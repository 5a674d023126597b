import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DATA_FRAME_TYPES, DataFrameError, encodeDataFrame, MAX_DATA_FRAME_BYTES, parseDataFrame,
} from '../../static/app/peers/data-frames.js';

const ID = 'x'.repeat(42) + 'w'; // 43 characters of canonical base64url (32 bytes)
const PROOF = 'A'.repeat(85) + 'g'; // 86 characters (64 bytes)
const head = (overrides = {}) => ({ author: ID, length: 1, head: ID, ...overrides });
const rejects = (frame, code = 'malformed') => assert.throws(
  () => parseDataFrame(typeof frame === 'string' ? frame : JSON.stringify(frame)),
  (e) => e instanceof DataFrameError && e.code === code,
);

test('each frame type round-trips', () => {
  const frames = [
    { t: 'hello', v: 1, name: 'Ada', proof: PROOF },
    { t: 'ack', ids: [ID] },
    { t: 'heads', heads: [head(), head({ length: 2 ** 53 - 1 })] },
    { t: 'heads', heads: [] },
    { t: 'want', author: ID, from: 0, to: 512 },
    { t: 'entries', entries: ['AQID', 'AQ'] },
    { t: 'typing', active: false },
    { t: 'bye', reason: 'duplicate' },
    { t: 'bye', reason: 'pruned' },
    { t: 'members', peers: [{ id: `${'A'.repeat(21)}w`, key: `${'B'.repeat(42)}4` }] },
  ];
  for (const frame of frames) assert.deepEqual(parseDataFrame(encodeDataFrame(frame)), frame);
  assert.deepEqual([...DATA_FRAME_TYPES], ['hello', 'ack', 'heads', 'want', 'entries', 'typing', 'call', 'call-media', 'sdp', 'ice', 'bye', 'members', 'wake', 'keep']);
});

test('bad frames are rejected with a code', () => {
  rejects('not json');
  rejects('[1]');
  rejects('null');
  rejects({ t: 'nope' }, 'unknown_type');
  rejects({ t: 'entry', entry: 'AQID' }, 'unknown_type');
  rejects({ t: 'toString' }, 'unknown_type');
  rejects({ t: 'hello', v: 2, name: 'x', proof: PROOF });
  rejects({ t: 'hello', v: 1, name: 'x'.repeat(65), proof: PROOF });
  rejects({ t: 'hello', v: 1, name: 'x', proof: PROOF, extra: 1 });
  rejects({ t: 'hello', v: 1, name: 'x' });
  rejects({ t: 'hello', v: 1, name: 'x', proof: `${PROOF.slice(0, 85)}B` });
  rejects({ t: 'ack', ids: [] });
  rejects({ t: 'ack', ids: Array(65).fill(ID) });
  rejects({ t: 'ack', ids: ['short'] });
  rejects({ t: 'ack', ids: ['x'.repeat(43)] }, 'malformed'); // spare bits set
  rejects({ t: 'entries', entries: ['A'.repeat(MAX_DATA_FRAME_BYTES)] }, 'too_large');
  assert.throws(() => parseDataFrame(new Uint8Array(3)), (e) => e.code === 'malformed');
});

test('display names count code points', () => {
  assert.ok(parseDataFrame(JSON.stringify({ t: 'hello', v: 1, name: '🎉'.repeat(64), proof: PROOF })));
});

test('replication frames keep the limits of §8', () => {
  rejects({ t: 'heads', heads: Array(257).fill(head()) });
  rejects({ t: 'heads', heads: [head({ length: 0 })] });
  rejects({ t: 'heads', heads: [head({ length: 1.5 })] });
  rejects({ t: 'heads', heads: [head({ length: 2 ** 53 })] });
  rejects({ t: 'heads', heads: [head({ head: 'short' })] });
  rejects({ t: 'heads', heads: [{ ...head(), extra: 1 }] });
  rejects({ t: 'heads', heads: [{ author: ID, length: 1 }] });
  rejects({ t: 'heads', heads: [null] });
  rejects({ t: 'want', author: ID, from: 5, to: 5 });
  rejects({ t: 'want', author: ID, from: 6, to: 5 });
  rejects({ t: 'want', author: ID, from: 0, to: 513 });
  rejects({ t: 'want', author: ID, from: -1, to: 1 });
  rejects({ t: 'want', author: ID, from: '0', to: 1 });
  rejects({ t: 'want', author: 'short', from: 0, to: 1 });
  rejects({ t: 'want', author: ID, to: 1 });
  rejects({ t: 'entries', entries: [] });
  rejects({ t: 'entries', entries: Array(65).fill('AQID') });
  rejects({ t: 'entries', entries: ['has spaces'] });
  rejects({ t: 'entries', entries: ['AQI='] });
  rejects({ t: 'entries', entries: ['AQIDB'] }); // 4k+1 characters never decode
  rejects({ t: 'entries', entries: [''] });
  rejects({ t: 'typing', active: 'yes' });
  rejects({ t: 'typing' });
  rejects({ t: 'bye', reason: 'bored' });
  rejects({ t: 'bye' });
});

test('encodeDataFrame refuses to send what a peer would reject', () => {
  assert.throws(() => encodeDataFrame({ t: 'hello', v: 1, name: 7, proof: PROOF }), DataFrameError);
  assert.throws(() => encodeDataFrame({ t: 'want', author: ID, from: 0, to: 600 }), DataFrameError);
});

test('a keep may say when a disappearing file goes (docs/protocol.md §7, §12)', () => {
  const keep = { t: 'keep', root: ID, size: 10, format: 2, expires: 1_800_000_000_000 };
  assert.deepEqual(parseDataFrame(encodeDataFrame(keep)), keep);
  for (const expires of [0, -1, 1.5, '1', 8_640_000_000_000_001, null]) rejects({ ...keep, expires });
});
