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

test('Ada unlinks her laptop: what it writes unseen is refused by Bob, and it stops', async () => {
  const room = createRoom('Story');
  const adaIdentity = person('Ada');
  const laptopIdentity = linkedDeviceOf(adaIdentity);
  const ada = await sessionFor(adaIdentity, room);
  const laptop = await sessionFor(laptopIdentity, room);
  const bob = await sessionFor(person('Bob'), room);
  link(laptop, bob);
  await settle(10);
  await laptop.session.send('before');
  await settle(10);
  unlink(laptop, bob);
  link(ada, bob);
  await settle(10);
  // Ada holds the laptop's log: its device entry, a join (Bob had not heard of Ada when
  // the laptop came in) and one message: upTo 3.
  await ada.session.revokeDevice({ id: laptop.session.authorId, created: laptopIdentity.device.created, cert: laptopIdentity.device.cert });
  await laptop.session.send('written before the laptop heard');
  await settle(10);
  assert.equal(bob.session.log.revocations.get(laptop.session.authorId).upTo, 3);
  assert.equal(bob.session.view.timeline.filter((m) => m.event?.type === 'revoke').length, 1);
  unlink(ada, bob);
  let revoked = 0;
  laptop.session.addEventListener('revoked', () => { revoked += 1; });
  link(laptop, bob);
  await settle(10);
  assert.deepEqual(bob.session.view.messages.map((m) => m.text), ['before']);
  assert.equal(bob.session.log.length(laptop.session.authorId), 3);
  assert.equal(revoked, 1, 'the laptop hears of it');
  assert.equal(laptop.session.canWrite(), false);
  await assert.rejects(laptop.session.send('after'), /catching_up/);
});

test('nobody unlinks another person\'s device, even with its certificate in hand', () => {
  const keys = newRoom();
  const ada = { ...createIdentity(), name: 'Ada' };
  const bob = createIdentity();
  const laptop = linkedDeviceOf(ada);
  const log = new RoomLog(keys);
  log.append(laptop, {
    type: 'device', ts: 1, identity: laptop.person, created: laptop.device.created, cert: laptop.device.cert, name: 'x',
  });
  const device = toBase64Url(laptop.publicKey);
  log.append(bob, { type: 'revoke', ts: 2, device, upTo: 0, created: laptop.device.created, cert: laptop.device.cert });
  assert.equal(log.revocations.size, 0);
  log.append(laptop, { type: 'message', ts: 3, text: 'still counts' });
  assert.equal(log.length(device), 2);
  // Anyone can sign a certificate of any key: one of Bob's own making unlinks nobody,
  // neither Ada's laptop nor Ada herself.
  const own = (key) => toBase64Url(certifyDevice(bob, key, 9));
  log.append(bob, { type: 'revoke', ts: 3, device, upTo: 0, created: 9, cert: own(laptop.publicKey) });
  log.append(ada, { type: 'message', ts: 3, text: 'Ada is here' });
  const adaId = toBase64Url(ada.publicKey);
  log.append(bob, { type: 'revoke', ts: 3, device: adaId, upTo: 0, created: 9, cert: own(ada.publicKey) });
  assert.equal(log.revocations.size, 0);
  assert.equal(log.length(adaId), 1);
  log.append(ada, { type: 'revoke', ts: 4, device, upTo: 1, created: laptop.device.created, cert: laptop.device.cert });
  assert.equal(log.revocations.get(device).upTo, 1);
  assert.equal(log.length(device), 1, 'the message after upTo is taken out');
  assert.equal(log.takeRemoved().length, 1);
});

test('a room Ada first enters on her laptop names her there too', async () => {
  const room = createRoom('New place');
  const adaIdentity = person('Ada');
  const laptop = await sessionFor(linkedDeviceOf(adaIdentity), room);
  const bob = await sessionFor(person('Bob'), room);
  link(laptop, bob);
  await settle(10);
  const ada = toBase64Url(adaIdentity.publicKey);
  assert.equal(bob.session.view.names.get(ada), 'Ada');
  // Ada's own history lines (Bob's join may come anywhere: its clock ties with the laptop's first).
  const adas = bob.session.view.timeline.filter((m) => m.author === ada && m.event).map((m) => m.event.type);
  assert.deepEqual(adas, ['device', 'join']);
});

test('a revocation written before the device came in keeps its first entry, and holds', () => {
  const keys = newRoom();
  const ada = { ...createIdentity(), name: 'Ada' };
  const laptop = linkedDeviceOf(ada);
  const device = toBase64Url(laptop.publicKey);
  const log = new RoomLog(keys);
  log.append(ada, { type: 'revoke', ts: 1, device, upTo: 0, created: laptop.device.created, cert: laptop.device.cert });
  const writer = new RoomLog(keys);
  writer.append(laptop, {
    type: 'device', ts: 2, identity: laptop.person, created: laptop.device.created, cert: laptop.device.cert, name: 'x',
  });
  writer.append(laptop, { type: 'message', ts: 3, text: 'too late' });
  const result = log.ingest(writer.range(device, 0, 2));
  assert.deepEqual(result.rejected.map((r) => [r.code, r.seq]), [['removed', 1]]);
  assert.equal(log.length(device), 1, 'its device entry stays');
  assert.equal(log.revocations.get(device).upTo, 1, 'and the revocation holds');
});
