// Version 2 entries (docs/protocol.md §7 "Disappearing messages"): an entry that expires,
// and the stub that stays of it, which still verifies and keeps the entry's id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import {
  createEntry, decryptEntryBody, entryExpiry, entryId, entryStub, MAX_EXPIRY_MS, openEntry, STUB_BYTES,
  verifyEntrySignature,
} from '../../static/app/room/entry.js';
import { handBuiltExpiringEntry, sodium } from './hand-built.js';
import { assertRejected } from './room-fixture.js';

const room = deriveRoomKeys(newRoomSecret());
const alice = createIdentity();
const TS = 1_700_000_000_000;
const message = (text, ts = TS) => ({ type: 'message', ts, clock: 1, text });
const write = (overrides = {}) => createEntry({
  identity: alice, seq: 0, body: message('soon gone'), messageKey: room.messageKey,
  discoveryKey: room.discoveryKey, expires: TS + 300_000, ...overrides,
});

test('an expiring entry opens, and its stub verifies with the same id', () => {
  const { bytes, id } = write();
  assert.equal(bytes[0], 2);
  assert.equal(entryExpiry(bytes), TS + 300_000);
  assert.equal(openEntry(bytes, room).body.text, 'soon gone');
  const stub = entryStub(bytes);
  assert.equal(stub.length, STUB_BYTES);
  assert.equal(STUB_BYTES, 205);
  assert.deepEqual(entryId(stub), id);
  assert.deepEqual(verifyEntrySignature(stub, room.discoveryKey), {
    author: alice.publicKey, seq: 0, prev: new Uint8Array(32), id, expires: TS + 300_000, stub: true,
  });
  assert.equal(verifyEntrySignature(bytes, room.discoveryKey).stub, false);
  // A stub holds nothing of the body, so nothing opens.
  assertRejected(() => decryptEntryBody(stub, room.messageKey), 'undecryptable');
  const text = new TextDecoder('latin1').decode(stub);
  assert.ok(!text.includes('soon gone'));
});

test('a hand-built version 2 entry opens: the layout is the documented one', () => {
  const { bytes, stub } = handBuiltExpiringEntry({
    identity: alice, seq: 2, prev: new Uint8Array(32).fill(4),
    bodyBytes: utf8Encode(JSON.stringify(message('by hand'))), expires: TS + 3_600_000, ...room,
  });
  assert.equal(openEntry(bytes, room).body.text, 'by hand');
  assert.deepEqual(entryStub(bytes), stub);
  assert.deepEqual(entryId(bytes), sodium.crypto_generichash(32, stub, null));
  // The written entry has the same layout: its stub is its first 141 bytes and signature.
  const written = write();
  assert.deepEqual(entryStub(written.bytes), new Uint8Array([
    ...written.bytes.subarray(0, 141), ...written.bytes.subarray(written.bytes.length - 64)]));
});

test('a changed ciphertext, hash, expiry or length is caught', () => {
  const { bytes } = write();
  const flip = (at) => {
    const copy = bytes.slice();
    copy[at] ^= 1;
    return copy;
  };
  assertRejected(() => openEntry(flip(150), room), 'malformed'); // ciphertext: its hash differs
  assertRejected(() => openEntry(flip(120), room), 'malformed'); // the hash
  assertRejected(() => openEntry(flip(104), room), 'bad_signature'); // expires
  assertRejected(() => openEntry(flip(108), room), 'malformed'); // C
  const stub = entryStub(bytes);
  const badStub = stub.slice();
  badStub[100] ^= 1;
  assertRejected(() => verifyEntrySignature(badStub, room.discoveryKey), 'bad_signature');
  const zeroExpiry = handBuiltExpiringEntry({
    identity: alice, bodyBytes: utf8Encode(JSON.stringify(message('x'))), expires: 0, ...room,
  });
  assertRejected(() => openEntry(zeroExpiry.bytes, room), 'malformed');
});

test('only messages, edits, reactions and files expire, at most 4 weeks after they were written', () => {
  const build = (body, expires) => handBuiltExpiringEntry({
    identity: alice, bodyBytes: utf8Encode(JSON.stringify(body)), expires, ...room,
  }).bytes;
  assert.equal(openEntry(build(message('x'), TS + MAX_EXPIRY_MS), room).body.text, 'x');
  assertRejected(() => openEntry(build(message('x'), TS + MAX_EXPIRY_MS + 1), room), 'malformed');
  assertRejected(() => openEntry(build({ type: 'name', ts: TS, clock: 1, name: 'Ada' }, TS + 1), room), 'malformed');
  assert.equal(openEntry(build({ type: 'reaction', ts: TS, clock: 1, target: 'A'.repeat(43), emoji: '👍', on: true }, TS + 1), room).body.emoji, '👍');
  // The writer refuses the same.
  assertRejected(() => write({ expires: TS + MAX_EXPIRY_MS + 1 }), 'malformed');
  assertRejected(() => write({ body: { type: 'leave', ts: TS, clock: 1 } }), 'malformed');
});
