// Signaling envelopes (docs/protocol.md §4): an SDP description or ICE candidate, signed
// by the sender identity, proven to come from a room member, padded to a fixed bucket
// and sealed to one connection key. openEnvelope runs receiver checks 1-12 in the
// documented order and throws an EnvelopeError whose `code` is the documented reason.
// Check 13 (identity_changed) needs the peer link and belongs to the caller, as does
// rejecting a frame whose topic is not a room of this client (code `wrong_topic`).
import { sodiumReady } from '../crypto/sodium.js';
import {
  concatBytes, equalBytes, fromBase64Url, randomBytes, readUint32, readUint64,
  toBase64Url, utf8Decode, utf8Encode, writeUint32, writeUint64,
} from '../crypto/bytes.js';
import { isSignalPayload } from './signal-payload.js';
import { FRESHNESS_PAST_MS, ReplayGuard } from './replay-guard.js';

const sodium = await sodiumReady;

export { ReplayGuard };
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_BUCKETS = Object.freeze([1024, 4096, 16384]);
export const SEALED_SIZES = Object.freeze(
  ENVELOPE_BUCKETS.map((size) => size + sodium.crypto_box_SEALBYTES),
);
export const FRESHNESS_FUTURE_MS = 30_000;
export { FRESHNESS_PAST_MS };

// Receiver reason codes in check order (§4), then the sender-side refusal.
export const ENVELOPE_REJECT_CODES = Object.freeze([
  'malformed', 'undecryptable', 'bad_version', 'wrong_recipient', 'wrong_topic',
  'wrong_sender', 'not_member', 'bad_signature', 'stale', 'replay', 'identity_changed',
]);
export const ENVELOPE_SEAL_CODES = Object.freeze(['too_large', 'malformed']);

const KEY_BYTES = 32;
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
const SIGNATURE_BYTES = 64;
const AT = Object.freeze({
  version: 0,
  senderIdentity: 1,
  senderConnectionKey: 33,
  recipientConnectionKey: 65,
  topic: 97,
  timestamp: 129,
  nonce: 137,
  payloadLength: 153,
  payload: 157,
});
const FIXED_BYTES = AT.payload + MAC_BYTES + SIGNATURE_BYTES;
export const MAX_PAYLOAD_BYTES = ENVELOPE_BUCKETS.at(-1) - FIXED_BYTES;

const MAC_CONTEXT = utf8Encode('parley-envelope-mac-v1');
const SIGNATURE_CONTEXT = utf8Encode('parley-envelope-sig-v1');

export class EnvelopeError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}

function requireBytes(value, length, name) {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new TypeError(`${name} must be ${length} bytes`);
  }
  return value;
}

function membershipMac(body, membershipKey) {
  return sodium.crypto_generichash(MAC_BYTES, concatBytes(MAC_CONTEXT, body), membershipKey);
}

function encodePayload(payload) {
  const text = JSON.stringify(payload);
  if (text === undefined || !isSignalPayload(JSON.parse(text))) {
    throw new EnvelopeError('malformed', 'payload is not a description or a candidate');
  }
  return utf8Encode(text);
}

// The padded plaintext before sealing. Exported for tests and tools that need to build
// an envelope with one field altered; applications call sealEnvelope.
export function encodeEnvelopePlaintext({
  identity, senderConnectionKey, recipientConnectionKey, topic, membershipKey, payload,
  now = Date.now(),
}) {
  requireBytes(identity?.secretKey, sodium.crypto_sign_SECRETKEYBYTES, 'identity.secretKey');
  const key = (value, name) => requireBytes(value, KEY_BYTES, name);
  const keys = {
    senderIdentity: key(identity.publicKey, 'identity.publicKey'),
    senderConnectionKey: key(senderConnectionKey, 'senderConnectionKey'),
    recipientConnectionKey: key(recipientConnectionKey, 'recipientConnectionKey'),
    topic: key(topic, 'topic'),
  };
  requireBytes(membershipKey, KEY_BYTES, 'membershipKey');
  const payloadBytes = encodePayload(payload);
  const length = payloadBytes.length;
  const bucket = ENVELOPE_BUCKETS.find((size) => FIXED_BYTES + length <= size);
  if (bucket === undefined) {
    throw new EnvelopeError('too_large', `payload of ${length} bytes, over ${MAX_PAYLOAD_BYTES}`);
  }
  const plaintext = new Uint8Array(bucket);
  plaintext[AT.version] = ENVELOPE_VERSION;
  for (const [field, key] of Object.entries(keys)) plaintext.set(key, AT[field]);
  writeUint64(plaintext, AT.timestamp, now);
  plaintext.set(randomBytes(NONCE_BYTES), AT.nonce);
  writeUint32(plaintext, AT.payloadLength, length);
  plaintext.set(payloadBytes, AT.payload);
  const body = plaintext.subarray(0, AT.payload + length);
  const mac = membershipMac(body, membershipKey);
  const signature = sodium.crypto_sign_detached(
    concatBytes(SIGNATURE_CONTEXT, body, mac), identity.secretKey);
  plaintext.set(mac, AT.payload + length);
  plaintext.set(signature, AT.payload + length + MAC_BYTES);
  return plaintext;
}

export function sealPlaintext(plaintext, recipientConnectionKey) {
  requireBytes(recipientConnectionKey, KEY_BYTES, 'recipientConnectionKey');
  return toBase64Url(sodium.crypto_box_seal(plaintext, recipientConnectionKey));
}

export function sealEnvelope(options) {
  return sealPlaintext(encodeEnvelopePlaintext(options), options.recipientConnectionKey);
}

function decodeBlob(blob) {
  const size = SEALED_SIZES.find(
    (candidate) => typeof blob === 'string' && blob.length === Math.ceil((candidate * 4) / 3));
  if (size === undefined) throw new EnvelopeError('malformed', 'not a sealed envelope size');
  try {
    return fromBase64Url(blob, size);
  } catch {
    throw new EnvelopeError('malformed', 'invalid base64url');
  }
}

function parsePayload(bytes) {
  let payload;
  try {
    payload = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new EnvelopeError('malformed', 'payload is not UTF-8 JSON');
  }
  if (!isSignalPayload(payload)) {
    throw new EnvelopeError('malformed', 'payload is not a description or a candidate');
  }
  return payload;
}

export function openEnvelope(blob, {
  connectionKeypair, topic, expectedSenderConnectionKey, membershipKey, replayGuard,
  now = Date.now(),
}) {
  requireBytes(connectionKeypair?.publicKey, KEY_BYTES, 'connectionKeypair.publicKey');
  requireBytes(connectionKeypair.privateKey, KEY_BYTES, 'connectionKeypair.privateKey');
  requireBytes(topic, KEY_BYTES, 'topic');
  requireBytes(expectedSenderConnectionKey, KEY_BYTES, 'expectedSenderConnectionKey');
  requireBytes(membershipKey, KEY_BYTES, 'membershipKey');
  if (!(replayGuard instanceof ReplayGuard)) throw new TypeError('replayGuard is required');

  const sealed = decodeBlob(blob); // 1
  let plaintext;
  try {
    plaintext = sodium.crypto_box_seal_open(
      sealed, connectionKeypair.publicKey, connectionKeypair.privateKey);
  } catch {
    throw new EnvelopeError('undecryptable'); // 2
  }
  if (plaintext[AT.version] !== ENVELOPE_VERSION) throw new EnvelopeError('bad_version'); // 3
  const length = readUint32(plaintext, AT.payloadLength);
  const end = FIXED_BYTES + length;
  if (end > plaintext.length || !sodium.is_zero(plaintext.subarray(end))) {
    throw new EnvelopeError('malformed', 'bad payload length or padding'); // 4
  }
  const field = (offset, size) => plaintext.slice(offset, offset + size);
  const recipientConnectionKey = field(AT.recipientConnectionKey, KEY_BYTES);
  if (!equalBytes(recipientConnectionKey, connectionKeypair.publicKey)) {
    throw new EnvelopeError('wrong_recipient'); // 5
  }
  const envelopeTopic = field(AT.topic, KEY_BYTES);
  if (!equalBytes(envelopeTopic, topic)) throw new EnvelopeError('wrong_topic'); // 6
  const senderConnectionKey = field(AT.senderConnectionKey, KEY_BYTES);
  if (!equalBytes(senderConnectionKey, expectedSenderConnectionKey)) {
    throw new EnvelopeError('wrong_sender'); // 7
  }
  const body = plaintext.subarray(0, AT.payload + length);
  const mac = plaintext.subarray(AT.payload + length, AT.payload + length + MAC_BYTES);
  if (!equalBytes(membershipMac(body, membershipKey), mac)) {
    throw new EnvelopeError('not_member'); // 8
  }
  const senderIdentity = field(AT.senderIdentity, KEY_BYTES);
  const signature = plaintext.subarray(end - SIGNATURE_BYTES, end);
  if (!sodium.crypto_sign_verify_detached(
    signature, concatBytes(SIGNATURE_CONTEXT, body, mac), senderIdentity)) {
    throw new EnvelopeError('bad_signature'); // 9
  }
  const timestamp = readUint64(plaintext, AT.timestamp);
  if (timestamp < now - FRESHNESS_PAST_MS || timestamp > now + FRESHNESS_FUTURE_MS) {
    throw new EnvelopeError('stale'); // 10
  }
  const nonce = field(AT.nonce, NONCE_BYTES);
  if (replayGuard.has(senderIdentity, nonce, timestamp, now)) {
    throw new EnvelopeError('replay'); // 11
  }
  const payload = parsePayload(plaintext.subarray(AT.payload, AT.payload + length)); // 12
  // Remembered only now: a dropped envelope leaves nothing behind.
  replayGuard.remember(senderIdentity, nonce, timestamp, now);
  return {
    senderIdentity, senderConnectionKey, recipientConnectionKey, topic: envelopeTopic,
    timestamp, nonce, payload,
  };
}
