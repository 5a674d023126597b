// base64url, UTF-8 and byte helpers of docs/protocol.md §1, without top-level await:
// a module service worker may not use it (Chromium refuses to start one that does), and
// the service worker opens wakes with these. Callers must have awaited `sodiumReady`
// before the first call; importers of crypto/bytes.js get that for free.
import { sodium } from './sodium.js';

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

