// Room entries (docs/protocol.md §7): one entry of an author's log, encrypted with the
// room's message key and signed over the room's discovery key, so a blind mirror can
// check an entry without reading it. openEntry runs receiver checks 1, 2, 5 and 6; the
// checks that need the author's log (fork, broken_chain, bad_clock) belong to RoomLog,
// which runs verifyEntrySignature first to keep the documented order.
import { sodiumReady } from '../crypto/sodium.js';
import {
  concatBytes, readUint32, readUint64, randomBytes, utf8Decode, utf8Encode, writeUint32,
  writeUint64,
} from '../crypto/bytes.js';
import { CONTROL_TYPES, isEntryBody, MAX_BODY_BYTES } from './entry-body.js';

const sodium = await sodiumReady;

export const ENTRY_VERSION = 1;
export const ENTRY_REJECT_CODES = Object.freeze([
  'malformed', 'bad_signature', 'fork', 'broken_chain', 'undecryptable', 'bad_clock',
]);

const KEY_BYTES = 32;
const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
const SIGNATURE_BYTES = 64;
const AT = Object.freeze({
  version: 0, author: 1, seq: 33, prev: 41, nonce: 73, cipherLength: 97, ciphertext: 101,
});
const HEADER_BYTES = AT.cipherLength;
const MIN_ENTRY_BYTES = AT.ciphertext + SIGNATURE_BYTES;
export const MAX_ENTRY_BYTES = MIN_ENTRY_BYTES + MAX_BODY_BYTES + TAG_BYTES;
export const ZERO_ID = new Uint8Array(32);

const AD_CONTEXT = utf8Encode('parley-entry-v1');
const SIGNATURE_CONTEXT = utf8Encode('parley-entry-sig-v1');

export class EntryError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'EntryError';
    this.code = code;
  }
}

function requireBytes(value, length, name) {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new TypeError(`${name} must be ${length} bytes`);
  }
  return value;
}

export function entryId(bytes) {
  return sodium.crypto_generichash(32, bytes, null);
}

function signedPart(bytes, discoveryKey) {
  const unsigned = bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  return concatBytes(SIGNATURE_CONTEXT, discoveryKey, unsigned);
}

export function createEntry({ identity, seq, prev = null, body, messageKey, discoveryKey }) {
  requireBytes(identity?.publicKey, KEY_BYTES, 'identity.publicKey');
  requireBytes(identity.secretKey, sodium.crypto_sign_SECRETKEYBYTES, 'identity.secretKey');
  requireBytes(messageKey, KEY_BYTES, 'messageKey');
  requireBytes(discoveryKey, KEY_BYTES, 'discoveryKey');
  if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError('seq must be a safe integer >= 0');
  const prevId = prev ?? ZERO_ID;
  requireBytes(prevId, 32, 'prev');
  if ((seq === 0) !== sodium.is_zero(prevId)) {
    throw new EntryError('broken_chain', 'sequence 0 and only it has a zero prev');
  }
  const text = JSON.stringify(body);
  if (text === undefined || !isEntryBody(JSON.parse(text))) throw new EntryError('malformed');
  const plaintext = utf8Encode(text);
  if (plaintext.length > MAX_BODY_BYTES) throw new EntryError('too_large');

  const bytes = new Uint8Array(MIN_ENTRY_BYTES + plaintext.length + TAG_BYTES);
  bytes[AT.version] = ENTRY_VERSION;
  bytes.set(identity.publicKey, AT.author);
  writeUint64(bytes, AT.seq, seq);
  bytes.set(prevId, AT.prev);
  const nonce = randomBytes(NONCE_BYTES);
  bytes.set(nonce, AT.nonce);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, concatBytes(AD_CONTEXT, bytes.subarray(0, HEADER_BYTES)), null, nonce, messageKey);
  writeUint32(bytes, AT.cipherLength, ciphertext.length);
  bytes.set(ciphertext, AT.ciphertext);
  bytes.set(
    sodium.crypto_sign_detached(signedPart(bytes, discoveryKey), identity.secretKey),
    bytes.length - SIGNATURE_BYTES);
  return { bytes, id: entryId(bytes) };
}

function checkLayout(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new EntryError('malformed', 'not bytes');
  if (bytes.length < MIN_ENTRY_BYTES || bytes.length > MAX_ENTRY_BYTES) {
    throw new EntryError('malformed', 'entry size');
  }
  if (bytes[AT.version] !== ENTRY_VERSION) throw new EntryError('malformed', 'version');
  if (MIN_ENTRY_BYTES + readUint32(bytes, AT.cipherLength) !== bytes.length) {
    throw new EntryError('malformed', 'ciphertext length');
  }
  if (readUint64(bytes, AT.seq) === Infinity) throw new EntryError('malformed', 'sequence');
}

// Checks 1 and 2: layout and signature, without the message key (for blind mirrors).
export function verifyEntrySignature(bytes, discoveryKey) {
  requireBytes(discoveryKey, KEY_BYTES, 'discoveryKey');
  checkLayout(bytes);
  const author = bytes.slice(AT.author, AT.author + KEY_BYTES);
  const signature = bytes.subarray(bytes.length - SIGNATURE_BYTES);
  if (!sodium.crypto_sign_verify_detached(signature, signedPart(bytes, discoveryKey), author)) {
    throw new EntryError('bad_signature');
  }
  return {
    author,
    seq: readUint64(bytes, AT.seq),
    prev: bytes.slice(AT.prev, AT.prev + 32),
    id: entryId(bytes),
  };
}

export function openEntry(bytes, { messageKey, discoveryKey }) {
  requireBytes(messageKey, KEY_BYTES, 'messageKey');
  const verified = verifyEntrySignature(bytes, discoveryKey);
  return { ...verified, body: decryptEntryBody(bytes, messageKey) };
}

// Checks 5 and 6 alone. It does NOT check the signature: for callers that have just run
// verifyEntrySignature on these bytes (RoomLog), so a catch-up verifies each entry once.
export function decryptEntryBody(bytes, messageKey) {
  requireBytes(messageKey, KEY_BYTES, 'messageKey');
  checkLayout(bytes);
  let plaintext;
  try {
    plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      bytes.subarray(AT.ciphertext, bytes.length - SIGNATURE_BYTES),
      concatBytes(AD_CONTEXT, bytes.subarray(0, HEADER_BYTES)),
      bytes.subarray(AT.nonce, AT.nonce + NONCE_BYTES),
      messageKey);
  } catch {
    throw new EntryError('undecryptable');
  }
  let body;
  try {
    body = JSON.parse(utf8Decode(plaintext));
  } catch {
    throw new EntryError('malformed', 'body is not UTF-8 JSON');
  }
  if (plaintext.length > MAX_BODY_BYTES || !isEntryBody(body)) {
    throw new EntryError('malformed', 'body schema');
  }
  return body;
}

// A room's entries are sealed with its message key, its control entries (role, remove)
// with its control key (§7): whichever opens the entry must be the one for its type.
export const keyNameFor = (type) => (CONTROL_TYPES.includes(type) ? 'controlKey' : 'messageKey');

export function decryptRoomEntryBody(bytes, { messageKey, controlKey = null }) {
  let body;
  let keyName = 'messageKey';
  try {
    body = decryptEntryBody(bytes, messageKey);
  } catch (error) {
    if (!(error instanceof EntryError) || error.code !== 'undecryptable' || !controlKey) throw error;
    body = decryptEntryBody(bytes, controlKey);
    keyName = 'controlKey';
  }
  if (keyNameFor(body.type) !== keyName) throw new EntryError('malformed', 'sealed with the wrong key for its type');
  return body;
}
