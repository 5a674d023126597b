// A founded room's rules as every receiver applies them (docs/protocol.md §7
// "Moderation", "Room settings"): moderators delete anyone's message, only admins
// change settings and the name, "moderators only" and slow mode refuse posts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import { buildRoomState } from '../../static/app/room/room-state.js';
import { newRoom } from './replication-fixture.js';

const T0 = 1_700_000_000_000;

// One log everyone writes into (clocks follow one another), as a member holds the room.
function founded(founder = true) {
  const people = { ada: createIdentity(), bob: createIdentity(), mod: createIdentity() };
  const id = (name) => toBase64Url(people[name].publicKey);
  const log = new RoomLog({ ...newRoom(), founder: founder ? id('ada') : null });
  const write = (name, body, ts = T0) => log.append(people[name], { ts, ...body });
  const state = () => buildRoomState(log.records(), { selfId: id('ada'), moderation: log.moderation });
  return { id, write, state, log, people };
}

const createIdentityFor = (room, name) => room.people[name];

const shown = (state) => state.messages.filter((m) => !m.deleted).map((m) => m.text);

test('a moderator deletes another member\'s message for everyone; a member cannot', () => {
  const room = founded();
  const bobs = room.write('bob', { type: 'message', text: 'spam' });
  const other = room.write('bob', { type: 'message', text: 'fine' });
  room.write('mod', { type: 'delete', target: other.id }); // not yet a moderator
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  room.write('mod', { type: 'delete', target: bobs.id });
  const state = room.state();
  assert.deepEqual(shown(state), ['fine']);
  assert.equal(state.messages.find((m) => m.id === bobs.id).removedBy, room.id('mod'));
  const lines = state.timeline.filter((m) => m.event?.type === 'role');
  assert.deepEqual(lines.map((m) => [m.author, m.event.member, m.event.role]), [[room.id('ada'), room.id('mod'), 'moderator']]);
});

test('in a room without a founder a delete counts only from the message\'s author, as before', () => {
  const room = founded(false);
  const bobs = room.write('bob', { type: 'message', text: 'mine' });
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  room.write('mod', { type: 'delete', target: bobs.id });
  assert.deepEqual(shown(room.state()), ['mine']);
  assert.equal(room.state().timeline.some((m) => m.event?.type === 'role'), false);
});

test('only an admin changes the settings and the name of a founded room', () => {
  const room = founded();
  room.write('bob', { type: 'settings', posting: 'moderators' });
  room.write('bob', { type: 'room', name: 'Bob\'s now' });
  let state = room.state();
  assert.equal(state.settings.posting, 'everyone');
  assert.equal(state.roomName, null);
  room.write('ada', { type: 'settings', description: 'About us', slowMode: 10 });
  room.write('ada', { type: 'room', name: 'Ours' });
  state = room.state();
  assert.deepEqual({ ...state.settings }, { description: 'About us', posting: 'everyone', slowMode: 10, disappear: 0 });
  assert.equal(state.roomName, 'Ours');
  assert.equal(state.timeline.filter((m) => m.event?.type === 'settings').length, 1);
});

test('"moderators only": members\' messages and files from then on count for nobody; moderators still post', () => {
  const room = founded();
  room.write('bob', { type: 'message', text: 'before' });
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  room.write('ada', { type: 'settings', posting: 'moderators' });
  const late = room.write('bob', { type: 'message', text: 'after' });
  room.write('bob', {
    type: 'file', name: 'a.txt', size: 1, mime: 'text/plain', chunk: 131072, root: late.id, key: late.id,
  });
  room.write('mod', { type: 'message', text: 'from a moderator' });
  room.write('ada', { type: 'settings', posting: 'everyone' });
  room.write('bob', { type: 'message', text: 'open again' });
  const state = room.state();
  assert.deepEqual(shown(state), ['before', 'from a moderator', 'open again']);
  assert.deepEqual(state.refused.map((r) => r.reason), ['moderators_only', 'moderators_only']);
  assert.equal(state.files.size, 0);
});

test('slow mode: one post per N seconds per member, counted from the author\'s timestamps; moderators are exempt', () => {
  const room = founded();
  room.write('ada', { type: 'settings', slowMode: 30 });
  room.write('bob', { type: 'message', text: 'one' }, T0);
  room.write('bob', { type: 'message', text: 'too soon' }, T0 + 29_999);
  room.write('bob', { type: 'message', text: 'two' }, T0 + 30_000);
  room.write('bob', { type: 'message', text: 'backdated' }, T0 - 60_000);
  room.write('ada', { type: 'message', text: 'admin 1' }, T0 + 1);
  room.write('ada', { type: 'message', text: 'admin 2' }, T0 + 2);
  const state = room.state();
  assert.deepEqual(shown(state), ['one', 'two', 'admin 1', 'admin 2']);
  assert.deepEqual(state.refused.map((r) => r.reason), ['slow_mode', 'slow_mode']);
});

test('a file offer deleted by a moderator, or by its author, is no longer offered; by a member it stays', () => {
  const room = founded();
  const file = (name, root) => ({ type: 'file', name, size: 1, mime: 'text/plain', chunk: 131072, root, key: root });
  const roots = ['spam', 'mine', 'kept'].map((_, i) => room.write('ada', { type: 'message', text: `root ${i}` }).id);
  const spam = room.write('bob', file('spam.exe', roots[0]));
  const own = room.write('bob', file('old.txt', roots[1]));
  const kept = room.write('ada', file('kept.txt', roots[2]));
  room.write('ada', { type: 'role', member: room.id('mod'), role: 'moderator' });
  room.write('mod', { type: 'delete', target: spam.id });
  room.write('bob', { type: 'delete', target: own.id });
  room.write('bob', { type: 'delete', target: kept.id }); // not his, and he is no moderator
  const state = room.state();
  assert.deepEqual([...state.files.keys()], [roots[2]]);
  const byId = new Map(state.messages.map((m) => [m.id, m]));
  assert.equal(byId.get(spam.id).deleted, true);
  assert.equal(byId.get(spam.id).removedBy, room.id('mod'));
  assert.equal(byId.get(own.id).deleted, true);
  assert.equal(byId.get(own.id).removedBy, undefined);
  assert.equal(byId.get(kept.id).deleted, false);
});

test('the disappearing timer: an admin sets it in a founded room, anyone in a room without a founder', () => {
  const room = founded();
  room.write('bob', { type: 'settings', disappear: 300 });
  assert.equal(room.state().settings.disappear, 0);
  room.write('ada', { type: 'settings', disappear: 3600 });
  const state = room.state();
  assert.equal(state.settings.disappear, 3600);
  assert.deepEqual(state.timeline.filter((m) => m.event?.type === 'settings').map((m) => m.event.changed), [['disappear']]);

  const open = founded(false);
  open.write('bob', { type: 'settings', disappear: 86_400 });
  // Only the timer: a room without a founder has no other setting.
  open.write('bob', { type: 'settings', posting: 'moderators', slowMode: 60 });
  open.write('bob', { type: 'settings', description: 'x', disappear: 300 });
  const openState = open.state();
  assert.deepEqual({ ...openState.settings }, { description: '', posting: 'everyone', slowMode: 0, disappear: 300 });
  assert.deepEqual(openState.timeline.filter((m) => m.event?.type === 'settings').map((m) => m.event.changed), [['disappear'], ['disappear']]);
});

test('an expired message shows nowhere, and a reply to it says so', () => {
  const room = founded(false);
  const gone = room.log.append(createIdentityFor(room, 'bob'), { ts: T0, type: 'message', text: 'secret' }, { expires: T0 + 1 });
  room.write('ada', { type: 'message', text: 'answer', reply: gone.id });
  room.write('bob', { type: 'reaction', target: gone.id, emoji: '👍', on: true });
  room.log.expire(T0 + 1);
  const state = room.state();
  assert.deepEqual(state.timeline.map((m) => m.text), ['answer']);
  assert.deepEqual(state.messages[0].reply, { id: gone.id, author: null, text: null, deleted: false, expired: true });
  assert.ok(state.members.has(room.id('bob')));
});
