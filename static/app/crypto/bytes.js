// Byte helpers for the wire formats of docs/protocol.md §1: base64url without padding,
// UTF-8, big-endian integers. Base64 goes through libsodium (strict, constant-time).
//
// The encoders live in encoding.js, which has no top-level await so that the service
// worker can import them; this module waits for libsodium once, so every importer of
// bytes.js may call them right away.
import { sodiumReady } from './sodium.js';

export {
  concatBytes, EncodingError, equalBytes, fromBase64Url, toBase64Url, utf8Decode, utf8Encode,
} from './encoding.js';

const sodium = await sodiumReady;

// Lexicographic order: negative, zero or positive.
export function compareBytes(a, b) {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function viewOf(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function writeUint32(bytes, offset, value) {
  viewOf(bytes).setUint32(offset, value, false);
}

export function readUint32(bytes, offset) {
  return viewOf(bytes).getUint32(offset, false);
}

export function writeUint64(bytes, offset, value) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError('uint64 value must be a non-negative safe integer');
  }
  viewOf(bytes).setBigUint64(offset, BigInt(value), false);
}

// Returns a Number; values above Number.MAX_SAFE_INTEGER come back as Infinity so that
// range checks reject them instead of comparing a rounded value.
export function readUint64(bytes, offset) {
  const value = viewOf(bytes).getBigUint64(offset, false);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
}

export function randomBytes(length) {
  return sodium.randombytes_buf(length);
}
