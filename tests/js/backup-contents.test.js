// The contents of an identity backup (docs/protocol.md §9): the strict schema on both
// sealing and opening, the passphrase rule, and the file name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupFileName, openBackup, sealBackup } from '../../static/app/identity/backup.js';
import {
  FAST, PASSPHRASE, b64, codeOf, contact, contentsOf, handBuilt, id, identity, nth, room, text,
} from './backup-fixture.js';
import { sodium } from './hand-built.js';

test('sealing needs a passphrase of at least 8 code points after NFC', () => {
  const contents = contentsOf();
  for (const weak of ['', '1234567', '🎉'.repeat(7), 'e\u0301'.repeat(7)]) {
    assert.equal(codeOf(() => sealBackup(contents, weak, FAST)), 'weak_passphrase', weak);
  }
  assert.equal(codeOf(() => sealBackup(contents, '🎉'.repeat(8), FAST)), 'ok');
  assert.throws(() => sealBackup(contents, undefined, FAST), TypeError);
});

test('contents outside the schema are refused on sealing', () => {
  const good = contentsOf({ rooms: [room(1)], contacts: [contact(2)] });
  const other = identity();
  const { v: _, ...withoutV } = good;
  const bad = {
    'not an object': null,
    array: [],
    undefined,
    'without v': withoutV,
    'extra key': { ...good, extra: 1 },
    'v 2': { ...good, v: 2 },
    'createdAt 1.5': { ...good, createdAt: 1.5 },
    'createdAt -1': { ...good, createdAt: -1 },
    'BigInt createdAt': { ...good, createdAt: 1n },
    'empty name': { ...good, identity: { ...good.identity, name: '' } },
    'name of 65': { ...good, identity: { ...good.identity, name: 'a'.repeat(65) } },
    'mismatched key pair': { ...good, identity: { ...good.identity, publicKey: other.publicKey } },
    // sk_to_pk alone would pass this one: the public half is right, the seed is not.
    'foreign seed': { ...good, identity: { ...good.identity,
      secretKey: b64(Uint8Array.from([...sodium.from_base64(other.secretKey).subarray(0, 32),
        ...sodium.from_base64(good.identity.publicKey)])) } },
    'padded key': { ...good, identity: { ...good.identity, publicKey: `${good.identity.publicKey}=` } },
    'short secret': { ...good, rooms: [room(1, { secret: b64(new Uint8Array(31)) })] },
    'length 0 with a head': { ...good, rooms: [room(1, { ownLength: 0 })] },
    'length 2 without a head': { ...good, rooms: [room(1, { ownLength: 2, ownHead: null })] },
    'negative length': { ...good, rooms: [room(1, { ownLength: -1 })] },
    'room without name': { ...good, rooms: [room(1, { name: '' })] },
    'duplicate room': { ...good, rooms: [room(1), room(1)] },
    'room extra key': { ...good, rooms: [{ ...room(1), topic: id(3) }] },
    'founder not a key': { ...good, rooms: [{ ...room(1), founder: 'nobody' }] },
    'founder null': { ...good, rooms: [{ ...room(1), founder: null }] },
    '1001 rooms': { ...good, rooms: Array.from({ length: 1001 }, (_, i) => room(i % 256)) },
    'duplicate contact': { ...good, contacts: [contact(2), contact(2, { name: 'Other' })] },
    'verifiedAt 1.5': { ...good, contacts: [contact(2, { verifiedAt: 1.5 })] },
    'contact name of 65': { ...good, contacts: [contact(2, { name: '🎉'.repeat(65) })] },
    '10001 contacts': { ...good, contacts: Array(10001).fill(contact(2)) },
  };
  for (const [name, contents] of Object.entries(bad)) {
    assert.equal(codeOf(() => sealBackup(contents, PASSPHRASE, FAST)), 'malformed_contents', name);
  }
  // A founded room (docs/protocol.md §2) names its founder; one made before has none.
  assert.equal(codeOf(() => sealBackup({ ...good, rooms: [{ ...room(1), founder: id(4) }] }, PASSPHRASE, FAST)), 'ok');
  const rooms = Array.from({ length: 1000 }, (_, i) => room(0, { secret: nth(i) }));
  assert.equal(codeOf(() => sealBackup({ ...good, rooms }, PASSPHRASE, FAST)), 'ok', '1000 rooms');
});

test('a backup that decrypts to anything but valid contents is malformed_contents', () => {
  const good = contentsOf();
  const other = identity();
  const bad = [
    text('not json'), Uint8Array.of(0xff, 0x7b, 0x7d), text(`\ufeff${JSON.stringify(good)}`),
    text('[]'), text(JSON.stringify({ ...good, extra: true })),
    text(JSON.stringify({ ...good, identity: { ...good.identity, publicKey: other.publicKey } })),
    text(JSON.stringify({ ...good, rooms: [room(1, { ownLength: 0 })] })),
  ];
  for (const plaintext of bad) {
    const label = new TextDecoder().decode(plaintext).slice(0, 40);
    assert.equal(codeOf(() => openBackup(handBuilt(plaintext), PASSPHRASE)), 'malformed_contents', label);
  }
  // JSON as §1 reads it: 1.0 is the integer 1, and of duplicate keys the last one counts.
  const json = JSON.stringify(good).replace('"v":1', '"v":2,"v":1.0');
  assert.deepEqual(openBackup(handBuilt(text(json)), PASSPHRASE), good);
});

test('backup file names use safe characters and the local date', () => {
  const day = new Date(2026, 10, 23, 23, 59);
  assert.equal(backupFileName('Ada', day), 'parley-backup-ada-2026-11-23.parleybackup');
  assert.equal(backupFileName('Zoë Ünal', day), 'parley-backup-zoe-unal-2026-11-23.parleybackup');
  assert.equal(backupFileName('../../etc/passwd', day), 'parley-backup-etc-passwd-2026-11-23.parleybackup');
  assert.equal(backupFileName('🎉', day), 'parley-backup-2026-11-23.parleybackup');
  assert.equal(backupFileName('', new Date(2027, 0, 5)), 'parley-backup-2027-01-05.parleybackup');
  for (const name of ['a'.repeat(64), 'CON', 'x\u0000y', ' -- ', 'İstanbul', 'a/b\\c:d*e?f"g<h>i|j']) {
    assert.match(backupFileName(name, day), /^parley-backup-([a-z0-9]+(-[a-z0-9]+)*-)?2026-11-23\.parleybackup$/);
    assert.ok(backupFileName(name, day).length <= 70);
  }
  assert.throws(() => backupFileName('Ada', new Date(NaN)), RangeError);
});
