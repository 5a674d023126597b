// Room entries (docs/protocol.md §7): one entry of an author's log, encrypted with the
// room's message key and signed over the room's discovery key, so a blind mirror can
// check an entry without reading it. openEntry runs receiver checks 1, 2, 5 and 6; the
// checks that need the author's log (fork, broken_chain, bad_clock) belong to RoomLog,
// which runs verifyEntrySignature first to keep the documented order.
//
// Version 2 (§7 "Disappearing messages") carries an expiry and signs a hash of its
// ciphertext instead of the ciphertext, so that its *stub* (the entry without the
// ciphertext, entryStub) still verifies and keeps its id once the entry has expired.
import { sodiumReady } from '../crypto/sodium.js';
import {
  concatBytes, readUint32, readUint64, randomBytes, utf8Decode, utf8Encode, writeUint32,
  writeUint64,
} from '../crypto/bytes.js';
import { CONTROL_TYPES, isEntryBody, MAX_BODY_BYTES, MAX_TIMESTAMP_MS } from './entry-body.js';

const sodium = await sodiumReady;

export const ENTRY_VERSION = 1;
export const EXPIRING_ENTRY_VERSION = 2;
export const ENTRY_REJECT_CODES = Object.freeze([
  'malformed', 'bad_signature', 'fork', 'broken_chain', 'undecryptable', 'bad_clock', 'not_expired',
]);
// The types a version 2 entry may hold, and how far past its `ts` it may expire.
export const EXPIRING_TYPES = Object.freeze(['message', 'edit', 'reaction', 'file']);
export const MAX_EXPIRY_MS = 2_419_200_000; // 4 weeks, the longest timer
export const STUB_EARLY_MS = 30_000; // a stub is taken this much before its expiry

const KEY_BYTES = 32;
const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
const SIGNATURE_BYTES = 64;
const AT = Object.freeze({
  version: 0, author: 1, seq: 33, prev: 41, nonce: 73, cipherLength: 97, ciphertext: 101,
});
const AT_V2 = Object.freeze({ expires: 97, cipherLength: 105, cipherHash: 109, ciphertext: 141 });
const HEADER_BYTES = AT.cipherLength;
const MIN_ENTRY_BYTES = AT.ciphertext + SIGNATURE_BYTES;
export const STUB_BYTES = AT_V2.ciphertext + SIGNATURE_BYTES;
const MAX_CIPHER_BYTES = MAX_BODY_BYTES + TAG_BYTES;
export const MAX_ENTRY_BYTES = STUB_BYTES + MAX_CIPHER_BYTES;
export const ZERO_ID = new Uint8Array(32);

const CONTEXTS = {
  1: { ad: utf8Encode('parley-entry-v1'), signature: utf8Encode('parley-entry-sig-v1') },
  2: { ad: utf8Encode('parley-entry-v2'), signature: utf8Encode('parley-entry-sig-v2') },
};

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

const signatureOf = (bytes) => bytes.subarray(bytes.length - SIGNATURE_BYTES);
const isStub = (bytes) => bytes[AT.version] === EXPIRING_ENTRY_VERSION && bytes.length === STUB_BYTES;

// A version 2 entry's id is that of its stub, so it stays when the ciphertext goes.
export function entryId(bytes) {
  if (bytes[AT.version] !== EXPIRING_ENTRY_VERSION) return sodium.crypto_generichash(32, bytes, null);
  return sodium.crypto_generichash(32, entryStub(bytes), null);
}

// What stays of a version 2 entry once it has expired: everything but the ciphertext.
export function entryStub(bytes) {
  if (bytes[AT.version] !== EXPIRING_ENTRY_VERSION) throw new TypeError('only a version 2 entry has a stub');
  if (isStub(bytes)) return bytes;
  return concatBytes(bytes.subarray(0, AT_V2.ciphertext), signatureOf(bytes));
}

function signedPart(bytes, discoveryKey) {
  const version = bytes[AT.version];
  const signed = version === EXPIRING_ENTRY_VERSION
    ? bytes.subarray(0, AT_V2.ciphertext)
    : bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  return concatBytes(CONTEXTS[version].signature, discoveryKey, signed);
}

// Where a version's ciphertext is, and what it is bound to.
function cipherLayout(bytes) {
  const v2 = bytes[AT.version] === EXPIRING_ENTRY_VERSION;
  const start = v2 ? AT_V2.ciphertext : AT.ciphertext;
  return {
    start,
    length: readUint32(bytes, v2 ? AT_V2.cipherLength : AT.cipherLength),
    ad: concatBytes(CONTEXTS[bytes[AT.version]].ad, bytes.subarray(0, v2 ? AT_V2.cipherHash : HEADER_BYTES)),
  };
}

// With `expires` (ms), a version 2 entry (§7 "Disappearing messages").
export function createEntry({ identity, seq, prev = null, body, messageKey, discoveryKey, expires = null }) {
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
  if (expires !== null && !expiresFits(JSON.parse(text), expires)) throw new EntryError('malformed', 'expiry');
  const plaintext = utf8Encode(text);
  if (plaintext.length > MAX_BODY_BYTES) throw new EntryError('too_large');

  const v2 = expires !== null;
  const start = v2 ? AT_V2.ciphertext : AT.ciphertext;
  const bytes = new Uint8Array(start + plaintext.length + TAG_BYTES + SIGNATURE_BYTES);
  bytes[AT.version] = v2 ? EXPIRING_ENTRY_VERSION : ENTRY_VERSION;
  bytes.set(identity.publicKey, AT.author);
  writeUint64(bytes, AT.seq, seq);
  bytes.set(prevId, AT.prev);
  const nonce = randomBytes(NONCE_BYTES);
  bytes.set(nonce, AT.nonce);
  if (v2) writeUint64(bytes, AT_V2.expires, expires);
  writeUint32(bytes, v2 ? AT_V2.cipherLength : AT.cipherLength, plaintext.length + TAG_BYTES);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, cipherLayout(bytes).ad, null, nonce, messageKey);
  bytes.set(ciphertext, start);
  if (v2) bytes.set(sodium.crypto_generichash(32, ciphertext, null), AT_V2.cipherHash);
  bytes.set(
    sodium.crypto_sign_detached(signedPart(bytes, discoveryKey), identity.secretKey),
    bytes.length - SIGNATURE_BYTES);
  return { bytes, id: entryId(bytes) };
}

// A version 2 body: a type that may expire, expiring at most the longest timer after it
// was written.
function expiresFits(body, expires) {
  return EXPIRING_TYPES.includes(body.type) && Number.isSafeInteger(expires) && expires >= 1
    && expires <= MAX_TIMESTAMP_MS && expires <= body.ts + MAX_EXPIRY_MS;
}

function checkLayout(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new EntryError('malformed', 'not bytes');
  if (bytes.length < MIN_ENTRY_BYTES || bytes.length > MAX_ENTRY_BYTES) {
    throw new EntryError('malformed', 'entry size');
  }
  if (bytes[AT.version] === ENTRY_VERSION) {
    if (bytes.length > MIN_ENTRY_BYTES + MAX_CIPHER_BYTES
      || MIN_ENTRY_BYTES + readUint32(bytes, AT.cipherLength) !== bytes.length) {
      throw new EntryError('malformed', 'ciphertext length');
    }
  } else if (bytes[AT.version] === EXPIRING_ENTRY_VERSION) {
    checkExpiringLayout(bytes);
  } else {
    throw new EntryError('malformed', 'version');
  }
  if (readUint64(bytes, AT.seq) === Infinity) throw new EntryError('malformed', 'sequence');
}

function checkExpiringLayout(bytes) {
  if (bytes.length < STUB_BYTES) throw new EntryError('malformed', 'entry size');
  const length = readUint32(bytes, AT_V2.cipherLength);
  if (length < TAG_BYTES + 1 || length > MAX_CIPHER_BYTES) throw new EntryError('malformed', 'ciphertext length');
  const expires = readUint64(bytes, AT_V2.expires);
  if (!(expires >= 1 && expires <= MAX_TIMESTAMP_MS)) throw new EntryError('malformed', 'expiry');
  if (isStub(bytes)) return;
  if (STUB_BYTES + length !== bytes.length) throw new EntryError('malformed', 'ciphertext length');
  const hash = sodium.crypto_generichash(32, bytes.subarray(AT_V2.ciphertext, AT_V2.ciphertext + length), null);
  if (!sodium.memcmp(hash, bytes.subarray(AT_V2.cipherHash, AT_V2.cipherHash + 32))) {
    throw new EntryError('malformed', 'ciphertext hash');
  }
}

// The expiry of a version 2 entry (ms), or null: a version 1 entry never expires.
export function entryExpiry(bytes) {
  return bytes[AT.version] === EXPIRING_ENTRY_VERSION ? readUint64(bytes, AT_V2.expires) : null;
}

// Checks 1 and 2: layout and signature, without the message key (for blind mirrors).
export function verifyEntrySignature(bytes, discoveryKey) {
  requireBytes(discoveryKey, KEY_BYTES, 'discoveryKey');
  checkLayout(bytes);
  const author = bytes.slice(AT.author, AT.author + KEY_BYTES);
  if (!sodium.crypto_sign_verify_detached(signatureOf(bytes), signedPart(bytes, discoveryKey), author)) {
    throw new EntryError('bad_signature');
  }
  return {
    author,
    seq: readUint64(bytes, AT.seq),
    prev: bytes.slice(AT.prev, AT.prev + 32),
    id: entryId(bytes),
    expires: entryExpiry(bytes),
    stub: isStub(bytes),
  };
}

export function openEntry(bytes, { messageKey, discoveryKey }) {
  requireBytes(messageKey, KEY_BYTES, 'messageKey');
  const verified = verifyEntrySignature(bytes, discoveryKey);
  return { ...verified, body: decryptEntryBody(bytes, messageKey) };
}

// Checks 5 and 6 alone. It does NOT check the signature: for callers that have just run
// verifyEntrySignature on these bytes (RoomLog), so a catch-up verifies each entry once.
// A stub has no body: it is `undecryptable`.
export function decryptEntryBody(bytes, messageKey) {
  requireBytes(messageKey, KEY_BYTES, 'messageKey');
  checkLayout(bytes);
  if (isStub(bytes)) throw new EntryError('undecryptable', 'a stub has no ciphertext');
  const { start, ad } = cipherLayout(bytes);
  let plaintext;
  try {
    plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, bytes.subarray(start, bytes.length - SIGNATURE_BYTES), ad,
      bytes.subarray(AT.nonce, AT.nonce + NONCE_BYTES), messageKey);
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
  const expires = entryExpiry(bytes);
  if (expires !== null && !expiresFits(body, expires)) throw new EntryError('malformed', 'expiry');
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
