import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import {
  CHUNK_SIZE, chunkCount, chunkRange, decryptChunk, encryptChunk, FileChunkError, leafHash,
  MAX_CHUNKS, MAX_FILE_SIZE, newFileKey,
} from '../../static/app/files/chunk-crypto.js';

const sodium = await sodiumReady;
const badChunk = (e) => e instanceof FileChunkError && e.code === 'bad_chunk';

function fileOf(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function chunkOf(file, index) {
  const { start, end } = chunkRange(file.length, index);
  return file.subarray(start, end);
}

test('chunk counts and ranges follow §11', () => {
  assert.equal(chunkCount(0), 1);
  assert.equal(chunkCount(1), 1);
  assert.equal(chunkCount(CHUNK_SIZE), 1);
  assert.equal(chunkCount(CHUNK_SIZE + 1), 2);
  assert.equal(chunkCount(MAX_FILE_SIZE), MAX_CHUNKS);
  assert.throws(() => chunkCount(MAX_FILE_SIZE + 1), (e) => e.code === 'too_large');
  assert.throws(() => chunkCount(-1), TypeError);
  assert.throws(() => chunkCount(1.5), TypeError);
  assert.deepEqual(chunkRange(0, 0), { start: 0, end: 0 });
  assert.deepEqual(chunkRange(CHUNK_SIZE + 5, 1), { start: CHUNK_SIZE, end: CHUNK_SIZE + 5 });
  assert.deepEqual(chunkRange(3 * CHUNK_SIZE, 2), { start: 2 * CHUNK_SIZE, end: 3 * CHUNK_SIZE });
  assert.throws(() => chunkRange(CHUNK_SIZE, 1), RangeError);
  assert.throws(() => chunkRange(CHUNK_SIZE, -1), RangeError);
});

test('every chunk round-trips, also the empty file and a short last chunk', () => {
  const key = newFileKey();
  for (const size of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 3]) {
    const file = fileOf(size);
    for (let i = 0; i < chunkCount(size); i++) {
      const ciphertext = encryptChunk(key, i, size, chunkOf(file, i));
      assert.equal(ciphertext.length, chunkOf(file, i).length + 16);
      assert.deepEqual(decryptChunk(key, i, size, ciphertext), chunkOf(file, i));
    }
  }
});

test('encryption is deterministic and matches the construction of §11', () => {
  const key = newFileKey();
  const size = CHUNK_SIZE + 10;
  const plaintext = chunkOf(fileOf(size), 1);
  const ciphertext = encryptChunk(key, 1, size, plaintext);
  assert.deepEqual(encryptChunk(key, 1, size, plaintext), ciphertext);
  const nonce = new Uint8Array(24);
  nonce[0] = 1;
  const ad = new Uint8Array([...new TextEncoder().encode('parley-chunk-v1'), 1, 0, 0, 0, 0, 0, 0, 0,
    10, 0, 2, 0, 0, 0, 0, 0]);
  assert.deepEqual(ciphertext, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key));
  const leaf = sodium.crypto_generichash(32, new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, ...ciphertext]), null);
  assert.deepEqual(leafHash(1, ciphertext), leaf);
  assert.notDeepEqual(encryptChunk(newFileKey(), 1, size, plaintext), ciphertext);
});

test('a wrong key, index or size, or any flipped bit is a bad chunk', () => {
  const key = newFileKey();
  const size = 3 * CHUNK_SIZE;
  const plaintext = chunkOf(fileOf(size), 1);
  const ciphertext = encryptChunk(key, 1, size, plaintext);
  assert.throws(() => decryptChunk(newFileKey(), 1, size, ciphertext), badChunk);
  assert.throws(() => decryptChunk(key, 0, size, ciphertext), badChunk);
  assert.throws(() => decryptChunk(key, 1, size + CHUNK_SIZE, ciphertext), badChunk);
  assert.throws(() => decryptChunk(key, 1, size, ciphertext.subarray(1)), badChunk);
  for (const at of [0, 1000, ciphertext.length - 17, ciphertext.length - 1]) {
    const damaged = ciphertext.slice();
    damaged[at] ^= 0x10;
    assert.throws(() => decryptChunk(key, 1, size, damaged), badChunk);
  }
  // The last chunk cannot pass as the last chunk of a file of another length.
  const shortSize = CHUNK_SIZE + 100;
  const last = encryptChunk(key, 1, shortSize, chunkOf(fileOf(shortSize), 1));
  assert.throws(() => decryptChunk(key, 1, shortSize + 1, last), badChunk);
});

test('leaves bind the index, and callers get clear errors for misuse', () => {
  const ciphertext = new Uint8Array(16);
  assert.notDeepEqual(leafHash(0, ciphertext), leafHash(1, ciphertext));
  assert.equal(leafHash(2 ** 24 - 1, ciphertext).length, 32);
  assert.throws(() => encryptChunk(new Uint8Array(31), 0, 0, new Uint8Array(0)), TypeError);
  assert.throws(() => encryptChunk(newFileKey(), 0, 10, new Uint8Array(9)), RangeError);
  assert.equal(newFileKey().length, 32);
  assert.notDeepEqual(newFileKey(), newFileKey());
});

test('the file modules load without top-level await, so a Worker can import them', async () => {
  const { readFile } = await import('node:fs/promises');
  for (const name of ['chunk-crypto', 'chunk-crypto-v2', 'chunk-formats', 'merkle', 'file-frames', 'bitfield', 'download-plan']) {
    const source = await readFile(new URL(`../../static/app/files/${name}.js`, import.meta.url), 'utf8');
    assert.doesNotMatch(source, /^(?:export )?(?:const|let|var)? ?[\w{}, ]*=? ?await /m, name);
    assert.doesNotMatch(source, /crypto\/bytes\.js/, `${name} imports bytes.js, which awaits libsodium`);
  }
});
