// The two chunk formats of a file offer (docs/protocol.md §11) behind one interface, so
// the file engine does not care which one an offer uses. An offer without `format` is
// format 1 (XChaCha20-Poly1305, BLAKE2b: files/chunk-crypto.js); `format: 2` is
// AES-256-GCM and SHA-256 (files/chunk-crypto-v2.js). New offers use NEW_FILE_FORMAT.
//
//   const format = chunkFormat(offer.format ?? 1)
//   const cipher = await format.cipher(key)     { seal(index, size, plaintext), open(…) }
//   await format.leafHash(index, ciphertext); format.parentHash(left, right)   (sync)
//
// seal, open and leafHash return promises for both formats (format 1 computes at once).
import { isFileFormat } from '../room/entry-body.js';
import * as v1 from './chunk-crypto.js';
import * as v2 from './chunk-crypto-v2.js';

// Format 1 still: a client that predates format 2 rejects an offer with `format` as
// malformed, counts it against the peer that sent it (enough of them close the link) and
// keeps none of that author's later entries. This version reads, checks and serves both;
// a later one offers format 2, once the clients before this one are gone (protocol §11).
export const NEW_FILE_FORMAT = 1;

export const FORMAT_V1 = Object.freeze({
  version: 1,
  async cipher(key) {
    if (!(key instanceof Uint8Array) || key.length !== v1.FILE_KEY_BYTES) {
      throw new TypeError(`key must be ${v1.FILE_KEY_BYTES} bytes`);
    }
    return {
      seal: async (index, size, plaintext) => v1.encryptChunk(key, index, size, plaintext),
      open: async (index, size, ciphertext) => v1.decryptChunk(key, index, size, ciphertext),
    };
  },
  leafHash: async (index, ciphertext) => v1.leafHash(index, ciphertext),
  parentHash: v1.parentHash,
});

export const FORMAT_V2 = Object.freeze({
  version: 2,
  cipher: v2.chunkCipher,
  leafHash: v2.leafHash,
  parentHash: v2.parentHash,
});

const FORMATS = new Map([[1, FORMAT_V1], [2, FORMAT_V2]]);

export const FILE_FORMATS = Object.freeze([...FORMATS.keys()]);

export function chunkFormat(version) {
  const format = FORMATS.get(version);
  if (format) return format;
  // One an entry may name but this version does not know is a later version's.
  throw new v1.FileChunkError(isFileFormat(version) ? 'newer_format' : 'malformed', `no chunk format ${version} in this version`);
}

// The format an offer names: `format` absent is format 1.
export function formatOf(offer) {
  return chunkFormat(offer.format ?? 1);
}

// Whether this version can fetch, check and serve the offer's chunks: an entry may name a
// later version's format (docs/protocol.md §11), which is kept and shown, not fetched.
export function knowsFormat(offer) {
  return FORMATS.has(offer.format ?? 1);
}
