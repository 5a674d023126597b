// identity/backup-contents.js: what a backup takes from the running app (docs/protocol.md
// §9), checked by sealing and opening it with the real backup module, and what restoring
// it writes to the device's store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { backupContents, restoreBackup } from '../../static/app/identity/backup-contents.js';
import { openBackup, sealBackup } from '../../static/app/identity/backup.js';
import { roomRecord } from '../../static/app/room/rooms.js';
import { FAST, PASSPHRASE } from './backup-fixture.js';
import { sodium } from './hand-built.js';

const secret = (fill) => new Uint8Array(32).fill(fill);
const entryId = (fill) => toBase64Url(secret(fill));
const FOUNDER = toBase64Url(secret(7)); // the open room is founded (§2), the left one is older

// The parts of ParleyApp a backup reads: one open room with three own entries, one left
// room, and contacts.
function appWith({ contacts = [], name = '' } = {}) {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  const open = { ...roomRecord(secret(1), 'Weekend', 0, FOUNDER), createdAt: 1_780_000_000_000 };
  const left = {
    ...roomRecord(secret(2), 'Old room'), createdAt: 1_770_000_000_000, left: true, ownLength: 5, ownHead: entryId(9),
  };
  const ownHead = entryId(8);
  return {
    identity: { publicKey, secretKey: privateKey, name },
    selfId: 'self',
    roomList: () => [open],
    session: (topic) => (topic === open.topic
      ? { log: { length: (id) => (id === 'self' ? 3 : 0), headId: (id) => (id === 'self' ? ownHead : undefined) } }
      : null),
    leftRooms: new Map([[left.topic, left]]),
    contacts: new Map(contacts.map((contact) => [contact.id, contact])),
  };
}

test('a backup holds the open and the left rooms with the own log in each, and opens again', () => {
  const app = appWith();
  const contents = openBackup(sealBackup(backupContents(app), PASSPHRASE, FAST), PASSPHRASE);
  assert.equal(contents.identity.name, 'Me', 'an unnamed identity is backed up as "Me"');
  assert.deepEqual(fromBase64Url(contents.identity.secretKey, 64), app.identity.secretKey);
  assert.deepEqual(contents.rooms.map(({ name, ownLength }) => [name, ownLength]), [['Weekend', 3], ['Old room', 5]]);
  assert.equal(contents.rooms[0].ownHead, entryId(8));
  assert.equal(contents.rooms[1].ownHead, entryId(9));
});

test('verified contacts come first, the list stops at 10,000, names at 64 characters', () => {
  const contacts = Array.from({ length: 10_001 }, (_, i) => ({
    id: `id${i}`, name: i === 0 ? '🎉'.repeat(70) : `person ${i}`, verifiedAt: i === 10_000 ? 1_790_000_000_000 : null,
  }));
  const { contacts: kept } = backupContents(appWith({ contacts, name: 'Ada' }));
  assert.equal(kept.length, 10_000);
  assert.deepEqual(kept[0], { id: 'id10000', name: 'person 10000', verifiedAt: 1_790_000_000_000 });
  assert.equal(kept[1].name, '🎉'.repeat(64));
  assert.equal(kept.at(-1).id, 'id9998', 'the unverified beyond the limit are left out');
});

test('restoring writes the identity, each room marked restored with its own log, and the contacts', async () => {
  const app = appWith({ contacts: [{ id: 'grace', name: 'Grace', verifiedAt: 1_790_000_000_000 }], name: 'Ada' });
  const saved = { identity: null, rooms: [], contacts: [] };
  const store = {
    saveIdentity: async (identity) => { saved.identity = identity; },
    saveRoom: async (record) => { saved.rooms.push(record); },
    saveContact: async (contact) => { saved.contacts.push(contact); },
  };
  await restoreBackup(store, backupContents(app));
  assert.deepEqual(saved.identity.publicKey, app.identity.publicKey);
  assert.equal(saved.identity.name, 'Ada');
  assert.ok(saved.identity.restoredAt > 0);
  assert.deepEqual(saved.rooms.map((room) => [room.topic, room.restored.ownLength]), [
    [roomRecord(secret(1), 'Weekend', 0, FOUNDER).topic, 3], [roomRecord(secret(2), 'Old room').topic, 5],
  ]);
  assert.deepEqual(saved.rooms.map((room) => room.founder), [FOUNDER, null], 'the founder comes back with its room');
  assert.equal(saved.rooms[1].left, undefined, 'a left room comes back as a room to join');
  assert.deepEqual(saved.contacts, [{ id: 'grace', name: 'Grace', verifiedAt: 1_790_000_000_000, firstSeen: 0 }]);
});
