// A founded room's moderation through RoomSession (docs/protocol.md §7): the founder
// names a moderator, who removes a member; the removed member's concurrent entries
// leave the other members' stores; posting blocks for "moderators only" and slow mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createRoom, link, person, sessionFor, settle, unlink } from './in-memory-room.js';

const idOf = (identity) => toBase64Url(identity.publicKey);

async function foundedRoom() {
  const founder = person('Ada');
  const room = createRoom('Town', Date.now(), idOf(founder));
  const ada = await sessionFor(founder, room);
  const bob = await sessionFor(person('Bob'), room);
  return { room, ada, bob };
}

const texts = (side) => side.session.view.messages.filter((m) => !m.deleted).map((m) => m.text);

test('the founder names a moderator, who removes a member; the member\'s unseen entries leave the store', async () => {
  const { room, ada, bob } = await foundedRoom();
  const cy = await sessionFor(person('Cy'), room);
  link(ada, bob);
  await settle();
  assert.equal(ada.session.moderation.powers().namesRoles, true);
  assert.equal(bob.session.moderation.powers().namesRoles, false);
  await ada.session.moderation.setRole(bob.id, 'moderator');
  await settle();
  assert.equal(bob.session.moderation.roleOf(bob.id), 'moderator');
  assert.equal(bob.session.moderation.powers().deletesOthers, true);
  assert.equal(bob.session.moderation.powers().removes(ada.id), false, 'a moderator does not remove an admin');
  unlink(ada, bob);

  // Cy talks to Bob, then writes while Bob removes Cy without having seen it.
  link(bob, cy);
  await cy.session.send('hello');
  await settle();
  unlink(bob, cy);
  await cy.session.send('unseen by Bob');
  assert.ok(bob.session.moderation.powers().removes(cy.id));
  await bob.session.moderation.removeMember(cy.id);
  link(bob, cy);
  await settle(10);
  assert.deepEqual(texts(bob), ['hello']);
  assert.equal(bob.swarm.peer.strikes, 1, 'Cy\'s own link sent it: a strike');
  const cysInBobsStore = [...bob.store.entries.values()].filter((entry) => entry.author === cy.id);
  assert.deepEqual(cysInBobsStore.map((entry) => entry.seq).sort(), [0, 1], 'join and hello stay, the rest is gone');
  // Cy's own device learns it, and writes nothing more.
  assert.equal(cy.session.moderation.roleOf(cy.id), 'removed');
  assert.equal(cy.session.canWrite(), false);
  assert.deepEqual(cy.session.moderation.postingBlock(), { reason: 'removed', until: null });
  await assert.rejects(cy.session.send('let me in'), /removed/);
  assert.equal(bob.session.view.timeline.filter((m) => m.event?.type === 'remove').length, 1);
});

test('"moderators only" and slow mode keep a member\'s post from being written at all', async () => {
  const { ada, bob } = await foundedRoom();
  link(ada, bob);
  await settle();
  await ada.session.moderation.changeSettings({ posting: 'moderators' });
  await settle();
  assert.deepEqual(bob.session.moderation.postingBlock(), { reason: 'moderators_only', until: null });
  await assert.rejects(bob.session.send('may I?'), /moderators_only/);
  assert.equal(ada.session.moderation.postingBlock(), null, 'admins post');
  await ada.session.moderation.changeSettings({ posting: 'everyone', slowMode: 60 });
  await settle();
  const before = Date.now();
  await bob.session.send('one');
  const block = bob.session.moderation.postingBlock(before + 1000);
  assert.equal(block.reason, 'slow_mode');
  assert.ok(block.until >= before + 60_000 && block.until <= Date.now() + 60_000);
  await assert.rejects(bob.session.send('two'), /slow_mode/);
  assert.equal(bob.session.moderation.postingBlock(block.until), null);
  await settle();
  assert.deepEqual(texts(ada), ['one']);
});
