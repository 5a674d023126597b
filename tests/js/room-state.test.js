// The room's view model (docs/protocol.md §7 "no effect" rules, §8 order), built from
// plain records: buildRoomState reads fields only, so no crypto is needed here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { buildRoomState } from '../../static/app/room/room-state.js';

const key = (byte) => toBase64Url(new Uint8Array(32).fill(byte));
const entryIdFor = (n) => {
  const bytes = new Uint8Array(32).fill(0xee);
  new DataView(bytes.buffer).setUint32(0, n);
  return toBase64Url(bytes);
};
const ADA = key(1);
const BOB = key(2);
const CYD = key(3);

// A tiny room history: each helper appends one record with the next clock.
function history() {
  const records = [];
  const seqs = new Map();
  let clock = 0;
  let n = 0;
  const add = (author, body, at = ++clock) => {
    const seq = seqs.get(author) ?? 0;
    seqs.set(author, seq + 1);
    const id = entryIdFor(n++);
    records.push({ id, author, seq, prev: null, bytes: null, clock: at, ts: 1000 + at, body: { ...body, clock: at } });
    return id;
  };
  return {
    records,
    say: (author, text, reply) => add(author, { type: 'message', text, ...(reply ? { reply } : {}) }),
    edit: (author, target, text) => add(author, { type: 'edit', target, text }),
    remove: (author, target) => add(author, { type: 'delete', target }),
    react: (author, target, emoji, on = true) => add(author, { type: 'reaction', target, emoji, on }),
    name: (author, name, type = 'name') => add(author, { type, name }),
    at: add,
  };
}

test('messages come in room order with their author, time and clock', () => {
  const h = history();
  h.name(ADA, 'Ada', 'join');
  const hello = h.say(ADA, 'hello');
  h.say(BOB, 'hi', hello);
  const { messages, names, members } = buildRoomState([...h.records].reverse(), { selfId: ADA });
  assert.deepEqual(messages.map((m) => m.text), ['hello', 'hi']);
  assert.deepEqual(messages[0], {
    id: hello, author: ADA, ts: 1002, clock: 2, text: 'hello', edited: false, deleted: false,
    reply: null, reactions: [], expires: null,
  });
  assert.deepEqual(messages[1].reply, { id: hello, author: ADA, text: 'hello', deleted: false });
  assert.deepEqual([...names], [[ADA, 'Ada']]);
  assert.deepEqual([...members], [ADA, BOB]);
});

test('only the author edits or deletes, only messages, latest edit wins, delete beats edits', () => {
  const h = history();
  const adas = h.say(ADA, 'draft');
  const bobs = h.say(BOB, 'bob here');
  const join = h.name(ADA, 'Ada', 'join');
  h.edit(ADA, adas, 'second');
  h.edit(BOB, adas, 'hijacked');
  h.remove(BOB, adas);
  h.edit(ADA, adas, 'final');
  h.edit(ADA, join, 'not a message');
  h.remove(ADA, bobs);
  h.edit(BOB, bobs, 'bob edited');
  const { messages } = buildRoomState(h.records);
  assert.deepEqual(messages.map((m) => [m.text, m.edited, m.deleted]), [
    ['final', true, false], ['bob edited', true, false],
  ]);
  const reply = h.say(CYD, 'quoting', adas);
  h.remove(ADA, adas);
  h.edit(ADA, adas, 'after the delete');
  const later = buildRoomState(h.records).messages;
  assert.deepEqual(later.map((m) => [m.text, m.deleted]), [[null, true], ['bob edited', false], ['quoting', false]]);
  assert.deepEqual(later.find((m) => m.id === reply).reply, { id: adas, author: ADA, text: null, deleted: true });
});

test('an edit applies whatever its clock says about its target', () => {
  const h = history();
  const target = h.say(ADA, 'original');
  h.at(ADA, { type: 'edit', target, text: 'edited' }, 0.5);
  assert.equal(buildRoomState(h.records).messages[0].text, 'edited');
});

test('reactions: the last word per author and emoji counts', () => {
  const h = history();
  const msg = h.say(ADA, 'vote');
  h.react(BOB, msg, '👍');
  h.react(CYD, msg, '👍');
  h.react(ADA, msg, '🎉');
  h.react(BOB, msg, '👍', false);
  h.react(BOB, msg, '👍');
  h.react(CYD, msg, '👍', false);
  h.react(ADA, msg, '❤️', false);
  const join = h.name(BOB, 'Bob', 'join');
  h.react(ADA, join, '👍');
  const [message] = buildRoomState(h.records, { selfId: ADA }).messages;
  assert.deepEqual(message.reactions, [
    { emoji: '👍', count: 1, mine: false, authors: [BOB] },
    { emoji: '🎉', count: 1, mine: true, authors: [ADA] },
  ]);
  h.remove(ADA, msg);
  assert.deepEqual(buildRoomState(h.records).messages[0].reactions, [], 'hidden with the message');
});

test('names: the latest name or join per author; replies to unknown entries say so', () => {
  const h = history();
  h.name(ADA, 'Ada', 'join');
  h.name(ADA, 'Ada L.');
  h.name(BOB, 'Bob', 'join');
  const unknown = key(250);
  h.say(BOB, 're?', unknown);
  const join = h.records[0].id;
  h.say(CYD, 're join', join);
  const { names, messages } = buildRoomState(h.records);
  assert.deepEqual(Object.fromEntries(names), { [ADA]: 'Ada L.', [BOB]: 'Bob' });
  for (const [message, id] of [[messages[0], unknown], [messages[1], join]]) {
    assert.deepEqual(message.reply, { id, author: null, text: null, deleted: false });
  }
});

test('mailboxes: the latest mailbox entry per member counts, and none is a message', () => {
  const h = history();
  h.name(ADA, 'Ada', 'join');
  h.at(ADA, { type: 'mailbox', mailbox: key(100), notify: 'all' }, 5);
  h.at(BOB, { type: 'mailbox', mailbox: key(101), notify: 'mentions' }, 6);
  // Records come in any order; room order (clock first) decides which is latest.
  h.at(ADA, { type: 'mailbox', mailbox: key(100), notify: 'none' }, 9);
  h.at(BOB, { type: 'mailbox', mailbox: key(102), notify: 'all' }, 7);
  const { mailboxes, messages, members } = buildRoomState(h.records);
  assert.deepEqual(Object.fromEntries(mailboxes), {
    [ADA]: { mailbox: key(100), notify: 'none' },
    [BOB]: { mailbox: key(102), notify: 'all' },
  });
  assert.equal(messages.length, 0, 'mailbox entries are not chat messages');
  assert.deepEqual([...members], [ADA, BOB]);
});

test('10,000 entries of every kind build in one pass', () => {
  const h = history();
  // 21 authors and 5 kinds are coprime: every author writes every kind.
  const authors = Array.from({ length: 21 }, (_, i) => key(10 + i));
  const own = new Map(authors.map((author) => [author, []]));
  for (let i = 0; i < 10_000; i++) {
    const author = authors[i % authors.length];
    const mine = own.get(author);
    const kind = i % 5;
    if (kind === 0 || mine.length === 0) mine.push(h.say(author, `m${i}`));
    else if (kind === 1) h.edit(author, mine.at(-1), `e${i}`);
    else if (kind === 2) h.react(author, own.get(authors[(i + 1) % 21]).at(-1) ?? mine[0], '👍');
    else if (kind === 3) h.name(author, `n${i}`);
    else h.remove(author, mine[0]);
  }
  const { messages, names, members } = buildRoomState(h.records, { selfId: authors[0] });
  assert.equal(members.size, 21);
  assert.equal(names.size, 21);
  assert.ok(messages.length >= 2000);
  for (let i = 1; i < messages.length; i++) assert.ok(messages[i - 1].clock < messages[i].clock);
});

test('the entries of a call make one history item: text null, `call` its summary, nothing changes it', () => {
  const h = history();
  const CALL = toBase64Url(new Uint8Array(16).fill(7));
  const started = h.at(ADA, { type: 'call', call: CALL, event: 'started', video: true });
  const joined = h.at(BOB, { type: 'call', call: CALL, event: 'joined', video: true });
  h.at(BOB, { type: 'call', call: CALL, event: 'joined', video: true });
  const ended = h.at(ADA, { type: 'call', call: CALL, event: 'ended', video: true, duration: 185_000 });
  h.at(BOB, { type: 'call', call: CALL, event: 'ended', video: true, duration: 184_000 });
  h.edit(ADA, started, 'not a message');
  h.remove(ADA, started);
  h.remove(BOB, joined);
  h.react(BOB, started, '👍');
  h.say(BOB, 'that was quick', ended);
  const { messages, members } = buildRoomState(h.records, { selfId: ADA });
  assert.deepEqual(messages.map((m) => m.text), [null, 'that was quick']);
  assert.deepEqual(messages[0], {
    id: started, author: ADA, ts: 1001, clock: 1, text: null, edited: false, deleted: false, reply: null, reactions: [],
    call: { call: CALL, video: true, starter: ADA, startedAt: 1001, joined: [BOB], ended: true, duration: 185_000 },
  });
  assert.deepEqual(messages[1].reply, { id: ended, author: null, text: null, deleted: false });
  assert.deepEqual([...members], [ADA, BOB]);
});

test('a call is on until an `ended` entry is held, and summarised from what is held', () => {
  const h = history();
  const FIRST = toBase64Url(new Uint8Array(16).fill(7));
  const SECOND = toBase64Url(new Uint8Array(16).fill(8));
  const joined = h.at(BOB, { type: 'call', call: FIRST, event: 'joined', video: false });
  h.at(ADA, { type: 'call', call: SECOND, event: 'started', video: true });
  h.say(ADA, 'between');
  const { messages } = buildRoomState(h.records, { selfId: ADA });
  assert.deepEqual(messages.map((m) => m.call?.call ?? m.text), [FIRST, SECOND, 'between']);
  assert.equal(messages[0].id, joined);
  assert.deepEqual(messages[0].call, {
    call: FIRST, video: false, starter: null, startedAt: null, joined: [BOB], ended: false, duration: null,
  });
  assert.deepEqual(messages[1].call, {
    call: SECOND, video: true, starter: ADA, startedAt: 1002, joined: [], ended: false, duration: null,
  });
});

test('the timeline is the messages with, in their place, who joined', () => {
  const h = history();
  const adaJoined = h.name(ADA, 'Ada', 'join');
  const hello = h.say(ADA, 'hello');
  const bobJoined = h.name(BOB, 'Bob', 'join');
  h.react(BOB, bobJoined, '👍');
  h.remove(BOB, bobJoined);
  const { messages, timeline } = buildRoomState(h.records, { selfId: ADA });
  assert.deepEqual(messages.map((m) => m.id), [hello]);
  assert.deepEqual(timeline.map((m) => [m.id, m.author, m.event?.type ?? null]), [
    [adaJoined, ADA, 'join'], [hello, ADA, null], [bobJoined, BOB, 'join'],
  ]);
  assert.equal(timeline[2].deleted, false, 'nothing changes a join');
  assert.deepEqual(timeline[2].reactions, []);
});

test('read receipts: the highest upTo of each author, and no message of their own', () => {
  const h = history();
  h.say(ADA, 'one');
  h.at(BOB, { type: 'read', upTo: 5 });
  h.at(BOB, { type: 'read', upTo: 3 });
  const { messages, timeline, readUpTo } = buildRoomState(h.records, { selfId: ADA });
  assert.deepEqual([...readUpTo], [[BOB, 5]]);
  assert.equal(messages.length, 1);
  assert.equal(timeline.length, 1);
});

test('the room name is the latest room entry in room order; a leave counts until a later join', () => {
  const h = history();
  h.name(ADA, 'Ada', 'join');
  h.at(BOB, { type: 'room', name: 'Second' }, 5);
  h.at(ADA, { type: 'room', name: 'First' }, 3);
  h.at(BOB, { type: 'leave' }, 6);
  h.at(ADA, { type: 'leave' }, 7);
  h.at(ADA, { type: 'join', name: 'Ada' }, 8); // back
  const { roomName, left, timeline } = buildRoomState(h.records, { selfId: ADA });
  assert.equal(roomName, 'Second', 'the latest clock, not the latest to arrive');
  assert.deepEqual([...left], [BOB]);
  assert.deepEqual(timeline.map((m) => m.event), [
    { type: 'join' }, { type: 'room', name: 'First' }, { type: 'room', name: 'Second' }, { type: 'leave' }, { type: 'leave' }, { type: 'join' },
  ]);
});
