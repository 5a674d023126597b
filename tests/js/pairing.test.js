// Linking a device (docs/protocol.md §13 "Pairing"): two ends over a relay that sees only
// topics and sealed blobs; the right code links, a wrong one is refused without the
// grant ever leaving, and a code nobody waits for finds nobody.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import { parsePairingCode, pairingUri } from '../../static/app/devices/pairing-crypto.js';
import { linkDevice, MAX_WRONG_TRIES, NewDevicePairing } from '../../static/app/devices/pairing.js';
import { grantFor, isGrant } from '../../static/app/devices/pairing-grant.js';
import { createRoom } from '../../static/app/room/rooms.js';

// A rendezvous server in memory: topics, `peers`, `joined` and relayed signals, and a
// record of every blob it relayed.
class Relay {
  clients = [];
  relayed = [];
  connect() {
    const relay = this;
    const client = new (class extends EventTarget {
      state = 'online';
      id = `c${relay.clients.length}`;
      connectionKeypair = createConnectionKeypair();
      topics = new Set();
      join(topic) {
        const others = relay.clients.filter((c) => c !== this && c.topics.has(topic));
        this.topics.add(topic);
        const peer = (c) => ({ id: c.id, key: toBase64Url(c.connectionKeypair.publicKey) });
        queueMicrotask(() => {
          this.dispatchEvent(new CustomEvent('peers', { detail: { topic, peers: others.map(peer) } }));
          for (const other of others) other.dispatchEvent(new CustomEvent('joined', { detail: { topic, peer: peer(this) } }));
        });
      }
      leave(topic) {
        this.topics.delete(topic);
        for (const other of relay.clients.filter((c) => c.topics.has(topic))) {
          queueMicrotask(() => other.dispatchEvent(new CustomEvent('left', { detail: { topic, id: this.id } })));
        }
      }
      sendSignal(topic, to, blob) {
        const target = relay.clients.find((c) => c.id === to && c.topics.has(topic));
        relay.relayed.push(blob);
        if (target && this.topics.has(topic)) {
          const detail = { topic, from: this.id, key: toBase64Url(this.connectionKeypair.publicKey), blob };
          queueMicrotask(() => target.dispatchEvent(new CustomEvent('signal', { detail })));
        } else if (!target) {
          const detail = { code: 'unreachable', ref: 'signal', topic, to };
          queueMicrotask(() => this.dispatchEvent(new CustomEvent('server-error', { detail })));
        }
        return true;
      }
    })();
    this.clients.push(client);
    return client;
  }
}

function primary() {
  const identity = { ...createIdentity(), name: 'Ada' };
  const room = createRoom('Plans', 1, toBase64Url(identity.publicKey));
  const app = {
    identity, selfId: toBase64Url(identity.publicKey), roomList: () => [room],
    contacts: new Map([['x'.repeat(42) + 'w', { id: 'x'.repeat(42) + 'w', name: 'Bob', verifiedAt: 5 }]]),
  };
  return { app, room };
}

test('the right code links: the new device gets a certified grant, sealed all the way', async () => {
  const relay = new Relay();
  const { app, room } = primary();
  const device = createIdentity();
  const waiting = new NewDevicePairing({ signaling: relay.connect(), device, deviceName: 'Laptop' });
  const linked = await linkDevice({
    signaling: relay.connect(), code: pairingUri(waiting.code), grantFor: (asked) => grantFor(app, asked),
  });
  const grant = await waiting.result;
  assert.equal(waiting.state, 'done');
  assert.deepEqual(linked.device, device.publicKey);
  assert.equal(linked.name, 'Laptop');
  assert.ok(isGrant(grant, device.publicKey));
  assert.equal(grant.identity, app.selfId);
  assert.deepEqual(grant.rooms.map((r) => r.name), ['Plans']);
  assert.equal(grant.contacts[0].verifiedAt, 5);
  assert.ok(!isGrant(grant, createIdentity().publicKey), 'the certificate names this device alone');
  const secret = toBase64Url(room.secret);
  assert.ok(relay.relayed.length >= 3 && relay.relayed.every((blob) => !blob.includes(secret)));
});

test('a wrong code is refused before anything is granted; five wrong ones end the code', async () => {
  const relay = new Relay();
  const { app } = primary();
  const waiting = new NewDevicePairing({ signaling: relay.connect(), device: createIdentity(), deviceName: 'Laptop' });
  // The same first characters (so the same topic), another rest.
  const code = parsePairingCode(waiting.code);
  const wrong = code.slice(0, 4) + [...code.slice(4)].map((c) => (c === 'A' ? 'B' : 'A')).join('');
  let granted = 0;
  for (let attempt = 1; attempt <= MAX_WRONG_TRIES; attempt++) {
    await assert.rejects(
      linkDevice({ signaling: relay.connect(), code: wrong, grantFor: () => { granted += 1; return grantFor(app, {}); } }),
      { code: attempt < MAX_WRONG_TRIES ? 'wrong_code' : 'too_many_tries' });
  }
  assert.equal(granted, 0);
  await assert.rejects(waiting.result, { code: 'too_many_tries' });
  assert.equal(waiting.state, 'failed');
});

// Without being told, the existing device would wait ANSWER_MS and then say the new one
// stopped answering ('no_answer').
test('a device that leaves before it answers (its code ran out) is waiting for nobody', async () => {
  const relay = new Relay();
  const { app } = primary();
  const waiting = new NewDevicePairing({ signaling: relay.connect(), device: createIdentity(), deviceName: 'Laptop' });
  const laptop = relay.clients[0];
  const [topic] = laptop.topics;
  laptop.dispatchEvent = () => true; // it takes no more signals, but the server still lists it
  const linking = linkDevice({ signaling: relay.connect(), code: waiting.code, grantFor: () => grantFor(app, {}) });
  await new Promise((resolve) => setTimeout(resolve, 0)); // the hello is out
  laptop.leave(topic); // the server tells the topic: `left`
  await assert.rejects(linking, { code: 'no_device' });
  waiting.stop();
});

test('a hello the server could not deliver (the device had just left) finds nobody too', async () => {
  const relay = new Relay();
  const { app } = primary();
  const waiting = new NewDevicePairing({ signaling: relay.connect(), device: createIdentity(), deviceName: 'Laptop' });
  const laptop = relay.clients[0];
  const [topic] = laptop.topics;
  const linking = linkDevice({ signaling: relay.connect(), code: waiting.code, grantFor: () => grantFor(app, {}) });
  // Listed in the `peers` answer, gone before the hello, and no `left` reached us.
  laptop.topics.delete(topic);
  await assert.rejects(linking, { code: 'no_device' });
  waiting.stop();
});

test('parsing takes what people type and what cameras read, and nothing else', () => {
  assert.equal(parsePairingCode('parley-link:abcd-efgh-ijkl-mnop-qrs7'), 'ABCDEFGHIJKLMNOPQRS7');
  assert.equal(parsePairingCode(' ab0d efgh 1jkl mnop qrs7 '), 'ABODEFGHIJKLMNOPQRS7');
  for (const bad of ['', 'ABCD', 'ABCDEFGHIJKLMNOPQRS!', 'ABCDEFGHIJKLMNOPQRSTU', null, 42]) {
    assert.equal(parsePairingCode(bad), null);
  }
});

test('a grant larger than one message goes in parts, each boxed with its place', async () => {
  const relay = new Relay();
  const { app } = primary();
  for (let i = 0; i < 1500; i++) {
    const id = toBase64Url(createIdentity().publicKey);
    app.contacts.set(id, { id, name: `Contact number ${i}`, verifiedAt: null });
  }
  const device = createIdentity();
  const waiting = new NewDevicePairing({ signaling: relay.connect(), device, deviceName: 'Laptop' });
  const before = relay.relayed.length;
  await linkDevice({ signaling: relay.connect(), code: waiting.code, grantFor: (asked) => grantFor(app, asked) });
  const grant = await waiting.result;
  assert.equal(grant.contacts.length, 1501);
  assert.ok(relay.relayed.length - before >= 2 + 8, 'hello, accept, several grant parts and done');
});
