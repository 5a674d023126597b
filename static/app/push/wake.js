// Wake blobs (docs/protocol.md §10 "Waking"): what a member sends, through the server's
// push, to wake another member who is offline. Only the recipient's device can open
// one; the server and the push service see 1,072 bytes of ciphertext of fixed size.
//
//   buildWake({ identity, mailboxPublicKey, room, kind, text, now })   -> base64url blob
//   openWake(blobText, { mailbox })  -> { room, from, kind, text, ts }  (throws WakeError)
//
// Plaintext: Ed25519 signature by the sender's identity over
// b"parley-wake-v1" ‖ mailbox public key ‖ JSON, then the JSON; padded with sodium_pad
// to 1,024 bytes; sealed with crypto_box_seal to the mailbox's wake key.
//
// Pure, and without top-level await (the service worker imports this): call after
// `sodiumReady`.
import { sodium } from '../crypto/sodium.js';
import {
  concatBytes, EncodingError, fromBase64Url, toBase64Url, utf8Decode, utf8Encode,
} from '../crypto/encoding.js';
import { isIdText, MAX_TIMESTAMP_MS } from '../room/entry-fields.js';
import { wakeKey, wakeKeypair } from './mailbox-keys.js';

export const WAKE_PADDED_BYTES = 1024;
export const WAKE_BLOB_BYTES = WAKE_PADDED_BYTES + 48; // + crypto_box_SEALBYTES
export const WAKE_BLOB_CHARACTERS = Math.ceil((WAKE_BLOB_BYTES * 4) / 3);
export const WAKE_TEXT_CODE_POINTS = 100;
export const WAKE_KINDS = Object.freeze(['message', 'mention']);
const SIGNATURE_BYTES = 64;
// sodium_pad always adds at least one byte, so 1,023 bytes is the most that fits.
const MAX_PLAINTEXT_BYTES = WAKE_PADDED_BYTES - 1;
const WAKE_CONTEXT = utf8Encode('parley-wake-v1');
const WAKE_KEYS = ['v', 'room', 'from', 'kind', 'text', 'ts'];

export class WakeError extends Error {
  constructor(code, detail = code) {
    super(detail);
    this.name = 'WakeError';
    this.code = code;
  }
}

function codePoints(text) {
  return [...text];
}

function signedBytes(mailboxPublicKey, json) {
  return concatBytes(WAKE_CONTEXT, mailboxPublicKey, json);
}

export function buildWake({ identity, mailboxPublicKey, room, kind, text, now = Date.now() }) {
  if (!isIdText(room)) throw new TypeError('room must be a discovery key as base64url');
  if (!WAKE_KINDS.includes(kind)) throw new TypeError(`unknown wake kind ${kind}`);
  const from = toBase64Url(identity.publicKey);
  let excerpt = codePoints(String(text)).slice(0, WAKE_TEXT_CODE_POINTS);
  let json;
  // JSON escapes can make 100 code points long (a control character is 6 bytes): give
  // up text, never the fixed size.
  for (;;) {
    json = utf8Encode(JSON.stringify({ v: 1, room, from, kind, text: excerpt.join(''), ts: now }));
    if (SIGNATURE_BYTES + json.length <= MAX_PLAINTEXT_BYTES) break;
    excerpt = excerpt.slice(0, -1);
  }
  if (!excerpt.length) throw new TypeError('wake text is empty');
  const signature = sodium.crypto_sign_detached(signedBytes(mailboxPublicKey, json), identity.secretKey);
  const padded = sodium.pad(concatBytes(signature, json), WAKE_PADDED_BYTES);
  return toBase64Url(sodium.crypto_box_seal(padded, wakeKey(mailboxPublicKey)));
}

export function openWake(blobText, { mailbox }) {
  if (typeof blobText !== 'string' || blobText.length !== WAKE_BLOB_CHARACTERS) {
    throw new WakeError('malformed', 'a wake is 1,072 bytes of base64url');
  }
  const sealed = decode(blobText, WAKE_BLOB_BYTES);
  const keypair = wakeKeypair(mailbox);
  let padded;
  try {
    padded = sodium.crypto_box_seal_open(sealed, keypair.publicKey, keypair.privateKey);
  } catch {
    throw new WakeError('undecryptable');
  }
  let plaintext;
  try {
    plaintext = sodium.unpad(padded, WAKE_PADDED_BYTES);
  } catch {
    throw new WakeError('malformed', 'bad padding');
  }
  if (plaintext.length <= SIGNATURE_BYTES) throw new WakeError('malformed', 'no JSON');
  const signature = plaintext.subarray(0, SIGNATURE_BYTES);
  const json = plaintext.subarray(SIGNATURE_BYTES);
  const wake = parseWakeJson(json);
  const sender = decode(wake.from, 32);
  if (!sodium.crypto_sign_verify_detached(signature, signedBytes(mailbox.publicKey, json), sender)) {
    throw new WakeError('bad_signature');
  }
  return { room: wake.room, from: wake.from, kind: wake.kind, text: wake.text, ts: wake.ts };
}

function decode(text, length) {
  try {
    return fromBase64Url(text, length);
  } catch (error) {
    if (error instanceof EncodingError) throw new WakeError('malformed', error.message);
    throw error;
  }
}

function parseWakeJson(json) {
  let wake;
  try {
    wake = JSON.parse(utf8Decode(json));
  } catch {
    throw new WakeError('malformed', 'not UTF-8 JSON');
  }
  if (!isWakeJson(wake)) throw new WakeError('malformed', 'not a wake');
  return wake;
}

export function isWakeJson(wake) {
  if (typeof wake !== 'object' || wake === null || Array.isArray(wake)) return false;
  const keys = Object.keys(wake);
  if (keys.length !== WAKE_KEYS.length || !WAKE_KEYS.every((key) => Object.hasOwn(wake, key))) return false;
  if (typeof wake.text !== 'string') return false;
  const textLength = codePoints(wake.text).length;
  return wake.v === 1
    && isIdText(wake.room)
    && isIdText(wake.from)
    && WAKE_KINDS.includes(wake.kind)
    && textLength >= 1 && textLength <= WAKE_TEXT_CODE_POINTS
    && Number.isSafeInteger(wake.ts) && wake.ts >= 0 && wake.ts <= MAX_TIMESTAMP_MS;
}
