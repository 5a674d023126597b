import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkFrameChunks, encodeFileFrame, FILE_CHANNEL, FILE_FRAME_TYPES, FileFrameError,
  MAX_CHUNK_CIPHERTEXT, MAX_FILE_FRAME_BYTES, parseFileFrame,
} from '../../static/app/files/file-frames.js';

const ROOT = new Uint8Array(32).fill(0xab);
const node = (value) => new Uint8Array(32).fill(value);
const malformed = (e) => e instanceof FileFrameError && e.code === 'malformed';
const rejects = (bytes) => assert.throws(() => parseFileFrame(new Uint8Array(bytes)), malformed);
const head = (type) => [type, ...ROOT];

const FRAMES = [
  { type: 'have?', root: ROOT },
  { type: 'have', root: ROOT, first: 0, bits: new Uint8Array([0b1011]) },
  { type: 'have', root: ROOT, first: 2 ** 32 - 1, bits: new Uint8Array(16384).fill(0xff) },
  { type: 'want', root: ROOT, first: 7, count: 1 },
  { type: 'want', root: ROOT, first: 2 ** 24 - 64, count: 64 },
  { type: 'chunk', root: ROOT, index: 5, proof: [node(1), node(2), node(3)], ciphertext: new Uint8Array(16).fill(9) },
  { type: 'chunk', root: ROOT, index: 0, proof: [], ciphertext: new Uint8Array(MAX_CHUNK_CIPHERTEXT) },
  { type: 'chunk', root: ROOT, index: 2 ** 24 - 1, proof: Array.from({ length: 24 }, (_, k) => node(k)),
    ciphertext: new Uint8Array(MAX_CHUNK_CIPHERTEXT).fill(1) },
  { type: 'lack', root: ROOT, index: 3 },
  { type: 'cancel', root: ROOT },
];

test('constants and every frame type round-trip', () => {
  assert.equal(FILE_CHANNEL, 'parley-file');
  assert.equal(MAX_FILE_FRAME_BYTES, 262144);
  assert.deepEqual(FILE_FRAME_TYPES, ['have?', 'have', 'want', 'chunk', 'lack', 'cancel']);
  for (const frame of FRAMES) assert.deepEqual(parseFileFrame(encodeFileFrame(frame)), frame);
});

test('the bytes are those of the table in §11', () => {
  assert.deepEqual([...encodeFileFrame(FRAMES[0])], head(1));
  assert.deepEqual([...encodeFileFrame(FRAMES[1])], [...head(2), 0, 0, 0, 0, 0b1011]);
  assert.deepEqual([...encodeFileFrame({ type: 'want', root: ROOT, first: 0x01020304, count: 0x40 })],
    [...head(3), 4, 3, 2, 1, 0x40, 0]);
  assert.deepEqual([...encodeFileFrame({ type: 'chunk', root: ROOT, index: 258, proof: [node(7)], ciphertext: node(9).subarray(0, 16) })],
    [...head(4), 2, 1, 0, 0, 1, ...node(7), ...node(9).subarray(0, 16)]);
  assert.deepEqual([...encodeFileFrame(FRAMES[8])], [...head(5), 3, 0, 0, 0]);
  assert.deepEqual([...encodeFileFrame(FRAMES[9])], head(6));
});

test('a parsed chunk is a view of the message, not a copy', () => {
  const bytes = encodeFileFrame(FRAMES[5]);
  const { ciphertext, proof } = parseFileFrame(bytes);
  assert.equal(ciphertext.buffer, bytes.buffer);
  assert.equal(proof[0].buffer, bytes.buffer);
  assert.equal(ciphertext.byteOffset, 1 + 32 + 4 + 1 + 3 * 32);
});

test('every malformed length or type is rejected', () => {
  rejects([]);
  rejects([1]);
  rejects(head(1).slice(0, 32));
  for (const type of [0, 7, 255]) rejects(head(type));
  rejects([...head(1), 0]);
  rejects([...head(6), 0]);
  rejects([...head(2), 0, 0, 0, 0]); // empty bitfield
  rejects([...head(2), 0, 0, 0]);
  rejects([...head(2), 0, 0, 0, 0, ...new Uint8Array(16385)]);
  rejects([...head(3), 0, 0, 0, 0, 1]);
  rejects([...head(3), 0, 0, 0, 0, 1, 0, 0]);
  rejects([...head(3), 0, 0, 0, 0, 0, 0]); // count 0
  rejects([...head(3), 0, 0, 0, 0, 65, 0]); // count 65
  rejects([...head(5), 0, 0, 0]);
  rejects([...head(5), 0, 0, 0, 0, 0]);
  rejects([...head(4), 0, 0, 0, 0]); // no proof length
  rejects([...head(4), 0, 0, 0, 0, 0, ...new Uint8Array(15)]); // ciphertext too short
  rejects([...head(4), 0, 0, 0, 0, 1, ...new Uint8Array(32 + 15)]); // proof eats the ciphertext
  rejects([...head(4), 0, 0, 0, 0, 25, ...new Uint8Array(25 * 32 + 16)]); // proof too long
  rejects([...head(4), 0, 0, 0, 0, 0, ...new Uint8Array(MAX_CHUNK_CIPHERTEXT + 1)]);
  rejects(new Uint8Array(MAX_FILE_FRAME_BYTES + 1).fill(2, 0, 1));
  assert.throws(() => parseFileFrame('x'), malformed);
});

test('the encoder refuses what the parser would refuse', () => {
  const refuses = (frame) => assert.throws(() => encodeFileFrame(frame), malformed);
  refuses({ type: 'nope', root: ROOT });
  refuses({ type: 'have?', root: ROOT.subarray(1) });
  refuses({ type: 'have', root: ROOT, first: 0, bits: new Uint8Array(0) });
  refuses({ type: 'have', root: ROOT, first: -1, bits: new Uint8Array(1) });
  refuses({ type: 'want', root: ROOT, first: 0, count: 65 });
  refuses({ type: 'want', root: ROOT, first: 2 ** 32, count: 1 });
  refuses({ type: 'chunk', root: ROOT, index: 0, proof: [node(1).subarray(1)], ciphertext: new Uint8Array(16) });
  refuses({ type: 'chunk', root: ROOT, index: 0, proof: Array(25).fill(node(1)), ciphertext: new Uint8Array(16) });
  refuses({ type: 'chunk', root: ROOT, index: 0, proof: [], ciphertext: new Uint8Array(15) });
  refuses({ type: 'lack', root: ROOT, index: 1.5 });
  refuses(null);
});

test('chunks past the end of the file are malformed once n is known', () => {
  const ok = (frame, n) => assert.equal(checkFrameChunks(frame, n), frame);
  const bad = (frame, n) => assert.throws(() => checkFrameChunks(frame, n), malformed);
  ok({ type: 'have', first: 0, bits: new Uint8Array([0b111, 0]) }, 3);
  bad({ type: 'have', first: 0, bits: new Uint8Array([0b1111]) }, 3);
  bad({ type: 'have', first: 3, bits: new Uint8Array([0]) }, 3);
  ok({ type: 'have', first: 8, bits: new Uint8Array([0, 0b10]) }, 18);
  bad({ type: 'have', first: 8, bits: new Uint8Array([0, 0b100]) }, 18);
  ok({ type: 'want', first: 0, count: 3 }, 3);
  bad({ type: 'want', first: 1, count: 3 }, 3);
  ok({ type: 'chunk', index: 2 }, 3);
  bad({ type: 'chunk', index: 3 }, 3);
  bad({ type: 'lack', index: 3 }, 3);
  ok({ type: 'cancel' }, 1);
});

test('any message either parses and re-encodes to itself, or is malformed (property)', () => {
  const messages = fc.oneof(
    fc.uint8Array({ maxLength: 120 }),
    fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 2000 })).map(([type, root, rest]) => new Uint8Array([type, ...root, ...rest])),
  );
  fc.assert(fc.property(messages, (bytes) => {
    let frame;
    try {
      frame = parseFileFrame(bytes);
    } catch (error) {
      assert.ok(malformed(error));
      return;
    }
    assert.deepEqual(encodeFileFrame(frame), bytes);
  }), { numRuns: 2000 });
});
