// Asking the server's mirror service to keep a room (docs/protocol.md §12): the request
// a browser seals opens only with the service's key and carries the capability alone,
// a reply that opens settles the room's record, and every failure reaches the user as a
// code with a message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys } from '../../static/app/crypto/room-keys.js';
import { MIRROR_PADDED_BYTES } from '../../static/app/mirror/mirror-request.js';
import { MIRROR_ERRORS, mirrorStatus, RoomMirrors } from '../../static/app/mirror/room-mirrors.js';
import { MirrorAskFailed } from '../../static/app/signaling/client.js';

const sodium = await sodiumReady;

function service() {
  const mirror = sodium.crypto_sign_keypair();
  const curve = {
    publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(mirror.publicKey),
    privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(mirror.privateKey),
  };
  const open = (blob) => JSON.parse(utf8Decode(sodium.unpad(
    sodium.crypto_box_seal_open(fromBase64Url(blob), curve.publicKey, curve.privateKey), MIRROR_PADDED_BYTES)));
  return { mirror, open };
}

function scene({ answer, mirrorAnswer = null } = {}) {
  const { mirror, open } = service();
  const connection = sodium.crypto_box_keypair();
  const asked = [];
  const saved = [];
  const reply = (body) => toBase64Url(sodium.crypto_box_seal(sodium.pad(utf8Encode(JSON.stringify(body)), MIRROR_PADDED_BYTES), connection.publicKey));
  const signaling = {
    askMirror: async (blob) => {
      const request = open(blob);
      asked.push(request);
      const body = answer(request, reply);
      if (body instanceof Error) throw body;
      return { blob: typeof body === 'string' ? body : reply(body), keypair: connection };
    },
  };
  const mirrors = new RoomMirrors({
    signaling,
    store: { saveRoom: async (room) => saved.push(structuredClone({ ...room, keys: undefined })) },
    fetchImpl: async () => new Response(JSON.stringify(mirrorAnswer ?? { mirror: { key: toBase64Url(mirror.publicKey) } })),
  });
  const secret = new Uint8Array(32).fill(3);
  const keys = deriveRoomKeys(secret);
  const room = { topic: toBase64Url(keys.discoveryKey), secret, keys };
  return { mirrors, room, asked, saved, mirror };
}

test('the request carries the discovery, membership and control keys only, and a yes keeps the room marked', async () => {
  const { mirrors, room, asked, saved, mirror } = scene({ answer: (request) => ({ v: 1, topic: request.topic, ok: true }) });
  assert.deepEqual(await mirrors.hold(room), { ok: true });
  assert.equal(asked.length, 1);
  const [request] = asked;
  assert.deepEqual(Object.keys(request).sort(), ['control', 'membership', 'op', 'topic', 'ts', 'v']);
  assert.equal(request.topic, toBase64Url(room.keys.discoveryKey));
  // The control key opens control entries alone (device revocations, §13), no message.
  assert.equal(request.control, toBase64Url(room.keys.controlKey));
  assert.notEqual(request.control, toBase64Url(room.keys.messageKey));
  assert.equal(request.membership, toBase64Url(room.keys.membershipKey));
  assert.equal(room.mirrored.id, toBase64Url(mirror.publicKey));
  assert.equal(saved.at(-1).mirrored.id, room.mirrored.id);
  assert.deepEqual(await mirrors.drop(room), { ok: true });
  assert.equal(asked[1].op, 'drop');
  assert.equal(room.mirrored, undefined);
});

test('a refusal, a server error, a forged reply and a missing service each give a code with a message', async () => {
  const cases = [
    [{ answer: (request) => ({ v: 1, topic: request.topic, ok: false, error: 'full' }) }, 'full'],
    [{ answer: () => new MirrorAskFailed('no_mirror') }, 'no_mirror'],
    [{ answer: () => new MirrorAskFailed('timeout') }, 'timeout'],
    [{ answer: (request) => ({ v: 1, topic: request.topic, ok: 'yes' }) }, 'malformed'],
    [{ answer: () => toBase64Url(new Uint8Array(1072)) }, 'malformed'],
    [{ answer: () => ({}), mirrorAnswer: { mirror: null } }, 'no_service'],
    [{ answer: () => ({}), mirrorAnswer: { mirror: { key: 'short' } } }, 'server_error'],
    // A late reply about another room answers nothing here.
    [{ answer: () => ({ v: 1, topic: toBase64Url(new Uint8Array(32).fill(1)), ok: true }) }, 'malformed'],
  ];
  for (const [options, code] of cases) {
    const { mirrors, room, saved } = scene(options);
    assert.deepEqual(await mirrors.hold(room), { ok: false, error: code }, code);
    assert.equal(room.mirrored, undefined, code);
    assert.equal(saved.length, 0, code);
    assert.equal(typeof MIRROR_ERRORS[code], 'string', code);
  }
});

test('a mirror linked in the room is in sync when its heads cover every author this device holds', () => {
  const ada = toBase64Url(new Uint8Array(32).fill(1));
  const bob = toBase64Url(new Uint8Array(32).fill(2));
  const mirrorPeer = { isMirror: true, identity: new Uint8Array(32).fill(9) };
  const person = { isMirror: false, identity: new Uint8Array(32).fill(8) };
  const remoteHeads = new Map([[ada, { length: 3 }], [bob, { length: 1 }]]);
  const session = {
    swarm: { readyPeers: () => [person, mirrorPeer] },
    replicators: new Map([[mirrorPeer, { remoteHeads }], [person, { remoteHeads: new Map() }]]),
    log: { heads: () => [{ author: ada, length: 3 }, { author: bob, length: 4 }] },
  };
  assert.deepEqual(mirrorStatus(session), [{ id: toBase64Url(mirrorPeer.identity), ready: true, behind: 3 }]);
  remoteHeads.set(bob, { length: 4 });
  assert.equal(mirrorStatus(session)[0].behind, 0);
});
