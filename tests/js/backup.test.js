// The identity backup file of docs/protocol.md §9: layout, KDF bounds, and the error
// code each kind of damage gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BACKUP_DEFAULTS, BACKUP_HEADER_BYTES, MAX_BACKUP_BYTES, decryptBackup, deriveBackupKey,
  openBackup, readBackup, sealBackup,
} from '../../static/app/identity/backup.js';
import {
  FAST, MiB, PASSPHRASE, codeOf, contact, contentsOf, handBuilt, nth, room, text,
} from './backup-fixture.js';
import { sodium } from './hand-built.js';

test('the defaults: a backup opens with its passphrase and has the documented header', () => {
  const contents = contentsOf({ rooms: [room(1)], contacts: [contact(2)] });
  const file = sealBackup(contents, PASSPHRASE);
  assert.deepEqual(openBackup(file, PASSPHRASE), contents);
  assert.deepEqual(BACKUP_DEFAULTS, { opslimit: 3, memlimit: 64 * MiB });
  assert.equal(new TextDecoder().decode(file.subarray(0, 8)), 'PARLEYBK');
  assert.deepEqual([...file.subarray(8, 18)], [1, 1, 0, 0, 0, 3, 4, 0, 0, 0]);
  assert.equal(BACKUP_HEADER_BYTES, 58);
  assert.equal(file.length, 58 + text(JSON.stringify(contents)).length + 16);
  // The documented recipe opens it: key = pwhash(passphrase, salt), AD = the header.
  const key = sodium.crypto_pwhash(
    32, text(PASSPHRASE), file.subarray(18, 34), 3, 64 * MiB, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
    null, file.subarray(58), file.subarray(0, 58), file.subarray(34, 58), key);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), contents);
});

test('a full backup round-trips, and a hand-built file of the documented layout opens', () => {
  const contents = contentsOf({
    name: 'Zoë 🎉',
    rooms: [room(1), room(2, { ownLength: 0, ownHead: null, name: '🎉'.repeat(64) })],
    contacts: [contact(3), contact(4, { name: '', verifiedAt: 1_785_000_000_000 })],
  });
  const file = sealBackup(contents, PASSPHRASE, FAST);
  assert.deepEqual(openBackup(file, PASSPHRASE), contents);
  assert.notDeepEqual(sealBackup(contents, PASSPHRASE, FAST), file, 'fresh salt and nonce');
  const { opslimit, memlimit } = readBackup(file);
  assert.deepEqual({ opslimit, memlimit }, FAST);
  assert.deepEqual(openBackup(handBuilt(text(JSON.stringify(contents))), PASSPHRASE), contents);
});

test('a wrong passphrase is wrong_passphrase; the passphrase is compared after NFC', () => {
  const contents = contentsOf();
  const file = sealBackup(contents, 'café crème brûlée', FAST);
  assert.equal(codeOf(() => openBackup(file, 'cafe creme brulee')), 'wrong_passphrase');
  assert.equal(codeOf(() => openBackup(file, '')), 'wrong_passphrase');
  assert.deepEqual(openBackup(file, 'café crème brûlée'.normalize('NFD')), contents);
});

// Damage -> code, as §9 lists it. A parameter byte that still gives an accepted value
// changes the key and the AD, so it reads as wrong_passphrase.
function expectedAfterFlip(file, offset, damaged) {
  if (offset < 8) return 'not_a_backup';
  if (offset === 8) return 'unsupported_version';
  if (offset === 9) return 'corrupt';
  if (offset < 18) {
    const view = new DataView(damaged.buffer);
    const ops = view.getUint32(10);
    const mem = view.getUint32(14);
    return ops >= 2 && ops <= 10 && mem >= 32 * MiB && mem <= 256 * MiB ? 'wrong_passphrase' : 'corrupt';
  }
  return 'wrong_passphrase'; // salt, nonce, ciphertext, tag
}

test('every single-byte flip of a small backup gives the BackupError of its region', () => {
  const file = sealBackup(contentsOf(), PASSPHRASE, FAST);
  const original = readBackup(file);
  const key = deriveBackupKey(original, PASSPHRASE);
  // openBackup = readBackup + deriveBackupKey + decryptBackup. The key depends only on
  // the passphrase, salt and parameters, so it is derived again only when those changed.
  const outcome = (damaged) => codeOf(() => {
    const backup = readBackup(damaged);
    const sameKdf = sodium.memcmp(backup.salt, original.salt)
      && backup.opslimit === original.opslimit && backup.memlimit === original.memlimit;
    decryptBackup(backup, sameKdf ? key : deriveBackupKey(backup, PASSPHRASE));
  });
  const seen = new Set();
  for (let offset = 0; offset < file.length; offset++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const damaged = file.slice();
      damaged[offset] ^= mask;
      const expected = expectedAfterFlip(file, offset, damaged);
      assert.equal(outcome(damaged), expected, `byte ${offset} ^ ${mask}`);
      seen.add(expected);
    }
  }
  assert.deepEqual([...seen].sort(),
    ['corrupt', 'not_a_backup', 'unsupported_version', 'wrong_passphrase']);
  // The whole path, once per region.
  for (const offset of [0, 8, 9, 10, 13, 14, 17, 18, 34, 58, file.length - 1]) {
    const damaged = file.slice();
    damaged[offset] ^= 0x01;
    const expected = expectedAfterFlip(file, offset, damaged);
    assert.equal(codeOf(() => openBackup(damaged, PASSPHRASE)), expected, `byte ${offset}`);
  }
});

test('truncated and extended files', () => {
  const file = sealBackup(contentsOf(), PASSPHRASE, FAST);
  const key = deriveBackupKey(readBackup(file), PASSPHRASE);
  for (let length = 0; length < file.length; length++) {
    const expected = length < 8 ? 'not_a_backup' : length < 58 + 16 ? 'corrupt' : 'wrong_passphrase';
    const prefix = file.slice(0, length);
    assert.equal(codeOf(() => decryptBackup(readBackup(prefix), key)), expected, `${length} bytes`);
  }
  assert.equal(codeOf(() => openBackup(file.slice(0, -1), PASSPHRASE)), 'wrong_passphrase');
  assert.equal(codeOf(() => openBackup(file.slice(0, 73), PASSPHRASE)), 'corrupt');
  const longer = Uint8Array.from([...file, 0]);
  assert.equal(codeOf(() => openBackup(longer, PASSPHRASE)), 'wrong_passphrase');
});

test('wrong magic is not_a_backup; another version is unsupported_version', () => {
  const file = sealBackup(contentsOf(), PASSPHRASE, FAST);
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...file.subarray(8));
  for (const bytes of [new Uint8Array(0), text('PARLEYB'), text('parleybk'), png,
    Uint8Array.from([...text('PARLEYBX'), ...file.subarray(8)])]) {
    assert.equal(codeOf(() => readBackup(bytes)), 'not_a_backup');
  }
  for (const version of [0, 2, 255]) {
    const other = file.slice();
    other[8] = version;
    assert.equal(codeOf(() => readBackup(other)), 'unsupported_version', `version ${version}`);
    // The version decides the layout, so it is read before the length is judged.
    assert.equal(codeOf(() => readBackup(other.slice(0, 9))), 'unsupported_version');
  }
  assert.throws(() => readBackup([...file]), TypeError);
});

test('KDF parameters outside the accepted range are corrupt; the bounds are accepted', () => {
  const plaintext = text(JSON.stringify(contentsOf()));
  const cases = [
    [{ opslimit: 1, memlimit: 64 * MiB }, 'corrupt'], [{ opslimit: 11, memlimit: 64 * MiB }, 'corrupt'],
    [{ opslimit: 3, memlimit: 32 * MiB - 1 }, 'corrupt'], [{ opslimit: 3, memlimit: 256 * MiB + 1 }, 'corrupt'],
    [{ opslimit: 0, memlimit: 0 }, 'corrupt'], [{ opslimit: 3, memlimit: 2 ** 32 - 1 }, 'corrupt'],
    [{ opslimit: 3, memlimit: 64 * MiB, kdf: 0 }, 'corrupt'], [{ opslimit: 3, memlimit: 64 * MiB, kdf: 2 }, 'corrupt'],
    [{ opslimit: 2, memlimit: 32 * MiB }, 'ok'], [{ opslimit: 10, memlimit: 256 * MiB }, 'ok'],
  ];
  for (const [params, expected] of cases) {
    assert.equal(codeOf(() => readBackup(handBuilt(plaintext, params))), expected, JSON.stringify(params));
  }
  for (const params of [{ opslimit: 1, memlimit: 64 * MiB }, { opslimit: 3, memlimit: 512 * MiB }, {}]) {
    assert.throws(() => sealBackup(contentsOf(), PASSPHRASE, params), RangeError);
  }
});

test('files over 4 MiB are too_large, and so are contents that would make one', () => {
  const file = sealBackup(contentsOf(), PASSPHRASE, FAST);
  const big = new Uint8Array(MAX_BACKUP_BYTES + 1);
  big.set(file);
  assert.equal(codeOf(() => readBackup(big)), 'too_large');
  assert.equal(codeOf(() => readBackup(big.subarray(0, MAX_BACKUP_BYTES))), 'ok');
  // 10,000 valid contacts whose names are control characters, escaped in JSON as \u0001.
  const contacts = Array.from({ length: 10000 }, (_, i) =>
    contact(0, { id: nth(i), name: '\u0001'.repeat(64) }));
  assert.equal(codeOf(() => sealBackup(contentsOf({ contacts }), PASSPHRASE, FAST)), 'too_large');
});
