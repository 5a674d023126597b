// Binary messages of the `parley-file` data channel (docs/protocol.md §11). Parsing is
// strict: a message whose length does not match its type exactly is malformed, so a
// peer cannot smuggle bytes past a check. A parsed `chunk` keeps views into the message
// (no copy of the 128 KiB ciphertext); copy what you keep.
//
// Byte 0 is the type, bytes 1..33 the file's Merkle root; integers are little-endian.
import { lastSetBit, MAX_HAVE_BITS_BYTES } from './bitfield.js';
import { CHUNK_SIZE, HASH_BYTES, TAG_BYTES } from './chunk-crypto.js';

export const FILE_CHANNEL = 'parley-file';
export const MAX_FILE_FRAME_BYTES = 262144;
export const MAX_WANT_COUNT = 64;
export const MAX_PROOF_NODES = 24;
export const MIN_CHUNK_CIPHERTEXT = TAG_BYTES;
export const MAX_CHUNK_CIPHERTEXT = CHUNK_SIZE + TAG_BYTES;

const TYPE_CODES = Object.freeze({ 'have?': 1, have: 2, want: 3, chunk: 4, lack: 5, cancel: 6 });
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE_CODES).map(([name, code]) => [code, name]));
export const FILE_FRAME_TYPES = Object.freeze(Object.keys(TYPE_CODES));

const ROOT_AT = 1;
const BODY_AT = ROOT_AT + HASH_BYTES; // 33: what follows the root
const HAVE_BITS_AT = BODY_AT + 4;
const WANT_BYTES = BODY_AT + 4 + 2;
const LACK_BYTES = BODY_AT + 4;
const PROOF_LENGTH_AT = BODY_AT + 4;
const PROOF_AT = PROOF_LENGTH_AT + 1;

export class FileFrameError extends Error {
  constructor(detail) {
    super(`malformed: ${detail}`);
    this.name = 'FileFrameError';
    this.code = 'malformed';
  }
}

function viewOf(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isUint32(value) {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

function requireFrame(condition, detail) {
  if (!condition) throw new FileFrameError(detail);
}

// The fields after the root, by type: their byte length and how to write them.
function bodyOf(frame) {
  switch (frame.type) {
    case 'have?':
    case 'cancel':
      return { length: 0, write() {} };
    case 'have': {
      const { first, bits } = frame;
      requireFrame(isUint32(first), 'first');
      requireFrame(bits instanceof Uint8Array && bits.length >= 1 && bits.length <= MAX_HAVE_BITS_BYTES, 'bitfield length');
      return {
        length: 4 + bits.length,
        write(view, out) {
          view.setUint32(BODY_AT, first, true);
          out.set(bits, HAVE_BITS_AT);
        },
      };
    }
    case 'want': {
      const { first, count } = frame;
      requireFrame(isUint32(first), 'first');
      requireFrame(Number.isInteger(count) && count >= 1 && count <= MAX_WANT_COUNT, 'count');
      return {
        length: 6,
        write(view) {
          view.setUint32(BODY_AT, first, true);
          view.setUint16(BODY_AT + 4, count, true);
        },
      };
    }
    case 'chunk': {
      const { index, proof, ciphertext } = frame;
      requireFrame(isUint32(index), 'index');
      requireFrame(Array.isArray(proof) && proof.length <= MAX_PROOF_NODES, 'proof length');
      requireFrame(proof.every((node) => node instanceof Uint8Array && node.length === HASH_BYTES), 'proof node');
      requireFrame(ciphertext instanceof Uint8Array && ciphertext.length >= MIN_CHUNK_CIPHERTEXT
        && ciphertext.length <= MAX_CHUNK_CIPHERTEXT, 'ciphertext length');
      return {
        length: 4 + 1 + proof.length * HASH_BYTES + ciphertext.length,
        write(view, out) {
          view.setUint32(BODY_AT, index, true);
          out[PROOF_LENGTH_AT] = proof.length;
          proof.forEach((node, k) => out.set(node, PROOF_AT + k * HASH_BYTES));
          out.set(ciphertext, PROOF_AT + proof.length * HASH_BYTES);
        },
      };
    }
    case 'lack': {
      const { index } = frame;
      requireFrame(isUint32(index), 'index');
      return { length: 4, write(view) { view.setUint32(BODY_AT, index, true); } };
    }
    default:
      throw new FileFrameError('unknown type');
  }
}

export function encodeFileFrame(frame) {
  const body = bodyOf(frame ?? {});
  requireFrame(frame.root instanceof Uint8Array && frame.root.length === HASH_BYTES, 'root');
  const out = new Uint8Array(BODY_AT + body.length);
  out[0] = TYPE_CODES[frame.type];
  out.set(frame.root, ROOT_AT);
  body.write(viewOf(out), out);
  return out;
}

export function parseFileFrame(bytes) {
  requireFrame(bytes instanceof Uint8Array, 'not bytes');
  requireFrame(bytes.length <= MAX_FILE_FRAME_BYTES, 'too large');
  requireFrame(bytes.length >= BODY_AT, 'too short');
  const type = TYPE_NAMES[bytes[0]];
  requireFrame(type !== undefined, 'unknown type');
  const view = viewOf(bytes);
  const root = bytes.slice(ROOT_AT, BODY_AT);
  switch (type) {
    case 'have?':
    case 'cancel':
      requireFrame(bytes.length === BODY_AT, `${type} length`);
      return { type, root };
    case 'have': {
      const bitsLength = bytes.length - HAVE_BITS_AT;
      requireFrame(bitsLength >= 1 && bitsLength <= MAX_HAVE_BITS_BYTES, 'have length');
      return { type, root, first: view.getUint32(BODY_AT, true), bits: bytes.subarray(HAVE_BITS_AT) };
    }
    case 'want': {
      requireFrame(bytes.length === WANT_BYTES, 'want length');
      const count = view.getUint16(BODY_AT + 4, true);
      requireFrame(count >= 1 && count <= MAX_WANT_COUNT, 'want count');
      return { type, root, first: view.getUint32(BODY_AT, true), count };
    }
    case 'chunk': {
      requireFrame(bytes.length > PROOF_LENGTH_AT, 'chunk length');
      const proofLength = bytes[PROOF_LENGTH_AT];
      requireFrame(proofLength <= MAX_PROOF_NODES, 'proof length');
      const ciphertextAt = PROOF_AT + proofLength * HASH_BYTES;
      const ciphertextLength = bytes.length - ciphertextAt;
      requireFrame(ciphertextLength >= MIN_CHUNK_CIPHERTEXT && ciphertextLength <= MAX_CHUNK_CIPHERTEXT,
        'ciphertext length');
      const proof = [];
      for (let k = 0; k < proofLength; k++) {
        proof.push(bytes.subarray(PROOF_AT + k * HASH_BYTES, PROOF_AT + (k + 1) * HASH_BYTES));
      }
      return {
        type, root, index: view.getUint32(BODY_AT, true), proof, ciphertext: bytes.subarray(ciphertextAt),
      };
    }
    case 'lack':
      requireFrame(bytes.length === LACK_BYTES, 'lack length');
      return { type, root, index: view.getUint32(BODY_AT, true) };
    default:
      throw new FileFrameError('unknown type');
  }
}

// The check that needs the file (§11: "an index >= n is malformed"), once the receiver
// knows the root's chunk count n: every chunk a frame names must be < n, and a `have`
// sets no bit for a chunk >= n (its last byte may run past n with clear bits).
export function checkFrameChunks(frame, n) {
  switch (frame.type) {
    case 'have':
      requireFrame(frame.first < n, 'first chunk past the file');
      requireFrame(frame.first + lastSetBit(frame.bits) < n, 'have bit past the file');
      return frame;
    case 'want':
      requireFrame(frame.first + frame.count <= n, 'wanted chunk past the file');
      return frame;
    case 'chunk':
    case 'lack':
      requireFrame(frame.index < n, 'index past the file');
      return frame;
    default:
      return frame;
  }
}
