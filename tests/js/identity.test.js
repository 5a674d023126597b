import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  createConnectionKeypair, createIdentity, identityId, parseIdentityId, safetyFingerprint,
} from '../../static/app/identity/identity.js';
import { sodium } from './hand-built.js';

const { fingerprint } = JSON.parse(readFileSync(new URL('../interop/vectors.json', import.meta.url)));

test('the RFC 8032 test key has the fixed ID and safety fingerprint', () => {
  const publicKey = Uint8Array.from(Buffer.from(fingerprint.publicKey, 'hex'));
  assert.equal(identityId(publicKey), fingerprint.identityId);
  assert.deepEqual(parseIdentityId(fingerprint.identityId), publicKey);
  assert.equal(safetyFingerprint(publicKey), fingerprint.safetyFingerprint);
});

test('a fresh identity signs, and its ID and fingerprint have the documented shape', () => {
  const identity = createIdentity();
  const signature = sodium.crypto_sign_detached(Uint8Array.of(1), identity.secretKey);
  assert.ok(sodium.crypto_sign_verify_detached(signature, Uint8Array.of(1), identity.publicKey));
  assert.match(identityId(identity.publicKey), /^[A-Za-z0-9_-]{43}$/);
  assert.match(safetyFingerprint(identity.publicKey), /^\d{5}( \d{5}){5}$/);
});

test('IDs that are not 32 bytes of base64url are refused', () => {
  for (const bad of ['', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`]) {
    assert.throws(() => parseIdentityId(bad), { code: 'malformed' });
  }
  assert.throws(() => identityId(new Uint8Array(31)), TypeError);
});

test('connection keypairs are X25519 box keypairs that open what is sealed to them', () => {
  const { publicKey, privateKey } = createConnectionKeypair();
  assert.equal(publicKey.length, 32);
  assert.deepEqual(sodium.crypto_scalarmult_base(privateKey), publicKey);
  const sealed = sodium.crypto_box_seal(Uint8Array.of(7), publicKey);
  assert.deepEqual(sodium.crypto_box_seal_open(sealed, publicKey, privateKey), Uint8Array.of(7));
});
