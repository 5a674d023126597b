// Moderation in a founded room (docs/protocol.md §7 "Moderation"): roles and removals
// as control entries, evaluated the same way by every member's RoomLog, whatever order
// the entries arrive in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { createEntry } from '../../static/app/room/entry.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { evaluateModeration } from '../../static/app/room/moderation.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { newRoom } from './replication-fixture.js';

const say = (text) => ({ type: 'message', ts: 1_700_000_000_000, text });
const idOf = (identity) => toBase64Url(identity.publicKey);

// A founded room with these people; each holds a log of their own.
function foundedRoom(...names) {
  const keys = newRoom();
  const people = Object.fromEntries(names.map((name) => [name, createIdentity()]));
  const founder = idOf(people[names[0]]);
  const logs = Object.fromEntries(names.map((name) => [name, new RoomLog({ ...keys, founder })]));
  const write = (name, body) => logs[name].append(people[name], { ts: 1_700_000_000_000, ...body });
  const id = (name) => idOf(people[name]);
  return { keys, people, founder, logs, write, id };
}

// Everything `from` holds, ingested by `to` (as a full catch-up would bring it).
function sync(from, to) {
  return to.ingest(from.records().map((record) => record.bytes));
}

const texts = (log) => log.records().filter((r) => r.body.type === 'message').map((r) => r.body.text).sort();

test('the founder is the first admin and names moderators; a member\'s `role` entry counts for nothing', () => {
  const room = foundedRoom('ada', 'bob', 'cy');
  room.write('ada', say('hello'));
  sync(room.logs.ada, room.logs.bob);
  room.write('bob', { type: 'role', member: room.id('bob'), role: 'admin' }); // not his to give
  room.write('bob', { type: 'role', member: room.id('cy'), role: 'moderator' });
  sync(room.logs.bob, room.logs.ada);
  assert.equal(room.logs.ada.moderation.roleOf(room.id('ada')), 'admin');
  assert.equal(room.logs.ada.moderation.roleOf(room.id('bob')), 'member');
  assert.equal(room.logs.ada.moderation.roleOf(room.id('cy')), 'member');
  room.write('ada', { type: 'role', member: room.id('bob'), role: 'moderator' });
  sync(room.logs.ada, room.logs.cy);
  for (const log of [room.logs.ada, room.logs.cy]) {
    assert.equal(log.moderation.roleOf(room.id('bob')), 'moderator');
    assert.deepEqual(log.moderation.moderators(), [room.id('bob')]);
    assert.deepEqual(log.moderation.admins(), [room.id('ada')]);
  }
});

test('control entries are sealed with the control key: without it they do not open, and a message under it is refused', () => {
  const room = foundedRoom('ada', 'bob');
  room.write('ada', { type: 'role', member: room.id('bob'), role: 'moderator' });
  const blind = new RoomLog({ ...room.keys, controlKey: null, founder: room.founder });
  const result = sync(room.logs.ada, blind);
  assert.deepEqual(result.rejected.map((r) => r.code), ['undecryptable']);
  // A message sealed with the control key (as a careless or hostile client might).
  const swapped = new RoomLog({ ...room.keys, messageKey: room.keys.controlKey, founder: room.founder });
  swapped.append(room.people.bob, say('sneaky'));
  const refused = sync(swapped, room.logs.ada);
  assert.deepEqual(refused.rejected.map((r) => r.code), ['malformed']);
  assert.throws(() => new RoomLog({ ...room.keys, controlKey: null }).append(room.people.ada,
    { type: 'role', member: room.id('bob'), role: 'admin' }), /control key/);
});

test('a removed member\'s entries from `upTo` on are refused by everyone, the ones before stay', () => {
  const room = foundedRoom('ada', 'bob', 'cy');
  room.write('bob', say('before'));
  sync(room.logs.bob, room.logs.ada);
  room.write('ada', { type: 'remove', member: room.id('bob'), upTo: room.logs.ada.length(room.id('bob')) });
  sync(room.logs.ada, room.logs.cy);
  room.write('bob', say('after')); // Bob has not heard of it yet
  const result = sync(room.logs.bob, room.logs.cy);
  assert.deepEqual(result.rejected.map((r) => r.code), ['removed']);
  assert.deepEqual(texts(room.logs.cy), ['before']);
  assert.equal(room.logs.cy.moderation.roleOf(room.id('bob')), 'removed');
  assert.equal(room.logs.cy.cap(room.id('bob')), 1);
  assert.equal(room.logs.cy.cap(room.id('ada')), Infinity);
});

test('a removal beats what the removed member wrote concurrently, even with a lower clock, and takes it out', () => {
  const room = foundedRoom('ada', 'bob', 'cy');
  // Cy holds Bob's concurrent message before the removal reaches her.
  room.write('bob', say('one'));
  sync(room.logs.bob, room.logs.ada);
  sync(room.logs.bob, room.logs.cy);
  for (let i = 0; i < 5; i++) room.write('ada', say(`ada ${i}`)); // Ada's clock runs ahead
  room.write('ada', { type: 'remove', member: room.id('bob'), upTo: 1 });
  room.write('bob', say('concurrent')); // clock 2: before the removal in room order
  sync(room.logs.bob, room.logs.cy);
  assert.ok(texts(room.logs.cy).includes('concurrent'));
  const result = sync(room.logs.ada, room.logs.cy);
  assert.equal(result.rejected.length, 0);
  assert.deepEqual(room.logs.cy.takeRemoved().map((r) => r.body.text), ['concurrent']);
  assert.deepEqual(room.logs.cy.takeRemoved(), [], 'taken once');
  assert.ok(!texts(room.logs.cy).includes('concurrent'));
  assert.equal(room.logs.cy.length(room.id('bob')), 1);
});

test('a moderator removes members but not admins or moderators; a member removes nobody', () => {
  const room = foundedRoom('ada', 'mod', 'mod2', 'bob', 'cy');
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  room.write('ada', { type: 'role', member: room.id('mod2'), role: 'moderator' });
  sync(room.logs.ada, room.logs.mod);
  room.write('mod', { type: 'remove', member: room.id('ada'), upTo: 0 });
  room.write('mod', { type: 'remove', member: room.id('mod2'), upTo: 0 });
  room.write('mod', { type: 'remove', member: room.id('mod'), upTo: 0 }); // nobody removes themselves
  room.write('bob', { type: 'remove', member: room.id('cy'), upTo: 0 });
  sync(room.logs.mod, room.logs.cy);
  sync(room.logs.bob, room.logs.cy);
  assert.deepEqual([...room.logs.cy.moderation.removals.keys()], []);
  room.write('mod', { type: 'remove', member: room.id('bob'), upTo: room.logs.mod.length(room.id('bob')) });
  sync(room.logs.mod, room.logs.cy);
  assert.deepEqual([...room.logs.cy.moderation.removals.keys()], [room.id('bob')]);
  assert.equal(room.logs.cy.moderation.removals.get(room.id('bob')).by, room.id('mod'));
});

test('two admins who remove each other: the removal first in room order counts, on every member, in any arrival order', () => {
  const room = foundedRoom('ada', 'bea', 'cy', 'dan');
  room.write('ada', { type: 'role', member: room.id('bea'), role: 'admin' });
  sync(room.logs.ada, room.logs.bea);
  // Concurrently, each removes the other: same clock, so author key bytes decide.
  room.write('ada', { type: 'remove', member: room.id('bea'), upTo: room.logs.ada.length(room.id('bea')) });
  room.write('bea', { type: 'remove', member: room.id('ada'), upTo: room.logs.bea.length(room.id('ada')) });
  sync(room.logs.ada, room.logs.cy);
  sync(room.logs.bea, room.logs.cy);
  sync(room.logs.bea, room.logs.dan);
  sync(room.logs.ada, room.logs.dan);
  const [first] = [room.logs.ada.records(), room.logs.bea.records()]
    .map((records) => records.at(-1)).sort((a, b) => (Buffer.compare(
    Buffer.from(a.author, 'base64url'), Buffer.from(b.author, 'base64url'))));
  const winner = first.author;
  const loser = winner === room.id('ada') ? room.id('bea') : room.id('ada');
  for (const log of [room.logs.cy, room.logs.dan]) {
    assert.deepEqual([...log.moderation.removals.keys()], [loser]);
    assert.equal(log.moderation.roleOf(winner), 'admin');
    assert.equal(log.moderation.roleOf(loser), 'removed');
  }
});

test('a removal voids the removed admin\'s earlier-placed moderation that the remover had not seen', () => {
  const room = foundedRoom('ada', 'bea', 'cy');
  room.write('ada', { type: 'role', member: room.id('bea'), role: 'admin' });
  sync(room.logs.ada, room.logs.bea);
  // Bea (clock 2) makes Cy a moderator; Ada, who has not seen it, removes Bea later (clock 9).
  room.write('bea', { type: 'role', member: room.id('cy'), role: 'moderator' });
  for (let i = 0; i < 6; i++) room.write('ada', say(`${i}`));
  room.write('ada', { type: 'remove', member: room.id('bea'), upTo: 0 });
  const cy = room.logs.cy;
  sync(room.logs.bea, cy);
  assert.equal(cy.moderation.roleOf(room.id('cy')), 'moderator');
  sync(room.logs.ada, cy);
  assert.equal(cy.moderation.roleOf(room.id('cy')), 'member', 'Bea\'s grant was beaten by her removal');
  assert.equal(cy.moderation.roleOf(room.id('bea')), 'removed');
  assert.equal(cy.length(room.id('bea')), 0);
});

test('roleAt answers the role at a point of the room order; a room without a founder has no admins', () => {
  const room = foundedRoom('ada', 'bob');
  const before = room.write('ada', say('x'));
  const grant = room.write('ada', { type: 'role', member: room.id('bob'), role: 'moderator' });
  const after = room.write('ada', say('y'));
  const { moderation } = room.logs.ada;
  assert.equal(moderation.roleAt(room.id('bob'), before), 'member');
  assert.equal(moderation.roleAt(room.id('bob'), grant), 'member', 'just before the grant');
  assert.equal(moderation.roleAt(room.id('bob'), after), 'moderator');
  assert.equal(moderation.roleAt(room.id('ada'), before), 'admin');
  const unfounded = evaluateModeration(room.logs.ada.records(), null);
  assert.equal(unfounded.founded, false);
  assert.equal(unfounded.roleOf(room.id('ada')), 'member');
  assert.equal(unfounded.caps.size, 0);
});

test('a removal that voids the ground of its own author\'s role counts for nothing, and voids nothing', () => {
  const room = foundedRoom('ada', 'bea', 'cy');
  room.write('ada', { type: 'role', member: room.id('cy'), role: 'moderator' });
  room.write('ada', { type: 'role', member: room.id('bea'), role: 'admin' });
  sync(room.logs.ada, room.logs.bea);
  // Bea, made an admin by Ada's second entry, removes Ada as if she had seen none of it.
  room.write('bea', { type: 'remove', member: room.id('ada'), upTo: 0 });
  sync(room.logs.bea, room.logs.cy);
  sync(room.logs.ada, room.logs.cy);
  const { moderation } = room.logs.cy;
  assert.equal(moderation.roleOf(room.id('ada')), 'admin');
  assert.equal(moderation.roleOf(room.id('bea')), 'admin');
  assert.equal(moderation.roleOf(room.id('cy')), 'moderator', 'Ada\'s entries still count');
  assert.equal(moderation.removals.size, 0);
  // And Ada can still moderate.
  room.write('ada', { type: 'remove', member: room.id('bea'), upTo: room.logs.ada.length(room.id('bea')) });
  sync(room.logs.ada, room.logs.cy);
  assert.equal(room.logs.cy.moderation.roleOf(room.id('bea')), 'removed');
});

test('a removed member\'s entries taken out do not carry the room\'s clock', () => {
  const room = foundedRoom('ada', 'bob');
  const hi = room.write('bob', say('hi'));
  sync(room.logs.bob, room.logs.ada);
  room.write('ada', { type: 'remove', member: room.id('bob'), upTo: 1 });
  const before = room.logs.ada.maxClock();
  // Bob, removed, writes with a clock near the end of the range.
  const far = createEntry({
    identity: room.people.bob, seq: 1, prev: fromBase64Url(hi.id, 32),
    body: { type: 'message', ts: 1, text: 'far ahead', clock: 2 ** 52 },
    messageKey: room.keys.messageKey, discoveryKey: room.keys.discoveryKey,
  });
  const result = room.logs.ada.ingest([far.bytes]);
  assert.deepEqual(result.rejected.map((r) => r.code), ['removed']);
  assert.equal(room.logs.ada.maxClock(), before);
});

test('an `upTo` past what the remover held does not let the removed member write on', () => {
  const room = foundedRoom('ada', 'mod', 'bob');
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  sync(room.logs.ada, room.logs.mod);
  room.write('bob', say('before'));
  sync(room.logs.bob, room.logs.mod);
  // A moderator "removes" a friend with an upTo far past his log.
  room.write('mod', { type: 'remove', member: room.id('bob'), upTo: 2 ** 52 });
  sync(room.logs.mod, room.logs.bob);
  room.write('bob', say('after the removal'));
  sync(room.logs.mod, room.logs.ada);
  const result = sync(room.logs.bob, room.logs.ada);
  assert.deepEqual(texts(room.logs.ada), ['before']);
  assert.deepEqual(result.rejected.map((r) => r.code), ['removed']);
  assert.equal(room.logs.ada.length(room.id('bob')), 1);
});
