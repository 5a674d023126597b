// Wake blobs (docs/protocol.md §10): built by a sender, opened only by the mailbox's
// device, and every kind of damage rejected with a code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import { createIdentity, identityId } from '../../static/app/identity/identity.js';
import { createMailboxKeys, isMailboxKeys, mailboxId, wakeKey } from '../../static/app/push/mailbox-keys.js';
import {
  buildWake, isWakeJson, openWake, WAKE_BLOB_BYTES, WAKE_BLOB_CHARACTERS, WAKE_PADDED_BYTES,
} from '../../static/app/push/wake.js';

const sodium = await sodiumReady;
const ROOM = toBase64Url(new Uint8Array(32).fill(7));
const NOW = 1_700_000_000_000;

function scene() {
  const sender = createIdentity();
  const mailbox = createMailboxKeys(NOW);
  const wake = (overrides = {}) => buildWake({
    identity: sender, mailboxPublicKey: mailbox.publicKey, room: ROOM, kind: 'message',
    text: 'See you at eight', now: NOW, ...overrides,
  });
  return { sender, mailbox, wake };
}

const codeOf = (fn) => {
  try {
    fn();
  } catch (error) {
    return error.code;
  }
  return 'ok';
};

// A wake straight from the §10 layout, for plaintexts the builder would never make.
function handBuilt(mailbox, signer, json, { signedJson = json } = {}) {
  const jsonBytes = utf8Encode(typeof json === 'string' ? json : JSON.stringify(json));
  const signedBytes = utf8Encode(typeof signedJson === 'string' ? signedJson : JSON.stringify(signedJson));
  const signature = sodium.crypto_sign_detached(
    concatBytes(utf8Encode('parley-wake-v1'), mailbox.publicKey, signedBytes), signer.secretKey);
  const padded = sodium.pad(concatBytes(signature, jsonBytes), WAKE_PADDED_BYTES);
  return toBase64Url(sodium.crypto_box_seal(padded, wakeKey(mailbox.publicKey)));
}

test('mailbox keys: Ed25519 of their own, a 32-byte id, an X25519 wake key', () => {
  const mailbox = createMailboxKeys(NOW);
  assert.ok(isMailboxKeys(mailbox));
  assert.equal(mailbox.createdAt, NOW);
  assert.deepEqual(mailboxId(mailbox.publicKey), sodium.crypto_generichash(32, mailbox.publicKey, null));
  assert.equal(wakeKey(mailbox.publicKey).length, 32);
  assert.equal(isMailboxKeys({ publicKey: mailbox.publicKey }), false);
  assert.equal(isMailboxKeys(null), false);
});

test('a wake opens for its mailbox with every field, at the fixed size', () => {
  const { sender, mailbox, wake } = scene();
  const blob = wake({ kind: 'mention', text: '@Bob dinner? 🎉' });
  assert.equal(blob.length, WAKE_BLOB_CHARACTERS);
  assert.equal(fromBase64Url(blob).length, WAKE_BLOB_BYTES);
  assert.deepEqual(openWake(blob, { mailbox }), {
    room: ROOM, from: identityId(sender.publicKey), kind: 'mention', text: '@Bob dinner? 🎉', ts: NOW,
  });
});

test('the text is cut to 100 code points, and to what fits 1,024 bytes', () => {
  const { mailbox, wake } = scene();
  assert.equal(openWake(wake({ text: '🎉'.repeat(150) }), { mailbox }).text, '🎉'.repeat(100));
  // A control character is 6 bytes of JSON: 100 of them and the rest still fit.
  const controls = openWake(wake({ text: '\u0001'.repeat(300) }), { mailbox }).text;
  assert.equal(controls, '\u0001'.repeat(100));
  assert.equal(fromBase64Url(wake({ text: '\u0001'.repeat(300) })).length, WAKE_BLOB_BYTES);
});

test('another mailbox cannot open it', () => {
  const { wake } = scene();
  assert.equal(codeOf(() => openWake(wake(), { mailbox: createMailboxKeys() })), 'undecryptable');
});

test('every flipped bit of the blob is rejected', () => {
  const { mailbox, wake } = scene();
  const bytes = fromBase64Url(wake());
  // A sample of positions over the whole blob: key, ciphertext and tag.
  for (let position = 0; position < bytes.length; position += 37) {
    const damaged = bytes.slice();
    damaged[position] ^= 0x01;
    assert.equal(codeOf(() => openWake(toBase64Url(damaged), { mailbox })), 'undecryptable', `byte ${position}`);
  }
});

test('not 1,072 bytes of base64url is malformed', () => {
  const { mailbox, wake } = scene();
  const blob = wake();
  for (const bad of ['', blob.slice(1), `${blob}A`, `${blob.slice(0, -1)}=`, `${blob.slice(0, -1)}+`, null, 42]) {
    assert.equal(codeOf(() => openWake(bad, { mailbox })), 'malformed', String(bad).slice(0, 10));
  }
});

test('a signature by someone else than `from`, or over other bytes, is rejected', () => {
  const { sender, mailbox } = scene();
  const json = { v: 1, room: ROOM, from: identityId(sender.publicKey), kind: 'message', text: 'hi', ts: NOW };
  assert.equal(codeOf(() => openWake(handBuilt(mailbox, sender, json), { mailbox })), 'ok');
  const impostor = createIdentity();
  assert.equal(codeOf(() => openWake(handBuilt(mailbox, impostor, json), { mailbox })), 'bad_signature');
  const other = { ...json, text: 'something else' };
  assert.equal(codeOf(() => openWake(handBuilt(mailbox, sender, json, { signedJson: other }), { mailbox })), 'bad_signature');
  // Signed for another mailbox: cannot be re-sealed to this one and pass.
  const elsewhere = createMailboxKeys();
  const signature = sodium.crypto_sign_detached(
    concatBytes(utf8Encode('parley-wake-v1'), elsewhere.publicKey, utf8Encode(JSON.stringify(json))), sender.secretKey);
  const resealed = toBase64Url(sodium.crypto_box_seal(
    sodium.pad(concatBytes(signature, utf8Encode(JSON.stringify(json))), WAKE_PADDED_BYTES), wakeKey(mailbox.publicKey)));
  assert.equal(codeOf(() => openWake(resealed, { mailbox })), 'bad_signature');
});

test('JSON outside the schema is malformed', () => {
  const { sender, mailbox } = scene();
  const from = identityId(sender.publicKey);
  const good = { v: 1, room: ROOM, from, kind: 'message', text: 'hi', ts: NOW };
  const cases = {
    'v 2': { ...good, v: 2 },
    'extra key': { ...good, name: 'Ada' },
    'missing ts': (({ ts: _, ...rest }) => rest)(good),
    'kind other': { ...good, kind: 'call' },
    'empty text': { ...good, text: '' },
    'text 101 code points': { ...good, text: 'a'.repeat(101) },
    'text not a string': { ...good, text: 7 },
    'room 42 chars': { ...good, room: ROOM.slice(1) },
    'ts negative': { ...good, ts: -1 },
    'ts fraction': { ...good, ts: 1.5 },
    array: [good],
  };
  for (const [name, json] of Object.entries(cases)) {
    assert.equal(isWakeJson(json), false, name);
    assert.equal(codeOf(() => openWake(handBuilt(mailbox, sender, json), { mailbox })), 'malformed', name);
  }
  for (const text of ['{"v":1', '\ufeff{}', 'null']) {
    assert.equal(codeOf(() => openWake(handBuilt(mailbox, sender, text), { mailbox })), 'malformed', text);
  }
  assert.ok(isWakeJson(good));
  assert.ok(isWakeJson({ ...good, text: '🎉'.repeat(100) }));
});

test('padding that is not sodium_pad, or no room for a signature, is malformed', () => {
  const { mailbox } = scene();
  const seal = (plaintext) => toBase64Url(sodium.crypto_box_seal(plaintext, wakeKey(mailbox.publicKey)));
  assert.equal(codeOf(() => openWake(seal(new Uint8Array(WAKE_PADDED_BYTES)), { mailbox })), 'malformed');
  assert.equal(codeOf(() => openWake(seal(sodium.pad(new Uint8Array(10), WAKE_PADDED_BYTES)), { mailbox })), 'malformed');
});
