import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import {
  ENVELOPE_BUCKETS, MAX_PAYLOAD_BYTES, SEALED_SIZES, sealPlaintext,
} from '../../static/app/signaling/envelope.js';
import { handBuiltPlaintext, sodium } from './hand-built.js';
import { aliceAndBobInARoom, assertRejected, OFFER } from './room-fixture.js';

const offerOfSize = (payloadBytes) => {
  const overhead = utf8Encode(JSON.stringify({ description: { type: 'offer', sdp: '' } })).length;
  return { description: { type: 'offer', sdp: 'a'.repeat(payloadBytes - overhead) } };
};

test('the sealed sizes are the buckets plus the sealed-box overhead', () => {
  assert.deepEqual([...ENVELOPE_BUCKETS], [1024, 4096, 16384]);
  assert.deepEqual([...SEALED_SIZES], [1072, 4144, 16432]);
  assert.equal(MAX_PAYLOAD_BYTES, 16384 - 253);
});

for (const [index, payloadBytes] of [771, 772, 4096 - 253, 4096 - 252, MAX_PAYLOAD_BYTES].entries()) {
  const sealedSize = SEALED_SIZES[index < 1 ? 0 : index < 3 ? 1 : 2];
  test(`a ${payloadBytes}-byte payload travels in a ${sealedSize}-byte blob and opens intact`, () => {
    const { alice, bob, room, sealFromAlice, openAtBob } = aliceAndBobInARoom();
    const payload = offerOfSize(payloadBytes);
    const now = 1_700_000_000_000;
    const blob = sealFromAlice({ payload, now });
    assert.equal(fromBase64Url(blob).length, sealedSize);
    const opened = openAtBob(blob, { now: now + 1000 });
    assert.deepEqual(opened.payload, payload);
    assert.deepEqual(opened.senderIdentity, alice.identity.publicKey);
    assert.deepEqual(opened.senderConnectionKey, alice.connection.publicKey);
    assert.deepEqual(opened.recipientConnectionKey, bob.connection.publicKey);
    assert.deepEqual(opened.topic, room.discoveryKey);
    assert.equal(opened.timestamp, now);
    assert.equal(opened.nonce.length, 16);
  });
}

test('candidates, with or without optional fields, and end-of-candidates round trip', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  for (const payload of [
    { candidate: null },
    { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host' } },
    { candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' } },
    { candidate: { candidate: 'c', sdpMid: null, sdpMLineIndex: null, usernameFragment: null } },
    { description: { type: 'answer', sdp: 'v=0\r\n' } },
  ]) {
    assert.deepEqual(openAtBob(sealFromAlice({ payload })).payload, payload);
  }
});

test('a payload one byte over the largest bucket is refused at seal', () => {
  const { sealFromAlice } = aliceAndBobInARoom();
  assertRejected(() => sealFromAlice({ payload: offerOfSize(MAX_PAYLOAD_BYTES + 1) }), 'too_large');
});

test('a payload of neither shape is refused at seal', () => {
  const { sealFromAlice } = aliceAndBobInARoom();
  for (const payload of [
    {}, null, 'offer', { description: { type: 'pranswer', sdp: '' } },
    { description: OFFER.description, candidate: null },
    { candidate: { candidate: 'c', sdpMLineIndex: -1 } },
  ]) {
    assertRejected(() => sealFromAlice({ payload }), 'malformed');
  }
});

test('the plaintext follows the documented layout byte for byte', () => {
  const { alice, bob, room, fromAlice, plaintextFromAlice } = aliceAndBobInARoom();
  const now = 1_700_000_000_123;
  const plaintext = plaintextFromAlice({ now });
  const payloadBytes = utf8Encode(JSON.stringify(OFFER));
  const expected = handBuiltPlaintext({
    ...fromAlice(), payloadBytes, timestamp: now, nonce: plaintext.slice(137, 153),
  });
  assert.deepEqual(plaintext, expected);
  assert.deepEqual(plaintext.slice(1, 33), alice.identity.publicKey);
  assert.deepEqual(plaintext.slice(65, 97), bob.connection.publicKey);
  assert.deepEqual(plaintext.slice(97, 129), room.discoveryKey);
});

test('a blob sealed from a hand-built plaintext opens', () => {
  const { fromAlice, openAtBob, bob } = aliceAndBobInARoom();
  const payload = { candidate: { candidate: 'x', sdpMLineIndex: 1 } };
  const plaintext = handBuiltPlaintext({
    ...fromAlice(), payloadBytes: utf8Encode(JSON.stringify(payload)), bucket: 4096,
  });
  const blob = sealPlaintext(plaintext, bob.connection.publicKey);
  assert.deepEqual(openAtBob(blob).payload, payload);
});

test('every blob of the same bucket has the same length, whatever the payload', () => {
  const { sealFromAlice } = aliceAndBobInARoom();
  const lengths = new Set([10, 300, 700].map((n) => sealFromAlice({ payload: offerOfSize(n + 40) }).length));
  assert.equal(lengths.size, 1);
  assert.ok(sodium.crypto_box_SEALBYTES === 48);
});
