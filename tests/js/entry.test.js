// Room entries (docs/protocol.md §7): Alice writes, Bob reads, a blind mirror verifies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import {
  createEntry, ENTRY_REJECT_CODES, entryId, MAX_ENTRY_BYTES, openEntry, verifyEntrySignature,
} from '../../static/app/room/entry.js';
import { handBuiltEntry, sodium } from './hand-built.js';
import { assertRejected } from './room-fixture.js';

const room = deriveRoomKeys(newRoomSecret());
const otherRoom = deriveRoomKeys(newRoomSecret());
const alice = createIdentity();
const message = (text, ts = 1_700_000_000_000) => ({ type: 'message', ts, clock: 1, text });
const write = (overrides = {}) => createEntry({
  identity: alice, seq: 0, body: message('hello'), messageKey: room.messageKey,
  discoveryKey: room.discoveryKey, ...overrides,
});

test('an entry opens with the room keys and chains to the previous one', () => {
  const first = write();
  const second = write({ seq: 1, prev: first.id, body: message('again 🎉') });
  const opened = openEntry(second.bytes, room);
  assert.deepEqual(opened.author, alice.publicKey);
  assert.equal(opened.seq, 1);
  assert.deepEqual(opened.prev, first.id);
  assert.deepEqual(opened.id, second.id);
  assert.deepEqual(opened.body, message('again 🎉'));
  assert.deepEqual(openEntry(first.bytes, room).prev, new Uint8Array(32));
  assert.deepEqual(second.id, sodium.crypto_generichash(32, second.bytes, null));
  assert.deepEqual(entryId(second.bytes), second.id);
});

test('the bytes follow the documented layout', () => {
  const { bytes } = write({ seq: 258, prev: new Uint8Array(32).fill(9) });
  assert.equal(bytes[0], 1);
  assert.deepEqual(bytes.slice(1, 33), alice.publicKey);
  assert.deepEqual([...bytes.slice(33, 41)], [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(bytes.slice(41, 73), new Uint8Array(32).fill(9));
  const bodyLength = utf8Encode(JSON.stringify(message('hello'))).length;
  assert.equal(new DataView(bytes.buffer).getUint32(97), bodyLength + 16);
  assert.equal(bytes.length, 101 + bodyLength + 16 + 64);
});

test('a blind mirror verifies an entry with the discovery key alone', () => {
  const { bytes, id } = write();
  const verified = verifyEntrySignature(bytes, room.discoveryKey);
  assert.deepEqual(verified, { author: alice.publicKey, seq: 0, prev: new Uint8Array(32), id, expires: null, stub: false });
});

test('a hand-built entry opens, so the layout is the documented one', () => {
  const bytes = handBuiltEntry({
    identity: alice, seq: 3, prev: new Uint8Array(32).fill(1),
    bodyBytes: utf8Encode(JSON.stringify(message('by hand'))), ...room,
  });
  assert.equal(openEntry(bytes, room).body.text, 'by hand');
});

test('a flipped bit in the ciphertext is bad_signature: the signature covers it', () => {
  const { bytes } = write();
  for (let offset = 101; offset < bytes.length - 64; offset++) {
    const tampered = bytes.slice();
    tampered[offset] ^= 1;
    assertRejected(() => openEntry(tampered, room), 'bad_signature');
  }
});

test('no single flipped bit anywhere lets an entry through', () => {
  const { bytes } = write();
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const tampered = bytes.slice();
    tampered[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => openEntry(tampered, room), (error) => ['malformed', 'bad_signature'].includes(error.code));
  }
});

test('an entry signed for another room is bad_signature', () => {
  const { bytes } = write({ discoveryKey: otherRoom.discoveryKey });
  assertRejected(() => openEntry(bytes, room), 'bad_signature');
  assertRejected(() => verifyEntrySignature(bytes, room.discoveryKey), 'bad_signature');
});

test('an entry under another message key is undecryptable', () => {
  const { bytes } = write({ messageKey: otherRoom.messageKey });
  assert.ok(verifyEntrySignature(bytes, room.discoveryKey));
  assertRejected(() => openEntry(bytes, room), 'undecryptable');
});

test('malformed lengths, versions and sequence numbers are malformed', () => {
  const { bytes } = write();
  const withLength = (c) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setUint32(97, c);
    return copy;
  };
  const withVersion = bytes.slice();
  withVersion[0] = 3;
  const withHugeSeq = bytes.slice();
  withHugeSeq.fill(0xff, 33, 41);
  for (const bad of [
    new Uint8Array(0), bytes.subarray(0, 164), bytes.subarray(0, bytes.length - 1),
    Uint8Array.from([...bytes, 0]), new Uint8Array(MAX_ENTRY_BYTES + 1), withLength(0),
    withLength(bytes.length), withLength(2 ** 32 - 1), withVersion, withHugeSeq, 'entry', null,
  ]) {
    assertRejected(() => openEntry(bad, room), 'malformed');
  }
  assert.equal(MAX_ENTRY_BYTES, 16605); // a version 2 entry's limit; version 1: 16,565
});

const badBodies = [
  'not json', '\ufeff{}', '[]', '{}', '{"type":"message","ts":1,"clock":1}',
  '{"type":"message","clock":1,"text":"x"}', '{"type":"message","ts":1,"text":"x"}',
  '{"type":"message","ts":1,"clock":1,"text":""}', '{"type":"note","ts":1,"clock":1,"text":"x"}',
  '{"type":"message","ts":1,"clock":1,"text":"x","extra":true}',
  '{"type":"message","ts":1.5,"clock":1,"text":"x"}', '{"type":"message","ts":-1,"clock":1,"text":"x"}',
  '{"type":"message","ts":"1","clock":1,"text":"x"}', '{"type":"message","ts":1,"clock":0,"text":"x"}',
  '{"type":"message","ts":9007199254740992,"clock":1,"text":"x"}',
  '{"type":"message","ts":1,"clock":1,"text":7}', '{"type":"message","ts":NaN,"clock":1,"text":"x"}',
  `{"type":"message","ts":1,"clock":1,"text":"${'a'.repeat(4001)}"}`,
];

test('bodies off the schema are malformed, after the signature and decryption pass', () => {
  for (const body of badBodies) {
    const bytes = handBuiltEntry({ identity: alice, bodyBytes: utf8Encode(body), ...room });
    assertRejected(() => openEntry(bytes, room), 'malformed');
  }
  const oversized = utf8Encode(JSON.stringify(message('x'.repeat(4000))).padEnd(16385, ' '));
  assertRejected(() => openEntry(handBuiltEntry({ identity: alice, bodyBytes: oversized, ...room }), room), 'malformed');
  const invalidUtf8 = handBuiltEntry({ identity: alice, bodyBytes: Uint8Array.of(0xff), ...room });
  assertRejected(() => openEntry(invalidUtf8, room), 'malformed');
});

test('text length counts code points: 4000 emoji fit, 4001 do not', () => {
  const text = '🎉'.repeat(4000);
  assert.equal(openEntry(write({ body: message(text) }).bytes, room).body.text, text);
  assertRejected(() => write({ body: message(`${text}🎉`) }), 'malformed');
});

test('the writer refuses what a reader would reject', () => {
  assertRejected(() => write({ body: message('') }), 'malformed');
  assertRejected(() => write({ body: { ...message('x'), edited: true } }), 'malformed');
  assertRejected(() => write({ body: message('"'.repeat(4000).replace(/"/g, '\u0001')) }), 'too_large');
  assertRejected(() => write({ seq: 0, prev: new Uint8Array(32).fill(1) }), 'broken_chain');
  assertRejected(() => write({ seq: 1 }), 'broken_chain');
  assert.deepEqual([...ENTRY_REJECT_CODES], [
    'malformed', 'bad_signature', 'fork', 'broken_chain', 'undecryptable', 'bad_clock', 'not_expired',
  ]);
});
