import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataFrameError, encodeDataFrame, MAX_DATA_FRAME_BYTES, parseDataFrame } from '../../static/app/peers/data-frames.js';

const ID = 'x'.repeat(43);
const rejects = (text, code) => assert.throws(() => parseDataFrame(text), (e) => e instanceof DataFrameError && e.code === code);

test('each frame type round-trips', () => {
  for (const frame of [{ t: 'hello', v: 1, name: 'Ada' }, { t: 'entry', entry: 'AQID' }, { t: 'ack', ids: [ID] }]) {
    assert.deepEqual(parseDataFrame(encodeDataFrame(frame)), frame);
  }
});

test('bad frames are rejected with a code', () => {
  rejects('not json', 'malformed');
  rejects('[1]', 'malformed');
  rejects('null', 'malformed');
  rejects(JSON.stringify({ t: 'nope' }), 'unknown_type');
  rejects(JSON.stringify({ t: 'hello', v: 2, name: 'x' }), 'malformed');
  rejects(JSON.stringify({ t: 'hello', v: 1, name: 'x'.repeat(65) }), 'malformed');
  rejects(JSON.stringify({ t: 'hello', v: 1, name: 'x', extra: 1 }), 'malformed');
  rejects(JSON.stringify({ t: 'entry', entry: 'has spaces' }), 'malformed');
  rejects(JSON.stringify({ t: 'ack', ids: [] }), 'malformed');
  rejects(JSON.stringify({ t: 'ack', ids: Array(65).fill(ID) }), 'malformed');
  rejects(JSON.stringify({ t: 'ack', ids: ['short'] }), 'malformed');
  rejects(JSON.stringify({ t: 'entry', entry: 'A'.repeat(MAX_DATA_FRAME_BYTES) }), 'too_large');
  assert.throws(() => parseDataFrame(new Uint8Array(3)), (e) => e.code === 'malformed');
});

test('encodeDataFrame refuses to send what a peer would reject', () => {
  assert.throws(() => encodeDataFrame({ t: 'hello', v: 1, name: 7 }), DataFrameError);
});
