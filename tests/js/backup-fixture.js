// Shared by the backup tests (docs/protocol.md §9): contents that pass the schema, and
// files built straight from the §9 table with libsodium, without the module under test.
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { BackupError } from '../../static/app/identity/backup.js';
import { sodium } from './hand-built.js';

export const MiB = 1024 * 1024;
// The smallest accepted parameters, where a test needs many key derivations.
export const FAST = { opslimit: 2, memlimit: 32 * MiB };
export const PASSPHRASE = 'correct horse battery staple';
export const text = (value) => new TextEncoder().encode(value);
export const b64 = (bytes) => toBase64Url(bytes);
export const id = (fill) => b64(new Uint8Array(32).fill(fill));
// The i-th of many distinct 32-byte values.
export function nth(i) {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, i);
  return b64(bytes);
}

export function identity(name = 'Ada') {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey: b64(publicKey), secretKey: b64(privateKey), name };
}

export function contentsOf({ rooms = [], contacts = [], name = 'Ada' } = {}) {
  return { v: 1, createdAt: 1_790_000_000_000, identity: identity(name), rooms, contacts };
}

export const room = (fill, overrides = {}) => ({
  secret: id(fill), name: 'Weekend plans', createdAt: 1_780_000_000_000, ownLength: 3,
  ownHead: id(255 - fill), ...overrides,
});
export const contact = (fill, overrides = {}) =>
  ({ id: id(fill), name: 'Grace', verifiedAt: null, ...overrides });

// The BackupError code of an action, or 'ok'.
export function codeOf(action) {
  try {
    action();
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    return error.code;
  }
  return 'ok';
}

export function uint32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

// One salt for every hand-built file, so the slow key is derived once.
const HAND_SALT = sodium.randombytes_buf(16);
const HAND_KEY = sodium.crypto_pwhash(
  32, text(PASSPHRASE), HAND_SALT, FAST.opslimit, FAST.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
export function handBuilt(plaintext, { version = 1, kdf = 1, ...params } = FAST) {
  const nonce = sodium.randombytes_buf(24);
  const header = Uint8Array.from([
    ...text('PARLEYBK'), version, kdf, ...uint32(params.opslimit), ...uint32(params.memlimit),
    ...HAND_SALT, ...nonce]);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, header, null, nonce, HAND_KEY);
  return Uint8Array.from([...header, ...ciphertext]);
}
