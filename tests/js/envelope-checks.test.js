// Receiver checks of docs/protocol.md §4, one story per check, in the documented order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import {
  ENVELOPE_REJECT_CODES, FRESHNESS_FUTURE_MS, FRESHNESS_PAST_MS, sealPlaintext,
} from '../../static/app/signaling/envelope.js';
import { handBuiltPlaintext } from './hand-built.js';
import { aliceAndBobInARoom, assertRejected } from './room-fixture.js';

const NOW = 1_700_000_000_000;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

test('the reason codes are the documented ones, in check order', () => {
  assert.deepEqual([...ENVELOPE_REJECT_CODES], [
    'malformed', 'undecryptable', 'bad_version', 'wrong_recipient', 'wrong_topic',
    'wrong_sender', 'not_member', 'bad_signature', 'stale', 'replay', 'identity_changed',
  ]);
});

test('1: a blob that is not base64url of a sealed size is malformed', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice();
  for (const bad of [
    '', blob.slice(1), `${blob}A`, `${blob}==`, blob.replace(/-/g, '+'), ` ${blob.slice(1)}`,
    toBase64Url(new Uint8Array(1071)), toBase64Url(new Uint8Array(2000)), 42, null,
  ]) {
    assertRejected(() => openAtBob(bad), 'malformed');
  }
});

test('1: non-canonical trailing bits are malformed, not a second spelling of the blob', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice(); // 1072 bytes leave 4 spare bits in the last character
  const sibling = blob.slice(0, -1) + BASE64URL_ALPHABET[BASE64URL_ALPHABET.indexOf(blob.at(-1)) ^ 1];
  assertRejected(() => openAtBob(sibling), 'malformed');
});

test('2: one flipped bit anywhere in the blob makes it undecryptable', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const sealed = fromBase64Url(sealFromAlice());
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const tampered = sealed.slice();
    tampered[bit >> 3] ^= 1 << (bit & 7);
    assertRejected(() => openAtBob(toBase64Url(tampered)), 'undecryptable');
  }
});

test('2: a blob sealed to another connection is undecryptable', () => {
  const { carol, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice({ recipientConnectionKey: carol.connection.publicKey });
  assertRejected(() => openAtBob(blob), 'undecryptable');
});

test('3: another version is bad_version', () => {
  const { bob, plaintextFromAlice, openAtBob } = aliceAndBobInARoom();
  const plaintext = plaintextFromAlice();
  plaintext[0] = 2;
  assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'bad_version');
});

test('4: a length beyond the plaintext or non-zero padding is malformed', () => {
  const { bob, plaintextFromAlice, openAtBob } = aliceAndBobInARoom();
  const tooLong = plaintextFromAlice();
  tooLong.set([0, 0, 0x04, 0x00], 153); // L = 1024
  const dirtyPadding = plaintextFromAlice();
  dirtyPadding[1023] = 1;
  for (const plaintext of [tooLong, dirtyPadding]) {
    assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'malformed');
  }
});

test('5: a blob sealed to Bob but addressed inside to Carol is wrong_recipient', () => {
  const { bob, carol, plaintextFromAlice, openAtBob } = aliceAndBobInARoom();
  const plaintext = plaintextFromAlice({ recipientConnectionKey: carol.connection.publicKey });
  assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'wrong_recipient');
});

test('6: an envelope for another topic than the frame is wrong_topic', () => {
  const { otherRoom, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  assertRejected(() => openAtBob(sealFromAlice(), { topic: otherRoom.discoveryKey }), 'wrong_topic');
});

test('7: a sender key other than the one announced for `from` is wrong_sender', () => {
  const { carol, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice();
  assertRejected(
    () => openAtBob(blob, { expectedSenderConnectionKey: carol.connection.publicKey }), 'wrong_sender');
});

test('8: an envelope made with another room\'s membership key is not_member', () => {
  const { otherRoom, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice({ membershipKey: otherRoom.membershipKey });
  assertRejected(() => openAtBob(blob), 'not_member');
  assertRejected(() => openAtBob(sealFromAlice(), { membershipKey: otherRoom.membershipKey }), 'not_member');
});

test('8: changing any byte of the body breaks the membership MAC', () => {
  const { bob, plaintextFromAlice, openAtBob } = aliceAndBobInARoom();
  for (const offset of [1, 20, 130, 140, 160]) { // identity, timestamp, nonce, payload
    const plaintext = plaintextFromAlice();
    plaintext[offset] ^= 1;
    assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'not_member');
  }
});

test('9: an altered signature is bad_signature', () => {
  const { bob, plaintextFromAlice, openAtBob } = aliceAndBobInARoom();
  const plaintext = plaintextFromAlice();
  const signatureStart = 157 + new DataView(plaintext.buffer).getUint32(153) + 32;
  plaintext[signatureStart] ^= 0x80;
  assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'bad_signature');
});

test('9: a member cannot speak for another identity', () => {
  const { alice, carol, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const impostor = { publicKey: alice.identity.publicKey, secretKey: carol.identity.secretKey };
  assertRejected(() => openAtBob(sealFromAlice({ identity: impostor })), 'bad_signature');
});

test('10: timestamps outside [now - 120 s, now + 30 s] are stale, the edges are fresh', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const openSentAt = (sentAt) => openAtBob(sealFromAlice({ now: sentAt }), { now: NOW });
  assertRejected(() => openSentAt(NOW - 10 * 60_000), 'stale');
  assertRejected(() => openSentAt(NOW - FRESHNESS_PAST_MS - 1), 'stale');
  assertRejected(() => openSentAt(NOW + FRESHNESS_FUTURE_MS + 1), 'stale');
  assert.equal(openSentAt(NOW - FRESHNESS_PAST_MS).timestamp, NOW - FRESHNESS_PAST_MS);
  assert.equal(openSentAt(NOW + FRESHNESS_FUTURE_MS).timestamp, NOW + FRESHNESS_FUTURE_MS);
});

test('11: the same blob twice is a replay; once it ages out it is stale', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice({ now: NOW });
  openAtBob(blob, { now: NOW });
  assertRejected(() => openAtBob(blob, { now: NOW + 1 }), 'replay');
  assertRejected(() => openAtBob(blob, { now: NOW + FRESHNESS_PAST_MS }), 'replay');
  assertRejected(() => openAtBob(blob, { now: NOW + FRESHNESS_PAST_MS + 1 }), 'stale');
});

test('11: a rejected envelope leaves nothing behind, so the genuine one still opens', () => {
  const { otherRoom, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const blob = sealFromAlice();
  assertRejected(() => openAtBob(blob, { topic: otherRoom.discoveryKey }), 'wrong_topic');
  assert.ok(openAtBob(blob));
});

const malformedPayloads = [
  '', 'not json', '\ufeff{"candidate":null}', '{"candidate":null} x', 'null', '[]', '{}',
  '{"candidate":NaN}', '{"candidate":null,"description":null}', '{"offer":"v=0"}',
  '{"description":{"type":"offer"}}', '{"description":{"type":"rollback","sdp":""}}',
  '{"description":{"type":"offer","sdp":"","extra":1}}', '{"description":{"type":"offer","sdp":1}}',
  '{"candidate":{}}', '{"candidate":{"candidate":1}}', '{"candidate":{"candidate":"","foo":1}}',
  '{"candidate":{"candidate":"","sdpMLineIndex":1.5}}', '{"candidate":{"candidate":"","sdpMLineIndex":-1}}',
  '{"candidate":{"candidate":"","sdpMLineIndex":65536}}', '{"candidate":{"candidate":"","sdpMid":0}}',
  '{"candidate":{"candidate":"","usernameFragment":false}}', '{"candidate":"c"}',
  '{"bye":"left"}', '{"bye":null}', '{"bye":"pruned","candidate":null}',
];

test('12: payloads of neither shape are malformed', () => {
  const { bob, fromAlice, openAtBob } = aliceAndBobInARoom();
  for (const payload of malformedPayloads) {
    const plaintext = handBuiltPlaintext({ ...fromAlice(), payloadBytes: utf8Encode(payload) });
    assertRejected(() => openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)), 'malformed');
  }
  const invalidUtf8 = handBuiltPlaintext({ ...fromAlice(), payloadBytes: Uint8Array.of(0xff) });
  assertRejected(() => openAtBob(sealPlaintext(invalidUtf8, bob.connection.publicKey)), 'malformed');
});

test('12: numbers that JSON spells differently are the same number', () => {
  const { bob, fromAlice, openAtBob } = aliceAndBobInARoom();
  const payloadBytes = utf8Encode('{"candidate":{"candidate":"","sdpMLineIndex":1.0e0}}');
  const plaintext = handBuiltPlaintext({ ...fromAlice(), payloadBytes });
  assert.equal(openAtBob(sealPlaintext(plaintext, bob.connection.publicKey)).payload.candidate.sdpMLineIndex, 1);
});

test('the first failed check decides the code', () => {
  const { otherRoom, carol, sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const staleFromAnotherRoom = sealFromAlice({ now: NOW - 600_000, membershipKey: otherRoom.membershipKey });
  assertRejected(() => openAtBob(staleFromAnotherRoom, {
    now: NOW, topic: otherRoom.discoveryKey, expectedSenderConnectionKey: carol.connection.publicKey,
  }), 'wrong_topic');
  assertRejected(() => openAtBob(staleFromAnotherRoom, { now: NOW }), 'not_member');
});
