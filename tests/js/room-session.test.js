import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { createEntry } from '../../static/app/room/entry.js';
import { createRoom, identityId, link, person, sessionFor, settle } from './in-memory-room.js';

async function twoPeople() {
  const room = createRoom('Story');
  const ada = await sessionFor(person('Ada'), room);
  const bob = await sessionFor(person('Bob'), room);
  return { room, ada, bob };
}

test('a message reaches the other member and comes back as delivered', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const sent = await ada.session.send('hello bob');
  await settle();
  const [received] = bob.session.timeline.messages();
  assert.equal(received.text, 'hello bob');
  assert.equal(received.author, identityId(ada.session.identity.publicKey));
  assert.equal(bob.session.memberName(received.author), 'Ada');
  assert.deepEqual([...ada.session.timeline.get(sent.id).deliveredTo], [identityId(bob.session.identity.publicKey)]);
  assert.deepEqual((await ada.store.getEntry(sent.id)).deliveredTo, [identityId(bob.session.identity.publicKey)]);
  assert.ok(await bob.store.getEntry(sent.id), 'the receiver keeps the entry');
});

test('messages written while alone are sent when a peer arrives, each once', async () => {
  const { ada, bob } = await twoPeople();
  await ada.session.send('one');
  await ada.session.send('two');
  link(ada, bob);
  await settle();
  assert.deepEqual(bob.session.timeline.messages().map((m) => m.text), ['one', 'two']);
  const [one, two] = bob.session.timeline.messages();
  assert.equal(two.prev, one.id, 'the author chain is kept');
  assert.equal(bob.store.entries.size, 2);
});

test('a tampered entry is rejected, stored nowhere and reported', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const record = await ada.session.send('original');
  await settle();
  const forged = new Uint8Array(record.bytes);
  forged[120] ^= 0x01;
  const before = bob.store.entries.size;
  bob.swarm.receive({ t: 'entry', entry: toBase64Url(forged) });
  await settle();
  assert.equal(bob.store.entries.size, before);
  assert.equal(bob.session.warnings.at(-1).code, 'bad_signature');
});

test('an entry from another room is rejected', async () => {
  const { ada, bob } = await twoPeople();
  const elsewhere = await sessionFor(ada.session.identity, createRoom('Elsewhere'));
  link(ada, bob);
  await settle();
  const record = await elsewhere.session.send('wrong room');
  bob.swarm.receive({ t: 'entry', entry: toBase64Url(record.bytes) });
  await settle();
  assert.equal(bob.session.timeline.messages().length, 0);
  assert.equal(bob.store.entries.size, 0);
  assert.equal(bob.session.warnings.at(-1).code, 'bad_signature');
});

test('a second entry at the same sequence number is a fork and is not stored', async () => {
  const { room, ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  await ada.session.send('first at zero');
  await settle();
  const keys = ada.room.keys;
  const rival = createEntry({
    identity: ada.session.identity, seq: 0, prev: null,
    body: { type: 'message', ts: Date.now(), clock: 1, text: 'rival at zero' },
    messageKey: keys.messageKey, discoveryKey: keys.discoveryKey,
  });
  bob.swarm.receive({ t: 'entry', entry: toBase64Url(rival.bytes) });
  await settle();
  assert.deepEqual(bob.session.timeline.messages().map((m) => m.text), ['first at zero']);
  assert.equal(bob.session.warnings.at(-1).code, 'fork');
  assert.equal(room.topic, bob.room.topic);
  assert.equal(fromBase64Url(room.topic).length, 32);
});

test('acks for entries of others, or from strangers, change nothing', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const own = await ada.session.send('mine');
  await settle();
  const bobs = await bob.session.send('yours');
  await settle();
  // Bob acknowledges Ada's entry again, and claims to acknowledge his own on Ada's side.
  ada.swarm.receive({ t: 'ack', ids: [own.id, bobs.id] });
  await settle();
  assert.equal(ada.session.timeline.get(own.id).deliveredTo.size, 1);
  assert.equal(ada.session.timeline.get(bobs.id).deliveredTo.size, 0);
});
