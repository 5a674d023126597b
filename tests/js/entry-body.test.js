// The entry bodies of docs/protocol.md §7: one schema per type, exact key sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { CALL_EVENTS, ENTRY_TYPES, isEntryBody, isIdText } from '../../static/app/room/entry-body.js';

import { FIXTURES as PAYMENT_FIXTURES } from './payment-fixture.js';
const ID = toBase64Url(Uint8Array.from({ length: 32 }, (_, i) => i));
const CALL = toBase64Url(Uint8Array.from({ length: 16 }, (_, i) => 200 + i));
const base = { ts: 1_700_000_000_000, clock: 1 };
const valid = {
  message: { type: 'message', ...base, text: 'hi' },
  reply: { type: 'message', ...base, text: 'hi', reply: ID },
  edit: { type: 'edit', ...base, target: ID, text: 'fixed' },
  delete: { type: 'delete', ...base, target: ID },
  reaction: { type: 'reaction', ...base, target: ID, emoji: '👍🏽', on: true },
  unreaction: { type: 'reaction', ...base, target: ID, emoji: '👍', on: false },
  name: { type: 'name', ...base, name: 'Ada' },
  join: { type: 'join', ...base, name: 'Ada' },
  mailbox: { type: 'mailbox', ...base, mailbox: ID, notify: 'all' },
  file: { type: 'file', ...base, name: 'photo.png', size: 1024, mime: 'image/png', chunk: 131072, root: ID, key: ID },
  call: { type: 'call', ...base, call: CALL, event: 'started', video: true },
  callEnded: { type: 'call', ...base, call: CALL, event: 'ended', video: false, duration: 185_000 },
  room: { type: 'room', ...base, name: 'Weekend plans' },
  leave: { type: 'leave', ...base },
  read: { type: 'read', ...base, upTo: 12 },
  role: { type: 'role', ...base, member: ID, role: 'moderator' },
  remove: { type: 'remove', ...base, member: ID, upTo: 0 },
  settings: { type: 'settings', ...base, description: 'About us', posting: 'moderators', slowMode: 30 },
  settingsOne: { type: 'settings', ...base, slowMode: 0 },
  settingsNoDescription: { type: 'settings', ...base, description: '' },
  timer: { type: 'settings', ...base, disappear: 3600 },
  device: { type: 'device', ...base, identity: ID, created: 5, cert: `${'A'.repeat(85)}g`, name: 'Laptop' },
  revoke: { type: 'revoke', ...base, device: ID, upTo: 3, created: 5, cert: `${'A'.repeat(85)}g` },
  // A bitcoin request of tests/vectors/payment-fixtures.json (payments-entry.test.js has the rest).
  payment: PAYMENT_FIXTURES.requests.accepted[1],
  paid: { type: 'paid', ...base, request: ID, txid: 'ab'.repeat(32) },
  paidProof: { type: 'paid', ...base, request: ID, preimage: 'cd'.repeat(32) },
  received: { type: 'received', ...base, request: ID },
};

test('every documented type has a valid body', () => {
  assert.deepEqual([...ENTRY_TYPES], ['message', 'edit', 'delete', 'reaction', 'name', 'join', 'mailbox', 'file', 'call', 'room', 'leave', 'read', 'role', 'remove', 'settings', 'revoke', 'device', 'payment', 'paid', 'received']);
  for (const [name, body] of Object.entries(valid)) assert.ok(isEntryBody(body), name);
});

test('type, ts and clock are required everywhere', () => {
  for (const body of Object.values(valid)) {
    for (const key of ['type', 'ts', 'clock']) {
      const { [key]: _, ...without } = body;
      assert.equal(isEntryBody(without), false, `${body.type} without ${key}`);
    }
    assert.equal(isEntryBody({ ...body, clock: 0 }), false);
    assert.equal(isEntryBody({ ...body, clock: 1.5 }), false);
    assert.equal(isEntryBody({ ...body, clock: 2 ** 53 }), false);
    assert.equal(isEntryBody({ ...body, clock: 2 ** 53 - 1 }), true);
    assert.equal(isEntryBody({ ...body, ts: -1 }), false);
    // A request lasts at most 30 days from its ts (§7 "Payments").
    assert.equal(isEntryBody({ ...body, ts: 0 }), body.type !== 'payment');
  }
});

test('no key beyond the listed ones, and every listed one is required', () => {
  for (const body of Object.values(valid)) {
    assert.equal(isEntryBody({ ...body, extra: 1 }), false, `${body.type} with an extra key`);
  }
  assert.equal(isEntryBody({ ...valid.edit, reply: ID }), false, 'reply is only for messages');
  assert.equal(isEntryBody({ ...valid.message, target: ID }), false);
  assert.equal(isEntryBody({ type: 'edit', ...base, target: ID }), false);
  assert.equal(isEntryBody({ type: 'reaction', ...base, target: ID, emoji: 'x' }), false);
  assert.equal(isEntryBody({ ...valid.message, reply: null }), false);
  assert.equal(isEntryBody({ ...valid.message, type: ['message'] }), false);
  assert.equal(isEntryBody({ ...valid.message, type: 'constructor' }), false);
  for (const value of [null, [], 'message', 7]) assert.equal(isEntryBody(value), false);
});

test('moderation and settings bodies take only their values', () => {
  for (const role of ['admin', 'moderator', 'member']) assert.ok(isEntryBody({ ...valid.role, role }));
  for (const role of ['owner', 'removed', '', null]) assert.equal(isEntryBody({ ...valid.role, role }), false);
  assert.equal(isEntryBody({ ...valid.role, member: 'someone' }), false);
  assert.equal(isEntryBody({ ...valid.remove, upTo: -1 }), false);
  assert.equal(isEntryBody({ ...valid.remove, upTo: 1.5 }), false);
  assert.equal(isEntryBody({ type: 'settings', ...base }), false, 'a settings entry changes something');
  assert.equal(isEntryBody({ ...valid.settings, posting: 'admins' }), false);
  assert.equal(isEntryBody({ ...valid.settings, slowMode: 86_401 }), false);
  assert.equal(isEntryBody({ ...valid.settings, slowMode: -1 }), false);
  assert.ok(isEntryBody({ ...valid.settings, description: '🎉'.repeat(500) }));
  assert.equal(isEntryBody({ ...valid.settings, description: 'a'.repeat(501) }), false);
  assert.equal(isEntryBody({ ...valid.settings, name: 'x' }), false, 'the name is a `room` entry');
});

test('texts, names and emoji count code points', () => {
  const withText = (text) => isEntryBody({ ...valid.message, text });
  assert.ok(withText('🎉'.repeat(4000)));
  assert.equal(withText('🎉'.repeat(4001)), false);
  assert.equal(withText(''), false);
  const withName = (name) => isEntryBody({ ...valid.name, name });
  assert.ok(withName('🎉'.repeat(64)));
  assert.equal(withName('a'.repeat(65)), false);
  assert.equal(withName(''), false);
  const withEmoji = (emoji) => isEntryBody({ ...valid.reaction, emoji });
  assert.ok(withEmoji('👍'.repeat(8)), '8 code points of 4 bytes are 32 bytes');
  assert.equal(withEmoji('a'.repeat(9)), false);
  assert.equal(withEmoji(''), false);
  assert.equal(isEntryBody({ ...valid.reaction, on: 1 }), false);
});

test('ids are 43 characters of canonical base64url', () => {
  assert.ok(isIdText(ID));
  assert.equal(isIdText(ID.slice(0, 42)), false);
  assert.equal(isIdText(`${ID}A`), false);
  assert.equal(isIdText(`${ID.slice(0, 42)}=`), false);
  // 32 bytes leave 2 spare bits in the last character; set, they spell the id again.
  assert.ok(isIdText(`${'A'.repeat(42)}E`));
  assert.equal(isIdText(`${'A'.repeat(42)}B`), false);
  assert.equal(isEntryBody({ ...valid.delete, target: `${'A'.repeat(42)}B` }), false);
  assert.equal(isIdText(7), false);
});

test('a mailbox entry names a 32-byte key and one of three levels', () => {
  for (const notify of ['all', 'mentions', 'none']) {
    assert.ok(isEntryBody({ ...valid.mailbox, notify }), notify);
  }
  for (const notify of ['All', '', null, true, ['all']]) {
    assert.equal(isEntryBody({ ...valid.mailbox, notify }), false, String(notify));
  }
  assert.equal(isEntryBody({ ...valid.mailbox, mailbox: ID.slice(0, 42) }), false);
  assert.equal(isEntryBody({ ...valid.mailbox, mailbox: `${'A'.repeat(42)}B` }), false);
  const { notify: _, ...withoutLevel } = valid.mailbox;
  assert.equal(isEntryBody(withoutLevel), false);
  assert.equal(isEntryBody({ ...valid.mailbox, text: 'x' }), false);
});

test('a file entry names the file, its size and type, the v1 chunk size, its root and key', () => {
  const withFields = (fields) => isEntryBody({ ...valid.file, ...fields });
  assert.ok(withFields({ mime: '' }), 'an unknown type is empty');
  assert.ok(withFields({ size: 0 }), 'an empty file');
  assert.ok(withFields({ size: 2 ** 41 }), 'the largest: 2^24 chunks');
  assert.ok(withFields({ name: '🎉'.repeat(255) }));
  assert.ok(withFields({ mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }));
  assert.ok(withFields({ mime: `a/${'b'.repeat(125)}` }), '127 characters');
  for (const fields of [
    { name: '' }, { name: 'a'.repeat(256) }, { size: -1 }, { size: 1.5 }, { size: 2 ** 41 + 1 }, { size: 2 ** 53 }, { size: '1' },
    { mime: 'text/plain; charset=utf-8' }, { mime: 'image' }, { mime: '/png' }, { mime: `a/${'b'.repeat(126)}` },
    { mime: null }, { chunk: 65536 }, { chunk: '131072' }, { root: ID.slice(0, 42) }, { key: `${'A'.repeat(42)}B` },
    { text: 'x' },
  ]) {
    assert.equal(withFields(fields), false, JSON.stringify(fields).slice(0, 60));
  }
  for (const key of ['name', 'size', 'mime', 'chunk', 'root', 'key']) {
    const { [key]: _, ...without } = valid.file;
    assert.equal(isEntryBody(without), false, `without ${key}`);
  }
});

test('a call entry names a 16-byte call id, an event, voice or video, and a duration once ended', () => {
  assert.deepEqual([...CALL_EVENTS], ['started', 'joined', 'ended']);
  assert.equal(CALL.length, 22);
  const withFields = (fields, from = valid.call) => isEntryBody({ ...from, ...fields });
  assert.ok(withFields({ event: 'joined', video: false }));
  for (const duration of [0, 1, 86_400_000]) assert.ok(withFields({ duration }, valid.callEnded), String(duration));
  // 16 bytes leave 4 spare bits in the last character: only A, Q, g and w keep them zero.
  for (const last of 'AQgw') assert.ok(withFields({ call: `${'A'.repeat(21)}${last}` }), last);
  for (const fields of [
    { call: CALL.slice(0, 21) }, { call: `${CALL}A` }, { call: ID }, { call: `${'A'.repeat(21)}B` },
    { call: `${'A'.repeat(21)}E` }, { call: `${'A'.repeat(20)}+A` }, { call: `${CALL.slice(0, 21)}=` }, { call: null },
    { event: 'ringing' }, { event: 'Started' }, { event: '' }, { event: ['started'] }, { video: 'true' }, { video: 1 },
    { duration: 1000 }, { text: 'x' }, { extra: 1 },
  ]) {
    assert.equal(withFields(fields), false, JSON.stringify(fields));
  }
  for (const duration of [-1, 1.5, 86_400_001, 2 ** 53, '1000', null]) {
    assert.equal(withFields({ duration }, valid.callEnded), false, `duration ${duration}`);
  }
  const { duration: _, ...endedWithoutDuration } = valid.callEnded;
  assert.equal(isEntryBody(endedWithoutDuration), false, 'an ended call says how long it was');
  assert.equal(withFields({ event: 'joined', duration: 5 }), false, 'duration only on ended');
  for (const key of ['call', 'event', 'video']) {
    const { [key]: __, ...without } = valid.call;
    assert.equal(isEntryBody(without), false, `without ${key}`);
  }
});

test('a file entry may name chunk format 2 or a later one up to 255, not 1 (the offers of tests/interop/vectors.json)', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileOffers } = JSON.parse(readFileSync(new URL('../interop/vectors.json', import.meta.url)));
  for (const body of fileOffers.valid) assert.ok(isEntryBody(body), JSON.stringify(body));
  for (const body of fileOffers.invalid) assert.equal(isEntryBody(body), false, JSON.stringify(body));
  for (const format of [2, 3, 255]) assert.ok(withFileFormat(format), String(format));
  for (const format of [1, 0, 256, '2', true, null, 2.5]) assert.equal(withFileFormat(format), false, String(format));
});

function withFileFormat(format) {
  return isEntryBody({ ...valid.file, format });
}

test('a device entry carries a whole signature, and a timer only the timers there are', () => {
  for (const cert of [`${'A'.repeat(85)}h`, 'A'.repeat(86 - 1), `${'A'.repeat(86)}A`, 7]) {
    assert.equal(isEntryBody({ ...valid.device, cert }), false, String(cert));
  }
  assert.equal(isEntryBody({ ...valid.device, name: '' }), false);
  assert.equal(isEntryBody({ ...valid.device, created: -1 }), false);
  for (const disappear of [1, 60, 299, 301, true, '300']) assert.equal(isEntryBody({ ...valid.timer, disappear }), false);
});
