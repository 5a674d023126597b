// Byte helpers for the wire formats of docs/protocol.md §1: base64url without padding,
// UTF-8, big-endian integers. Base64 goes through libsodium (strict, constant-time).
import { sodiumReady } from './sodium.js';

const sodium = await sodiumReady;
const BASE64URL = sodium.base64_variants.URLSAFE_NO_PADDING;

export class EncodingError extends Error {
  constructor(detail) {
    super(detail);
    this.name = 'EncodingError';
    this.code = 'malformed';
  }
}

export function toBase64Url(bytes) {
  return sodium.to_base64(bytes, BASE64URL);
}

// Rejects padding, other alphabets, whitespace and non-canonical trailing bits.
export function fromBase64Url(text, expectedLength) {
  if (typeof text !== 'string') throw new EncodingError('base64url value is not a string');
  if (expectedLength !== undefined && text.length !== Math.ceil((expectedLength * 4) / 3)) {
    throw new EncodingError(`expected base64url of ${expectedLength} bytes`);
  }
  let bytes;
  try {
    bytes = sodium.from_base64(text, BASE64URL);
  } catch {
    throw new EncodingError('invalid base64url');
  }
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new EncodingError(`expected base64url of ${expectedLength} bytes`);
  }
  return bytes;
}

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error; ignoreBOM: a BOM stays in the text (and so is not JSON).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text) {
  return encoder.encode(text);
}

export function utf8Decode(bytes) {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new EncodingError('invalid UTF-8');
  }
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// Constant time for inputs of equal length.
export function equalBytes(a, b) {
  return a.length === b.length && sodium.memcmp(a, b);
}

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
