// Identity backup (docs/protocol.md §9): the identity, its rooms and contacts, encrypted
// with a passphrase into one versioned binary file that another browser can restore.
//
//   const file = sealBackup(contents, passphrase)           -> Uint8Array (PARLEYBK…)
//   openBackup(file, passphrase)                            -> contents (throws BackupError)
//   readBackup(file)  -> header fields, before asking for a passphrase (throws BackupError)
//   backupFileName('Ada', new Date(2026, 10, 23)) -> 'parley-backup-ada-2026-11-23.parleybackup'
//
// `contents` is the JSON object of §9 (binary values as base64url), checked strictly on
// both sides, so a file this module writes always opens and a crafted one cannot smuggle
// anything past the schema. Pure: no DOM, no storage.
import { sodiumReady } from '../crypto/sodium.js';
import {
  concatBytes, equalBytes, fromBase64Url, randomBytes, readUint32, utf8Decode, utf8Encode,
  writeUint32,
} from '../crypto/bytes.js';

const sodium = await sodiumReady;
const MiB = 1024 * 1024;

export const BACKUP_MAGIC = utf8Encode('PARLEYBK');
export const BACKUP_VERSION = 1;
export const KDF_ARGON2ID13 = 1;
// RFC 9106's second recommended Argon2id setting (t = 3, m = 64 MiB); §9 says why not
// libsodium's SENSITIVE (1 GiB).
export const BACKUP_DEFAULTS = Object.freeze({ opslimit: 3, memlimit: 64 * MiB });
// What opening accepts: a crafted file can make the browser neither allocate gigabytes
// nor skip the work of guessing passphrases.
export const BACKUP_LIMITS = Object.freeze({
  opslimit: Object.freeze([2, 10]), memlimit: Object.freeze([32 * MiB, 256 * MiB]),
});
export const MAX_BACKUP_BYTES = 4 * MiB;
export const MIN_PASSPHRASE_CODE_POINTS = 8;
export const MAX_ROOMS = 1000;
export const MAX_CONTACTS = 10000;
export const MAX_NAME_CODE_POINTS = 64;
export const BACKUP_ERROR_CODES = Object.freeze([
  'not_a_backup', 'unsupported_version', 'corrupt', 'wrong_passphrase', 'malformed_contents',
  'too_large', 'weak_passphrase',
]);

const SALT_BYTES = sodium.crypto_pwhash_SALTBYTES;
const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
const KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
// Field offsets (§9 table).
const VERSION = 8;
const KDF = 9;
const OPSLIMIT = 10;
const MEMLIMIT = 14;
const SALT = 18;
const NONCE = SALT + SALT_BYTES;
export const BACKUP_HEADER_BYTES = NONCE + NONCE_BYTES; // 58
const MAX_TIMESTAMP_MS = 8_640_000_000_000_000; // the largest time a JavaScript Date holds

export class BackupError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'BackupError';
    this.code = code;
  }
}

// --- contents schema -------------------------------------------------------------------

const codePoints = (text) => [...text].length;
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInteger = (low, high) => (value) =>
  Number.isSafeInteger(value) && value >= low && value <= high;
const isTimestamp = isInteger(0, MAX_TIMESTAMP_MS);
const isName = (min) => (value) => typeof value === 'string'
  && codePoints(value) >= min && codePoints(value) <= MAX_NAME_CODE_POINTS;
const orNull = (check) => (value) => value === null || check(value);
const listOf = (max, check) => (value) =>
  Array.isArray(value) && value.length <= max && value.every(check);
// Canonical base64url of exactly `length` bytes (§1).
const isBase64Url = (length) => (value) => {
  try {
    fromBase64Url(value, length);
    return true;
  } catch {
    return false;
  }
};
// Exactly these keys, each passing its check.
const record = (fields) => (value) => isObject(value)
  && Object.keys(value).length === Object.keys(fields).length
  && Object.entries(fields).every(([key, check]) => Object.hasOwn(value, key) && check(value[key]));

const ROOM_FIELDS = {
  secret: isBase64Url(32), name: isName(1), createdAt: isTimestamp,
  ownLength: isInteger(0, Number.MAX_SAFE_INTEGER), ownHead: orNull(isBase64Url(32)),
};
// `founder` is there for a founded room (§2) and absent for one made before founders.
const isFoundedRoom = record({ ...ROOM_FIELDS, founder: isBase64Url(32) });
const isUnfoundedRoom = record(ROOM_FIELDS);
const isRoom = (value) => isUnfoundedRoom(value) || isFoundedRoom(value);
const isContact = record({ id: isBase64Url(32), name: isName(0), verifiedAt: orNull(isTimestamp) });
const isShape = record({
  v: (value) => value === 1,
  createdAt: isTimestamp,
  identity: record({ publicKey: isBase64Url(32), secretKey: isBase64Url(64), name: isName(1) }),
  rooms: listOf(MAX_ROOMS, isRoom),
  contacts: listOf(MAX_CONTACTS, isContact),
});

// libsodium's Ed25519 secret key is seed ‖ public key, so sk_to_pk only reads the copy
// in the second half; deriving the key pair from the seed also catches a secret key
// whose seed belongs to someone else (its signatures would not verify).
function isKeyPair({ publicKey, secretKey }) {
  const pk = fromBase64Url(publicKey, 32);
  const sk = fromBase64Url(secretKey, 64);
  const derived = sodium.crypto_sign_seed_keypair(sodium.crypto_sign_ed25519_sk_to_seed(sk));
  return equalBytes(sodium.crypto_sign_ed25519_sk_to_pk(sk), pk) && equalBytes(derived.publicKey, pk);
}

const allDistinct = (values) => new Set(values).size === values.length;

export function isBackupContents(contents) {
  return isShape(contents)
    && isKeyPair(contents.identity)
    // A log of length 0 has no head, and a longer one has one (§9 restoring).
    && contents.rooms.every((room) => (room.ownLength === 0) === (room.ownHead === null))
    && allDistinct(contents.rooms.map((room) => room.secret))
    && allDistinct(contents.contacts.map((contact) => contact.id));
}

// --- the file --------------------------------------------------------------------------

// NFC, so that the same passphrase typed on another system (which may compose accents
// differently) derives the same key. TextEncoder turns a lone surrogate into U+FFFD.
function normalizedPassphrase(passphrase) {
  if (typeof passphrase !== 'string') throw new TypeError('passphrase must be a string');
  return passphrase.normalize('NFC');
}

function checkParameters(opslimit, memlimit) {
  const [minOps, maxOps] = BACKUP_LIMITS.opslimit;
  const [minMem, maxMem] = BACKUP_LIMITS.memlimit;
  return Number.isInteger(opslimit) && opslimit >= minOps && opslimit <= maxOps
    && Number.isInteger(memlimit) && memlimit >= minMem && memlimit <= maxMem;
}

// Checks in the order of §9: size, magic, version, layout, KDF and its parameters.
export function readBackup(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('backup must be a Uint8Array');
  if (bytes.length > MAX_BACKUP_BYTES) throw new BackupError('too_large');
  const magic = bytes.subarray(0, BACKUP_MAGIC.length);
  if (magic.length < BACKUP_MAGIC.length || !equalBytes(magic, BACKUP_MAGIC)) {
    throw new BackupError('not_a_backup');
  }
  if (bytes.length <= VERSION) throw new BackupError('corrupt', 'no version byte');
  if (bytes[VERSION] !== BACKUP_VERSION) throw new BackupError('unsupported_version');
  if (bytes.length < BACKUP_HEADER_BYTES + TAG_BYTES) throw new BackupError('corrupt', 'too short');
  if (bytes[KDF] !== KDF_ARGON2ID13) throw new BackupError('corrupt', 'unknown KDF');
  const opslimit = readUint32(bytes, OPSLIMIT);
  const memlimit = readUint32(bytes, MEMLIMIT);
  if (!checkParameters(opslimit, memlimit)) throw new BackupError('corrupt', 'KDF parameters');
  return {
    opslimit,
    memlimit,
    salt: bytes.slice(SALT, NONCE),
    nonce: bytes.slice(NONCE, BACKUP_HEADER_BYTES),
    header: bytes.slice(0, BACKUP_HEADER_BYTES),
    ciphertext: bytes.slice(BACKUP_HEADER_BYTES),
  };
}

// The slow, blocking step (Argon2id). Apart from readBackup so that a UI can reject a
// file that is not a backup before it asks for the passphrase.
export function deriveBackupKey({ salt, opslimit, memlimit }, passphrase) {
  return sodium.crypto_pwhash(
    KEY_BYTES, utf8Encode(normalizedPassphrase(passphrase)), salt, opslimit, memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
}

export function decryptBackup({ header, nonce, ciphertext }, key) {
  let plaintext;
  try {
    plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, header, nonce, key);
  } catch {
    // The tag covers the header, so a wrong passphrase and damage anywhere past the
    // checks of readBackup look the same here (§9 "which damage gives which code").
    throw new BackupError('wrong_passphrase');
  }
  let contents;
  try {
    contents = JSON.parse(utf8Decode(plaintext));
  } catch {
    throw new BackupError('malformed_contents', 'not UTF-8 JSON');
  }
  if (!isBackupContents(contents)) throw new BackupError('malformed_contents');
  return contents;
}

export function openBackup(bytes, passphrase) {
  const backup = readBackup(bytes);
  const key = deriveBackupKey(backup, passphrase);
  try {
    return decryptBackup(backup, key);
  } finally {
    sodium.memzero(key);
  }
}

export function sealBackup(contents, passphrase, { opslimit, memlimit } = BACKUP_DEFAULTS) {
  if (!checkParameters(opslimit, memlimit)) throw new RangeError('KDF parameters out of range');
  // Check what will be written, as it will be read back: JSON drops undefined values,
  // calls toJSON, and so on.
  let text;
  try {
    text = JSON.stringify(contents);
  } catch {
    text = undefined; // cycles, BigInt
  }
  if (typeof text !== 'string' || !isBackupContents(JSON.parse(text))) {
    throw new BackupError('malformed_contents');
  }
  if (codePoints(normalizedPassphrase(passphrase)) < MIN_PASSPHRASE_CODE_POINTS) {
    throw new BackupError('weak_passphrase');
  }
  const plaintext = utf8Encode(text);
  if (BACKUP_HEADER_BYTES + plaintext.length + TAG_BYTES > MAX_BACKUP_BYTES) {
    throw new BackupError('too_large');
  }
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const header = new Uint8Array(BACKUP_HEADER_BYTES);
  header.set(BACKUP_MAGIC);
  header[VERSION] = BACKUP_VERSION;
  header[KDF] = KDF_ARGON2ID13;
  writeUint32(header, OPSLIMIT, opslimit);
  writeUint32(header, MEMLIMIT, memlimit);
  header.set(salt, SALT);
  header.set(nonce, NONCE);
  const key = deriveBackupKey({ salt, opslimit, memlimit }, passphrase);
  try {
    return concatBytes(header,
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, null, nonce, key));
  } finally {
    sodium.memzero(key);
  }
}

// A name the user recognises in a downloads folder, of characters every file system
// takes: accents dropped, anything else outside a-z 0-9 becomes one '-', the local date.
export function backupFileName(name, date = new Date()) {
  const slug = String(name ?? '').toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]+/g, '-').slice(0, 32).replace(/^-+|-+$/g, '');
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  const pad = (value) => String(value).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `parley-backup-${slug ? `${slug}-` : ''}${day}.parleybackup`;
}
