// File chunks and their encryption (docs/protocol.md §11): a file is cut into chunks of
// CHUNK_SIZE bytes, each sealed under a key made for this file only. The nonce is the
// chunk index, so the encryption is deterministic: every holder of the plaintext makes
// the same ciphertext, and so the same Merkle leaves and root.
//
// This module has what both chunk formats share (sizes, ranges) and format 1:
// XChaCha20-Poly1305 and BLAKE2b in libsodium. Format 2 is files/chunk-crypto-v2.js;
// files/chunk-formats.js gives either behind one interface.
//
// No top-level await (a Worker may import this): call after `sodiumReady` resolved.
import { sodium } from '../crypto/sodium.js';
import { utf8Encode } from '../crypto/encoding.js';

export const CHUNK_SIZE = 131072;
export const MAX_CHUNKS = 2 ** 24;
// The largest file that still fits in MAX_CHUNKS chunks (2 TiB).
export const MAX_FILE_SIZE = CHUNK_SIZE * MAX_CHUNKS;
export const FILE_KEY_BYTES = 32;
export const HASH_BYTES = 32;
export const TAG_BYTES = 16;

const AD_CONTEXT = utf8Encode('parley-chunk-v1');
const NONCE_BYTES = 24;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export class FileChunkError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'FileChunkError';
    this.code = code;
  }
}

// Little-endian u64 of a safe integer; two u32 halves because BigInt is slow per chunk.
export function writeUint64LE(bytes, offset, value) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(offset, value % 2 ** 32, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}

function requireSize(size) {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new TypeError('size must be a safe integer >= 0');
  }
  if (size > MAX_FILE_SIZE) throw new FileChunkError('too_large', `more than ${MAX_CHUNKS} chunks`);
}

function requireKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== FILE_KEY_BYTES) {
    throw new TypeError(`key must be ${FILE_KEY_BYTES} bytes`);
  }
}

// n = max(1, ceil(size / S)): an empty file is one empty chunk, so it still has a root.
export function chunkCount(size) {
  requireSize(size);
  return Math.max(1, Math.ceil(size / CHUNK_SIZE));
}

export function chunkRange(size, index) {
  const count = chunkCount(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`chunk index must be 0..${count - 1}`);
  }
  const start = index * CHUNK_SIZE;
  return { start, end: Math.min(size, start + CHUNK_SIZE) };
}

export function chunkLength(size, index) {
  const { start, end } = chunkRange(size, index);
  return end - start;
}

// Both formats: the nonce is u64le(index) padded with zeros to the format's length.
export function chunkNonce(index, length) {
  const nonce = new Uint8Array(length);
  writeUint64LE(nonce, 0, index);
  return nonce;
}

// Both formats: binds each ciphertext to its position and to the file's length, so chunks
// cannot be swapped, and a last chunk cannot pass as a shorter file.
export function chunkAdditionalData(context, index, size) {
  const ad = new Uint8Array(context.length + 16);
  ad.set(context);
  writeUint64LE(ad, context.length, index);
  writeUint64LE(ad, context.length + 8, size);
  return ad;
}

const nonceOf = (index) => chunkNonce(index, NONCE_BYTES);
const additionalData = (index, size) => chunkAdditionalData(AD_CONTEXT, index, size);

export function newFileKey() {
  return sodium.randombytes_buf(FILE_KEY_BYTES);
}

// plaintext must be exactly chunk `index` of a file of `size` bytes.
export function encryptChunk(key, index, size, plaintext) {
  requireKey(key);
  if (!(plaintext instanceof Uint8Array) || plaintext.length !== chunkLength(size, index)) {
    throw new RangeError(`chunk ${index} of a ${size}-byte file has another length`);
  }
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, additionalData(index, size), null, nonceOf(index), key);
}

export function decryptChunk(key, index, size, ciphertext) {
  requireKey(key);
  const expected = chunkLength(size, index) + TAG_BYTES;
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length !== expected) {
    throw new FileChunkError('bad_chunk', 'ciphertext length');
  }
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, ciphertext, additionalData(index, size), nonceOf(index), key);
  } catch {
    throw new FileChunkError('bad_chunk', 'does not decrypt');
  }
}

// BLAKE2b-256(0x00 ‖ u64le(index) ‖ ciphertext): the prefix byte keeps leaves and inner
// nodes (prefix 0x01) apart, the index ties each leaf to its place. Hashed in parts so
// the 128 KiB ciphertext is not copied into a concatenation first.
export function leafHash(index, ciphertext) {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('index must be a safe integer >= 0');
  const prefix = new Uint8Array(9);
  prefix[0] = LEAF_PREFIX;
  writeUint64LE(prefix, 1, index);
  const state = sodium.crypto_generichash_init(null, HASH_BYTES);
  sodium.crypto_generichash_update(state, prefix);
  sodium.crypto_generichash_update(state, ciphertext);
  return sodium.crypto_generichash_final(state, HASH_BYTES);
}

// One reusable input buffer: parents are hashed millions of times for big files, and
// libsodium.js copies its input into the WebAssembly heap anyway.
const parentInput = new Uint8Array(1 + 2 * HASH_BYTES);
parentInput[0] = NODE_PREFIX;

// BLAKE2b-256(0x01 ‖ left ‖ right): an inner node of the Merkle tree (files/merkle.js).
export function parentHash(left, right) {
  parentInput.set(left, 1);
  parentInput.set(right, 1 + HASH_BYTES);
  return sodium.crypto_generichash(HASH_BYTES, parentInput, null);
}
