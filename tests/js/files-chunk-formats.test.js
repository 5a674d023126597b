import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { CHUNK_SIZE, chunkCount, chunkRange, FileChunkError } from '../../static/app/files/chunk-crypto.js';
import {
  chunkFormat, FILE_FORMATS, FORMAT_V1, FORMAT_V2, formatOf, knowsFormat, NEW_FILE_FORMAT,
} from '../../static/app/files/chunk-formats.js';
import { checkedLeaf, MerkleTree, PartialTree } from '../../static/app/files/merkle.js';

await sodiumReady;

// Made with PyNaCl and Python's hashlib from the formulas of docs/protocol.md §11
// (tests/interop/test_interop.py recomputes them); here WebCrypto must agree.
const { fileChunks: vector } = JSON.parse(readFileSync(new URL('../interop/vectors.json', import.meta.url)));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const badChunk = (e) => e instanceof FileChunkError && e.code === 'bad_chunk';

function vectorFile() {
  const data = new Uint8Array(vector.size);
  for (let i = 0; i < data.length; i++) data[i] = (7 * i + 3) & 0xff;
  return data;
}

async function sealAll(format, key, data) {
  const cipher = await format.cipher(key);
  return Promise.all(Array.from({ length: chunkCount(data.length) }, (_, i) => {
    const { start, end } = chunkRange(data.length, i);
    return cipher.seal(i, data.length, data.subarray(start, end));
  }));
}

test('formats: 1 when an offer names none, 2, and a later version\'s is named as such', () => {
  assert.deepEqual([...FILE_FORMATS], [1, 2]);
  assert.equal(NEW_FILE_FORMAT, 1, 'format 2 is read everywhere first, offered later');
  assert.equal(formatOf({}), FORMAT_V1);
  assert.equal(formatOf({ format: 2 }), FORMAT_V2);
  assert.equal(chunkFormat(2).version, 2);
  for (const version of [0, '2', null, 256]) {
    assert.throws(() => chunkFormat(version), (e) => e instanceof FileChunkError && e.code === 'malformed');
  }
  for (const version of [3, 255]) {
    assert.throws(() => chunkFormat(version), (e) => e instanceof FileChunkError && e.code === 'newer_format');
  }
  assert.equal(knowsFormat({}), true);
  assert.equal(knowsFormat({ format: 2 }), true);
  assert.equal(knowsFormat({ format: 3 }), false);
});

for (const format of [FORMAT_V1, FORMAT_V2]) {
  const expected = vector[`format${format.version}`];

  test(`format ${format.version}: ciphertexts, leaves and root match the vector`, async () => {
    const ciphertexts = await sealAll(format, fromHex(vector.key), vectorFile());
    assert.deepEqual(ciphertexts.map(sha256), expected.ciphertextSha256);
    assert.equal(hex(ciphertexts.at(-1)), expected.lastCiphertext);
    const leaves = await Promise.all(ciphertexts.map((c, i) => format.leafHash(i, c)));
    assert.deepEqual(leaves.map(hex), expected.leaves);
    assert.equal(hex(MerkleTree.fromLeaves(leaves, format).root), expected.root);
  });

  test(`format ${format.version}: chunks open, and damage, another place or size, or key does not`, async () => {
    const key = fromHex(vector.key);
    const data = vectorFile();
    const ciphertexts = await sealAll(format, key, data);
    const cipher = await format.cipher(key);
    assert.deepEqual(await cipher.open(1, data.length, ciphertexts[1]), data.subarray(CHUNK_SIZE));
    const flipped = ciphertexts[1].slice();
    flipped[3] ^= 1;
    await assert.rejects(cipher.open(1, data.length, flipped), badChunk);
    const lastChunkAsFirst = new Uint8Array(CHUNK_SIZE + 16);
    await assert.rejects(cipher.open(0, data.length, lastChunkAsFirst), badChunk);
    await assert.rejects(cipher.open(1, data.length + 1, ciphertexts[1]), badChunk);
    await assert.rejects(cipher.open(1, data.length, ciphertexts[1].subarray(1)), badChunk);
    const other = await format.cipher(new Uint8Array(32).fill(9));
    await assert.rejects(other.open(1, data.length, ciphertexts[1]), badChunk);
    await assert.rejects(cipher.seal(1, data.length, data.subarray(CHUNK_SIZE + 1)), RangeError);
    await assert.rejects(async () => format.cipher(new Uint8Array(31)), TypeError);
  });

  test(`format ${format.version}: a chunk verifies against the root only with its own proof and index`, async () => {
    const data = vectorFile();
    const ciphertexts = await sealAll(format, fromHex(vector.key), data);
    const leaves = await Promise.all(ciphertexts.map((c, i) => format.leafHash(i, c)));
    const tree = MerkleTree.fromLeaves(leaves, format);
    const check = (changes) => checkedLeaf({
      root: tree.root, index: 0, ciphertext: ciphertexts[0], proof: tree.proof(0), count: 2, format, ...changes,
    });
    assert.deepEqual(await check({}), leaves[0]);
    assert.equal(await check({ index: 1 }), null);
    assert.equal(await check({ ciphertext: ciphertexts[1] }), null);
    assert.equal(await check({ proof: [] }), null);
    assert.equal(await check({ index: 2 }), null);
    const partial = new PartialTree(2, tree.root, format);
    partial.add(0, leaves[0], tree.proof(0));
    const restored = PartialTree.fromBytes(partial.toBytes(), 2, tree.root, format);
    assert.deepEqual(restored.proof(0), tree.proof(0));
  });
}

test('a chunk of one format neither opens nor verifies as the other', async () => {
  const key = fromHex(vector.key);
  const data = vectorFile();
  const [v1, v2] = await Promise.all([sealAll(FORMAT_V1, key, data), sealAll(FORMAT_V2, key, data)]);
  await assert.rejects((await FORMAT_V2.cipher(key)).open(1, data.length, v1[1]), badChunk);
  await assert.rejects((await FORMAT_V1.cipher(key)).open(1, data.length, v2[1]), badChunk);
  const root = fromHex(vector.format2.root);
  const proof = [fromHex(vector.format2.leaves[1])];
  assert.ok(await checkedLeaf({ root, index: 0, ciphertext: v2[0], proof, count: 2, format: FORMAT_V2 }));
  assert.equal(await checkedLeaf({ root, index: 0, ciphertext: v2[0], proof, count: 2, format: FORMAT_V1 }), null);
  // A saved tree is checked with its format's hash: one of the other format is damage.
  const partial = new PartialTree(2, root, FORMAT_V2);
  partial.add(0, fromHex(vector.format2.leaves[0]), proof);
  assert.throws(() => PartialTree.fromBytes(partial.toBytes(), 2, root, FORMAT_V1), (e) => e.code === 'malformed');
});

test('format 2 leaves of any length: one shared input buffer does not leak between leaves', async () => {
  const long = new Uint8Array(CHUNK_SIZE + 16).fill(7);
  const short = new Uint8Array(20).fill(7);
  const [a, b] = await Promise.all([FORMAT_V2.leafHash(3, long), FORMAT_V2.leafHash(3, short)]);
  const header = new Uint8Array(9);
  header[1] = 3;
  assert.equal(hex(a), sha256(Buffer.concat([header, long])));
  assert.equal(hex(b), sha256(Buffer.concat([header, short])));
  const beyond = new Uint8Array(CHUNK_SIZE + 100).fill(1);
  assert.equal(hex(await FORMAT_V2.leafHash(0, beyond)), sha256(Buffer.concat([new Uint8Array(9), beyond])));
});
