// Property tests: whatever a sender may legally put in, the receiver gets back unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { openEntry, createEntry } from '../../static/app/room/entry.js';
import { aliceAndBobInARoom } from './room-fixture.js';

test('base64url round-trips any bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.deepEqual(fromBase64Url(toBase64Url(bytes), bytes.length), bytes);
  }));
});

test('any candidate within the size limit round-trips through an envelope', () => {
  const { sealFromAlice, openAtBob } = aliceAndBobInARoom();
  const candidate = fc.record({
    candidate: fc.string({ unit: 'grapheme', maxLength: 300 }),
    sdpMid: fc.option(fc.string({ maxLength: 8 })),
    sdpMLineIndex: fc.option(fc.integer({ min: 0, max: 65535 })),
    usernameFragment: fc.option(fc.string({ maxLength: 16 })),
  }, { requiredKeys: ['candidate'], noNullPrototype: true });
  fc.assert(fc.property(candidate, (value) => {
    const payload = { candidate: value };
    assert.deepEqual(openAtBob(sealFromAlice({ payload })).payload, payload);
  }), { numRuns: 200 });
});

test('any text of 1..4000 code points round-trips through an entry', () => {
  const { alice, room } = aliceAndBobInARoom();
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1000 })
    .filter((value) => [...value].length <= 4000);
  fc.assert(fc.property(text, fc.nat(), fc.integer({ min: 1 }), (value, ts, clock) => {
    const body = { type: 'message', ts, clock, text: value };
    const { bytes } = createEntry({ identity: alice.identity, seq: 0, body, ...room });
    assert.deepEqual(openEntry(bytes, room).body, body);
  }), { numRuns: 200 });
});
