// The cryptography of linking a device (docs/protocol.md §13 "Pairing"): the pairing
// code, the topic and key it gives, the MACs that prove knowledge of the code, the
// session key both ends agree on (an ephemeral X25519 exchange bound to the code), and
// the sealed blobs the rendezvous server relays.
//
//   newPairingCode() -> 'ABCD-EFGH-JKLM-NPQR-STUV' (20 base32 characters, 100 bits)
//   parsePairingCode(text) -> the 20 characters, or null (takes the QR code's URI too)
//   pairingUri(code) -> 'parley-link:ABCD…'
//   pairingTopic(code), pairingKey(code) -> 32 bytes
//   proveCode(key, ...parts) / codeProven(key, mac, ...parts)
//   sessionKey({ role, ephemeral, peerEphemeral, key }) -> 32 bytes
//   sealPairing(message, connectionKey) -> blob; openPairing(blob, keypair) -> message
//   boxFor(sessionKey, value) / openBox(sessionKey, text)
import {
  concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8Decode, utf8Encode,
} from '../crypto/bytes.js';
import { sodiumReady } from '../crypto/sodium.js';
import { SEALED_SIZES } from '../signaling/envelope.js';

const sodium = await sodiumReady;

export const PAIRING_CODE_LENGTH = 20;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'; // RFC 4648 base32
const TOPIC_CHARACTERS = 4; // the part of the code the server's topic is made from
const URI_PREFIX = 'parley-link:';
const BUCKETS = SEALED_SIZES.map((size) => size - sodium.crypto_box_SEALBYTES);

export class PairingError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'PairingError';
    this.code = code;
  }
}

export function newPairingCode() {
  const code = Array.from({ length: PAIRING_CODE_LENGTH }, () => ALPHABET[sodium.randombytes_uniform(32)]).join('');
  return code.match(/.{4}/g).join('-');
}

// What a person types or a camera reads: spaces, dashes, case and the digits people
// put for look-alike letters do not matter.
export function parsePairingCode(text) {
  if (typeof text !== 'string' || text.length > 200) return null;
  const bare = text.trim().replace(/^parley-link:/i, '').toUpperCase().replace(/[\s-]/g, '')
    .replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
  if (bare.length !== PAIRING_CODE_LENGTH || [...bare].some((c) => !ALPHABET.includes(c))) return null;
  return bare;
}

export const pairingUri = (code) => `${URI_PREFIX}${parsePairingCode(code)}`;
export const displayCode = (code) => parsePairingCode(code).match(/.{4}/g).join('-');

const hash = (context, text) => sodium.crypto_generichash(32, utf8Encode(`${context}${text}`), null);

// Only the first characters: a code whose rest is mistyped still finds the device,
// which can then say the code is wrong.
export const pairingTopic = (code) => hash('parley-pair-topic-v1:', parsePairingCode(code).slice(0, TOPIC_CHARACTERS));
export const pairingKey = (code) => hash('parley-pair-key-v1:', parsePairingCode(code));

export function proveCode(key, ...parts) {
  return sodium.crypto_auth(concatBytes(...parts), key);
}

export function codeProven(key, mac, ...parts) {
  try {
    return mac?.length === 32 && sodium.crypto_auth_verify(mac, concatBytes(...parts), key);
  } catch {
    return false;
  }
}

export function newEphemeral() {
  const { publicKey, privateKey } = sodium.crypto_kx_keypair();
  return { publicKey, privateKey };
}

// The existing device is the key exchange's client, the new one its server; the result
// is keyed with the code's key, so only someone who knew the code has it too.
export function sessionKey({ role, ephemeral, peerEphemeral, key }) {
  const keys = role === 'existing'
    ? sodium.crypto_kx_client_session_keys(ephemeral.publicKey, ephemeral.privateKey, peerEphemeral)
    : sodium.crypto_kx_server_session_keys(ephemeral.publicKey, ephemeral.privateKey, peerEphemeral);
  const fromExisting = role === 'existing' ? keys.sharedTx : keys.sharedRx;
  return sodium.crypto_generichash(32, concatBytes(utf8Encode('parley-pair-session-v1'), fromExisting), key);
}

export function boxFor(key, value) {
  const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES);
  const box = sodium.crypto_secretbox_easy(utf8Encode(JSON.stringify(value)), nonce, key);
  return toBase64Url(concatBytes(nonce, box));
}

export function openBox(key, text) {
  try {
    const bytes = fromBase64Url(text);
    const nonce = bytes.subarray(0, sodium.crypto_secretbox_NONCEBYTES);
    const plain = sodium.crypto_secretbox_open_easy(bytes.subarray(nonce.length), nonce, key);
    return JSON.parse(utf8Decode(plain));
  } catch {
    throw new PairingError('bad_box');
  }
}

// A message of the pairing, sealed to the other end's connection key and padded to one
// of the envelope sizes (§4), so the server relays it like any signal.
export function sealPairing(message, connectionKey) {
  const text = utf8Encode(JSON.stringify(message));
  const bucket = BUCKETS.find((size) => text.length + 1 <= size);
  if (!bucket) throw new PairingError('too_large');
  return toBase64Url(sodium.crypto_box_seal(sodium.pad(text, bucket), connectionKey));
}

export function openPairing(blob, keypair) {
  try {
    const sealed = fromBase64Url(blob);
    if (!SEALED_SIZES.includes(sealed.length)) throw new Error('size');
    const padded = sodium.crypto_box_seal_open(sealed, keypair.publicKey, keypair.privateKey);
    const text = utf8Decode(sodium.unpad(padded, padded.length));
    const message = JSON.parse(text);
    if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new Error('shape');
    return message;
  } catch {
    throw new PairingError('malformed');
  }
}

export const MAX_PAIRING_PLAINTEXT = BUCKETS.at(-1) - 1;
