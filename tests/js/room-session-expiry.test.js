// Disappearing messages in open rooms (docs/protocol.md §7): the timer set by one member
// makes everyone's messages expire on every device at the same moment, bodies gone from
// the store, the room's files told.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRoom, link, person, sessionFor, settle } from './in-memory-room.js';

const texts = (side) => side.session.view.messages.map((m) => m.text);
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('with the timer on, a message disappears everywhere at its expiry, store included', async (t) => {
  const room = createRoom('Story');
  const ada = await sessionFor(person('Ada'), room);
  const bob = await sessionFor(person('Bob'), room);
  link(ada, bob);
  await settle();
  const lasting = await ada.session.send('before the timer');
  await ada.session.moderation.changeSettings({ disappear: 300 });
  await settle();
  assert.equal(bob.session.view.settings.disappear, 300);

  t.after(() => mock.timers.reset());
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_800_000_000_000 });
  const gone = await bob.session.send('gone in five minutes');
  const reaction = bob.session.react(gone.id, '👍', true);
  mock.timers.tick(10);
  await flush();
  const reacted = await reaction;
  mock.timers.tick(10);
  await flush();
  assert.equal(gone.expires, 1_800_000_000_000 + 300_000);
  assert.equal(reacted.expires, gone.expires, 'a reaction goes with its message');
  assert.equal(lasting.expires, null);
  assert.deepEqual(texts(ada), ['before the timer', 'gone in five minutes']);
  const expiredOn = { ada: [], bob: [] };
  ada.session.addEventListener('expired', ({ detail }) => expiredOn.ada.push(...detail.records.map((r) => r.id)));
  bob.session.addEventListener('expired', ({ detail }) => expiredOn.bob.push(...detail.records.map((r) => r.id)));

  mock.timers.tick(300_000 - 21);
  await flush();
  assert.deepEqual(texts(ada), ['before the timer', 'gone in five minutes'], 'not a moment early');
  mock.timers.tick(1);
  await flush();
  mock.timers.tick(1);
  await flush();
  for (const side of [ada, bob]) {
    assert.deepEqual(texts(side), ['before the timer']);
    const stored = await side.store.getEntry(gone.id);
    assert.equal(stored.body, null);
    assert.equal(stored.bytes.length, 205);
    assert.ok(!JSON.stringify([...side.store.entries.values()]).includes('gone in five minutes'));
    assert.equal((await side.store.getEntry(reacted.id)).body, null);
  }
  assert.deepEqual(new Set(expiredOn.ada), new Set([gone.id, reacted.id]));
  assert.deepEqual(new Set(expiredOn.bob), new Set([gone.id, reacted.id]));
});

test('a device that opens a room after an expiry drops the body before showing anything', async (t) => {
  const room = createRoom('Story');
  const identity = person('Ada');
  const ada = await sessionFor(identity, room);
  await ada.session.moderation.changeSettings({ disappear: 3600 });
  const sent = await ada.session.send('an hour');
  ada.session.stop();
  t.after(() => mock.timers.reset());
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: sent.expires });
  const again = await sessionFor(identity, room, ada.store);
  assert.deepEqual(again.session.view.messages, []);
  assert.equal((await ada.store.getEntry(sent.id)).body, null);
});
