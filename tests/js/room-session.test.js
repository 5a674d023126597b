import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createRoom, link, person, sessionFor, settle, unlink } from './in-memory-room.js';

async function twoPeople() {
  const room = createRoom('Story');
  const ada = await sessionFor(person('Ada'), room);
  const bob = await sessionFor(person('Bob'), room);
  return { room, ada, bob };
}

const texts = (side) => side.session.view.messages.map((m) => (m.deleted ? '(deleted)' : m.text));

test('a message reaches the other member, is stored there, and shows as delivered', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const sent = await ada.session.send('hello bob');
  await settle();
  assert.deepEqual(texts(bob), ['hello bob']);
  assert.equal(bob.session.memberName(ada.id), 'Ada', 'names come from the join entry');
  assert.ok(await bob.store.getEntry(sent.id), 'the receiver keeps the entry');
  const message = ada.session.view.messages.find((m) => m.id === sent.id);
  assert.equal(ada.session.deliveredCount(message), 1);
  unlink(ada, bob);
  await settle();
  assert.equal(ada.session.deliveredCount(message), 1, 'delivered stays delivered when Bob goes');
  assert.deepEqual(Object.keys([...ada.store.rooms.values()][0].ownHeldBy), [bob.id], 'and is kept');
});

test('what was written while apart is exchanged when the link comes up, once', async () => {
  const { ada, bob } = await twoPeople();
  await ada.session.send('one');
  await ada.session.send('two');
  await bob.session.send('three');
  link(ada, bob);
  await settle();
  assert.deepEqual(texts(ada), texts(bob));
  assert.deepEqual(new Set(texts(bob)), new Set(['one', 'two', 'three']));
  const entryFrames = bob.swarm.delivered.filter((f) => f.t === 'entries').flatMap((f) => f.entries);
  assert.equal(new Set(entryFrames).size, entryFrames.length, 'no entry crossed the link twice');
});

test('edits, deletes, replies and reactions arrive and read the same on both sides', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const first = await ada.session.send('first');
  const second = await ada.session.send('second');
  await settle();
  await bob.session.send('answer', { reply: first.id });
  await ada.session.edit(first.id, 'first, edited');
  await ada.session.remove(second.id);
  await bob.session.react(first.id, '👍', true);
  await bob.session.edit(first.id, 'not Bob\'s to edit');
  await settle();
  assert.deepEqual(texts(bob), ['first, edited', '(deleted)', 'answer']);
  assert.deepEqual(texts(ada), texts(bob));
  const [edited] = bob.session.view.messages;
  assert.equal(edited.edited, true);
  assert.deepEqual(edited.reactions.map((r) => [r.emoji, r.count]), [['👍', 1]]);
  assert.equal(ada.session.view.messages[2].reply.text, 'first, edited');
});

test('a tampered entry is rejected, stored nowhere, and the sender is marked', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const record = await ada.session.send('original');
  await settle();
  const forged = new Uint8Array(record.bytes);
  forged[forged.length - 1] ^= 0x01;
  const storedBefore = bob.store.entries.size;
  bob.swarm.receive(JSON.stringify({ t: 'entries', entries: [toBase64Url(forged)] }));
  await settle();
  assert.equal(bob.store.entries.size, storedBefore);
  assert.equal(bob.session.warnings.at(-1).code, 'bad_signature');
  assert.equal(bob.swarm.peer.strikes, 1);
});

test('a peer that keeps sending tampered entries is disconnected at its seventeenth strike', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const record = await ada.session.send('original');
  await settle();
  const forged = (i) => {
    const bytes = new Uint8Array(record.bytes);
    bytes[bytes.length - 1 - i] ^= 0x01;
    return toBase64Url(bytes);
  };
  const mallory = bob.swarm.peer;
  bob.swarm.receive(JSON.stringify({ t: 'entries', entries: Array.from({ length: 16 }, (_, i) => forged(i)) }));
  await settle();
  assert.deepEqual([mallory.strikes, mallory.state], [16, 'ready']);
  bob.swarm.receive(JSON.stringify({ t: 'entries', entries: [forged(16)] }));
  await settle();
  assert.deepEqual([mallory.strikes, mallory.state, mallory.reason], [17, 'closed', 'misbehaving']);
  const warned = bob.session.warnings.filter((w) => w.code === 'bad_signature');
  assert.equal(warned.length, 17, 'each strike is shown');
  assert.equal(warned.at(-1).name, 'Ada', 'with who it was');
});

test('typing is shown for a while and never stored', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const storedBefore = bob.store.entries.size;
  ada.session.setTyping(true);
  await settle();
  assert.deepEqual(bob.session.typingNames(), ['Ada']);
  assert.deepEqual(bob.session.typingNames(Date.now() + 7000), []);
  ada.session.setTyping(false);
  await settle();
  assert.deepEqual(bob.session.typingNames(), []);
  assert.equal(bob.store.entries.size, storedBefore);
});

test('unread counts follow what arrived after the last read', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  await ada.session.send('one');
  await ada.session.send('two');
  await settle();
  assert.equal(bob.session.unreadCount(), 2);
  await bob.session.markRead();
  assert.equal(bob.session.unreadCount(), 0);
  assert.equal(bob.store.rooms.get(bob.room.topic).lastReadClock, bob.session.view.messages.at(-1).clock);
  await ada.session.send('three');
  await settle();
  assert.equal(bob.session.unreadCount(), 1);
});

test('call events travel in the history, one summary per call, not counted as unread', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  const call = toBase64Url(new Uint8Array(16).fill(9));
  await ada.session.recordCall({ call, event: 'started', video: true });
  await bob.session.recordCall({ call, event: 'joined', video: true });
  await ada.session.recordCall({ call, event: 'ended', video: true, duration: 65_000 });
  await ada.session.send('after the call');
  await settle();
  const events = (side) => side.session.view.messages.filter((m) => m.call).map((m) => [m.author, m.call]);
  const [[author, summary]] = events(bob);
  assert.equal(author, ada.id);
  assert.deepEqual({ ...summary, startedAt: typeof summary.startedAt }, {
    call, video: true, starter: ada.id, startedAt: 'number', joined: [bob.id], ended: true, duration: 65_000,
  });
  assert.deepEqual(events(ada), events(bob));
  assert.equal(bob.session.unreadCount(), 1, 'only the message counts');
  await assert.rejects(ada.session.recordCall({ call, event: 'ended', video: true }), 'an ended call needs its duration');
});

test('a member who reconnects gets only what it lacks', async () => {
  const { ada, bob } = await twoPeople();
  link(ada, bob);
  await settle();
  await ada.session.send('before');
  await settle();
  unlink(ada, bob);
  await ada.session.send('while apart');
  bob.swarm.delivered = [];
  link(ada, bob);
  await settle();
  assert.deepEqual(texts(bob), ['before', 'while apart']);
  const sent = bob.swarm.delivered.filter((f) => f.t === 'entries').flatMap((f) => f.entries);
  assert.equal(sent.length, 1);
});

test('a new display name travels in the history, to members who were away too', async () => {
  const { ada, bob } = await twoPeople();
  await ada.session.rename('Ada L.');
  assert.equal(bob.session.memberName(ada.id), null);
  link(ada, bob);
  await settle();
  assert.equal(bob.session.memberName(ada.id), 'Ada L.');
});

test('a closed link lets go of its replicator: reconnecting many times keeps one', async () => {
  const { ada, bob } = await twoPeople();
  for (let round = 0; round < 3; round++) {
    link(ada, bob);
    await settle();
    assert.equal(ada.session.replicators.size, 1);
    assert.ok(ada.session.replicators.has(ada.swarm.peer), 'the replicator of the link now up');
    unlink(ada, bob);
    await settle();
    assert.equal(ada.session.replicators.size, 0, `after close ${round + 1}`);
  }
  await bob.session.send('still replicated');
  link(ada, bob);
  await settle();
  assert.deepEqual(texts(ada), ['still replicated']);
});

test('a mirror announcing what it holds is shown at once (how far it holds the room)', async () => {
  const { ada, bob } = await twoPeople();
  const sent = await ada.session.send('kept');
  ada.swarm.remote = bob.swarm;
  bob.swarm.remote = ada.swarm;
  ada.swarm.connect(bob.session.identity.publicKey, '', 'mirror');
  bob.swarm.connect(ada.session.identity.publicKey, 'Ada');
  await settle();
  let changes = 0;
  ada.session.addEventListener('change', () => { changes += 1; });
  // Bob says again that it holds Ada's log: nothing to fetch, nothing new stored.
  ada.swarm.receive(JSON.stringify({ t: 'heads', heads: [{ author: ada.id, length: 2, head: sent.id }] }));
  await settle();
  assert.ok(changes >= 1, 'the UI hears of it');
  assert.equal(ada.session.replicators.get(ada.swarm.peer).remoteHeads.get(ada.id).length, 2);
});

test('entries a mirror cannot check are dropped without counting against its link', async () => {
  const { createEntry } = await import('../../static/app/room/entry.js');
  const { ada, bob } = await twoPeople();
  // Ada's side sees Bob's link as a blind mirror's (its hello said role: mirror).
  ada.swarm.remote = bob.swarm;
  bob.swarm.remote = ada.swarm;
  ada.swarm.connect(bob.session.identity.publicKey, 'Mirror', 'mirror');
  bob.swarm.connect(ada.session.identity.publicKey, 'Ada');
  await settle();
  const keys = ada.session.room.keys;
  // Written by others who hold the membership key but not the message key.
  const junk = [];
  for (let seq = 0; seq < 20; seq += 1) {
    const other = person(`author ${seq}`);
    junk.push(createEntry({
      identity: other, seq: 0, body: { type: 'message', text: 'x', ts: 0, clock: 1 },
      messageKey: keys.membershipKey, discoveryKey: keys.discoveryKey,
    }));
  }
  for (const entry of junk) {
    ada.swarm.receive(JSON.stringify({ t: 'entries', entries: [toBase64Url(entry.bytes)] }));
  }
  await settle();
  assert.equal(ada.swarm.peer.strikes, 0, 'not the mirror\'s doing');
  assert.equal(ada.swarm.peer.state, 'ready');
  assert.ok(ada.session.warnings.some((w) => w.code === 'undecryptable'), 'but the user hears of it');
  assert.equal(ada.session.view.messages.length, 0);
});
