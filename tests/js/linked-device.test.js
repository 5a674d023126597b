// A person with two devices in a room (docs/protocol.md §13): the linked device signs with
// its own key, its first entry carries the identity's certificate, and every member sees
// one person: one author, one member, one name. A certificate by anyone else counts for
// nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { certifyDevice } from '../../static/app/devices/device-cert.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { createRoom, link, person, sessionFor, settle, unlink } from './in-memory-room.js';
import { newRoom } from './replication-fixture.js';

function linkedDeviceOf(owner, { signer = owner, name = 'Laptop' } = {}) {
  const keys = createIdentity();
  const created = 1_700_000_000_000;
  return {
    ...keys, name: owner.name, person: toBase64Url(owner.publicKey),
    device: { name, created, cert: toBase64Url(certifyDevice(signer, keys.publicKey, created)) },
  };
}

test('messages from both of Ada\'s devices are Ada\'s, for Bob and for Ada', async () => {
  const room = createRoom('Story');
  const adaIdentity = person('Ada');
  const ada = await sessionFor(adaIdentity, room);
  const laptop = await sessionFor(linkedDeviceOf(adaIdentity), room);
  const bob = await sessionFor(person('Bob'), room);
  // Bob links to one device at a time here (the fixture's swarm has one link).
  link(ada, bob);
  await settle();
  await ada.session.send('from the phone');
  await settle();
  unlink(ada, bob);
  link(laptop, bob);
  await settle(10);
  await laptop.session.send('from the laptop');
  await settle(10);
  unlink(laptop, bob);
  link(ada, bob);
  await settle(10);
  for (const side of [bob, ada, laptop]) {
    const view = side.session.view;
    assert.deepEqual(view.messages.map((m) => [m.text, m.author]).filter(([text]) => text.startsWith('from')).sort(),
      [['from the laptop', ada.id], ['from the phone', ada.id]]);
    assert.deepEqual([...view.members].sort(), [ada.id, bob.id].sort());
    assert.equal(side.session.memberName(ada.id), 'Ada');
  }
  assert.equal(laptop.session.selfId, ada.id, 'the laptop is Ada');
  assert.notEqual(laptop.session.authorId, ada.id, 'with a key of its own');
  const line = bob.session.view.timeline.find((m) => m.event?.type === 'device');
  assert.deepEqual([line.author, line.event.name], [ada.id, 'Laptop']);
  // Ada edits on one device what she wrote on the other.
  const phoneMessage = laptop.session.view.messages.find((m) => m.text === 'from the phone');
  unlink(ada, bob);
  link(laptop, bob);
  await laptop.session.edit(phoneMessage.id, 'edited on the laptop');
  await settle(10);
  assert.ok(bob.session.view.messages.some((m) => m.text === 'edited on the laptop' && m.edited));
});

test('a device entry certified by someone else, or not first, is refused', () => {
  const keys = newRoom();
  const ada = { ...createIdentity(), name: 'Ada' };
  const mallory = createIdentity();
  const forged = linkedDeviceOf(ada, { signer: mallory });
  const writer = new RoomLog(keys);
  const deviceBody = (identity) => ({
    type: 'device', ts: 1, identity: identity.person, created: identity.device.created, cert: identity.device.cert, name: 'x',
  });
  assert.throws(() => writer.append(forged, deviceBody(forged)), { code: 'malformed' });
  const honest = linkedDeviceOf(ada);
  writer.append(honest, { type: 'message', ts: 1, text: 'first' });
  assert.throws(() => writer.append(honest, deviceBody(honest)), { code: 'malformed' }, 'only as the first entry');
});
