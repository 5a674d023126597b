// Chunk format 2 (docs/protocol.md §11): AES-256-GCM and SHA-256 through WebCrypto. Same
// shape as format 1 (files/chunk-crypto.js: one key per file, the chunk index as the
// nonce, the index and the file's size as additional data, prefixed leaf and node
// hashes), other primitives: the browser runs them as native code on the CPU's AES and
// SHA instructions, where format 1's XChaCha20-Poly1305 and BLAKE2b run in WebAssembly.
// PyNaCl's crypto_aead_aes256gcm_* and crypto_hash_sha256 are the same functions byte
// for byte.
//
// WebCrypto is asynchronous: seal, open and leafHash return promises. parentHash (65
// bytes in, computed millions of times for a big tree) stays synchronous, in libsodium.
//
// No top-level await (a Worker may import this): call after `sodiumReady` resolved.
import { sodium } from '../crypto/sodium.js';
import { utf8Encode } from '../crypto/encoding.js';
import {
  CHUNK_SIZE, chunkAdditionalData, chunkLength, chunkNonce, FILE_KEY_BYTES, FileChunkError, HASH_BYTES, TAG_BYTES,
  writeUint64LE,
} from './chunk-crypto.js';

const AD_CONTEXT = utf8Encode('parley-chunk-v2');
const NONCE_BYTES = 12;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const LEAF_HEADER_BYTES = 9; // prefix byte ‖ u64le(index)

function params(index, size) {
  return {
    name: 'AES-GCM', iv: chunkNonce(index, NONCE_BYTES), additionalData: chunkAdditionalData(AD_CONTEXT, index, size),
    tagLength: 8 * TAG_BYTES,
  };
}

// The file key as a WebCrypto key, made once per file: { seal, open } of its chunks.
export function chunkCipher(key) {
  if (!(key instanceof Uint8Array) || key.length !== FILE_KEY_BYTES) {
    throw new TypeError(`key must be ${FILE_KEY_BYTES} bytes`);
  }
  return crypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']).then((cryptoKey) => ({
    // plaintext must be exactly chunk `index` of a file of `size` bytes.
    async seal(index, size, plaintext) {
      if (!(plaintext instanceof Uint8Array) || plaintext.length !== chunkLength(size, index)) {
        throw new RangeError(`chunk ${index} of a ${size}-byte file has another length`);
      }
      return new Uint8Array(await crypto.subtle.encrypt(params(index, size), cryptoKey, plaintext));
    },
    async open(index, size, ciphertext) {
      const expected = chunkLength(size, index) + TAG_BYTES;
      if (!(ciphertext instanceof Uint8Array) || ciphertext.length !== expected) {
        throw new FileChunkError('bad_chunk', 'ciphertext length');
      }
      try {
        return new Uint8Array(await crypto.subtle.decrypt(params(index, size), cryptoKey, ciphertext));
      } catch {
        throw new FileChunkError('bad_chunk', 'does not decrypt');
      }
    },
  }));
}

// digest() takes one buffer, so a leaf's header and ciphertext are put together here. It
// copies its input before it returns (WebCrypto: "a copy of the bytes held by data"), so
// one buffer serves every leaf, rather than a new 128 KiB of garbage per chunk.
let leafInput = new Uint8Array(LEAF_HEADER_BYTES + CHUNK_SIZE + TAG_BYTES);

// SHA-256(0x00 ‖ u64le(index) ‖ ciphertext).
export async function leafHash(index, ciphertext) {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('index must be a safe integer >= 0');
  const length = LEAF_HEADER_BYTES + ciphertext.length;
  if (length > leafInput.length) leafInput = new Uint8Array(length);
  leafInput[0] = LEAF_PREFIX;
  writeUint64LE(leafInput, 1, index);
  leafInput.set(ciphertext, LEAF_HEADER_BYTES);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', leafInput.subarray(0, length)));
}

const parentInput = new Uint8Array(1 + 2 * HASH_BYTES);
parentInput[0] = NODE_PREFIX;

// SHA-256(0x01 ‖ left ‖ right).
export function parentHash(left, right) {
  parentInput.set(left, 1);
  parentInput.set(right, 1 + HASH_BYTES);
  return sodium.crypto_hash_sha256(parentInput);
}
