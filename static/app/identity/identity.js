// Identities and connection keys (docs/protocol.md §1, §2 "Identity encodings").
// An identity is a long-lived Ed25519 keypair; a connection keypair is X25519, made
// fresh for every signaling connection.
import { sodiumReady } from '../crypto/sodium.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8Encode } from '../crypto/bytes.js';

const sodium = await sodiumReady;

export const IDENTITY_KEY_BYTES = 32;
const FINGERPRINT_PREFIX = utf8Encode('parley-fingerprint-v1');

export function createIdentity() {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, secretKey: privateKey };
}

export function identityId(publicKey) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== IDENTITY_KEY_BYTES) {
    throw new TypeError('identity public key must be 32 bytes');
  }
  return toBase64Url(publicKey);
}

export function parseIdentityId(id) {
  return fromBase64Url(id, IDENTITY_KEY_BYTES);
}

// Six groups of five digits: 40-bit big-endian slices of the digest, modulo 100000.
export function safetyFingerprint(publicKey) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== IDENTITY_KEY_BYTES) {
    throw new TypeError('identity public key must be 32 bytes');
  }
  const digest = sodium.crypto_generichash(32, concatBytes(FINGERPRINT_PREFIX, publicKey), null);
  const groups = [];
  for (let group = 0; group < 6; group++) {
    let value = 0;
    for (const byte of digest.subarray(5 * group, 5 * group + 5)) value = value * 256 + byte;
    groups.push(String(value % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

export function createConnectionKeypair() {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}
