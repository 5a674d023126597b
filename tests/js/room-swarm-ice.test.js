// RoomSwarm with an IceConfig (docs/protocol.md §6, "ICE configuration"): no link is made
// before the ICE servers are known (or the ask gave up), what was held for an old
// rendezvous connection is dropped, and the configuration reaches new and live links.
// Two real swarms (real envelopes) over a fake server, with fake links.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import { dialsAgain } from '../../static/app/peers/redial.js';
import { RoomSwarm } from '../../static/app/peers/room-swarm.js';
import './hand-built.js'; // libsodium ready

const offer = (fingerprint) => ({ description: { type: 'offer', sdp: `v=0\r\na=fingerprint:sha-256 ${fingerprint}\r\n` } });

class FakeLink extends EventTarget {
  static made = [];
  constructor({ polite, initiator, rtcConfig }) {
    super();
    Object.assign(this, { polite, initiator, rtcConfig, state: 'connecting', signals: [], updates: [] });
    this.verifiedRemoteSdp = null;
    this.fingerprint = `f${FakeLink.made.length}`.padEnd(64, '0');
    FakeLink.made.push(this);
    if (initiator) queueMicrotask(() => this.dispatchEvent(new CustomEvent('signal', { detail: { payload: offer(this.fingerprint) } })));
  }
  signal(payload) { this.signals.push(payload); }
  updateConfiguration(rtcConfig) { this.updates.push(rtcConfig); }
  close(reason) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedReason = reason;
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason } }));
  }
}

// An IceConfig whose ask the test finishes (release()).
class HeldIceConfig {
  constructor() {
    this.config = { iceServers: [], iceTransportPolicy: 'all' };
    this.asks = 0;
    this.prefetches = 0;
    this.#hold();
  }
  #hold() {
    this.ready = new Promise((resolve) => { this.release = resolve; });
  }
  // The next ask waits again (a credential that expired, an ask that failed).
  holdAgain() { this.#hold(); }
  prefetch() { this.prefetches += 1; }
  whenReady() {
    this.asks += 1;
    return this.ready;
  }
  rtcConfiguration() { return structuredClone(this.config); }
}

function pairInARoom() {
  FakeLink.made = [];
  const room = { topic: 'topic', keys: deriveRoomKeys(newRoomSecret()) };
  const ends = ['a', 'b'].map((id) => {
    const signaling = new EventTarget();
    Object.assign(signaling, {
      id, connectionKeypair: createConnectionKeypair(), join() {}, leave() {},
      sendSignal(topic, to, blob) {
        const other = ends.find((end) => end.signaling.id === to);
        other.signaling.dispatchEvent(new CustomEvent('signal', { detail: { topic, from: id, blob } }));
      },
    });
    const iceConfig = new HeldIceConfig();
    const swarm = new RoomSwarm({ room, identity: createIdentity(), signaling, iceConfig, makeLink: (o) => new FakeLink(o) });
    const rejected = [];
    swarm.addEventListener('rejected', ({ detail }) => rejected.push(detail.code));
    swarm.start();
    return { id, signaling, swarm, iceConfig, rejected };
  });
  const announce = (end, other, type) => {
    const peer = { id: other.id, key: toBase64Url(other.signaling.connectionKeypair.publicKey) };
    const detail = type === 'peers' ? { topic: 'topic', peers: [peer] } : { topic: 'topic', peer };
    end.signaling.dispatchEvent(new CustomEvent(type, { detail }));
  };
  return { ends, announce };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('no link is made, dialled or answered, before the ICE servers are known', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  assert.deepEqual([a.iceConfig.prefetches, b.iceConfig.prefetches], [1, 1], 'each asked right behind its join');
  announce(a, b, 'joined');
  announce(b, a, 'peers'); // b joined and would dial a
  await settle();
  assert.equal(FakeLink.made.length, 0);
  a.iceConfig.config.iceServers = [{ urls: ['stun:a.example:3478'] }];
  b.iceConfig.config = { iceServers: [{ urls: ['stun:b.example:3478'] }], iceTransportPolicy: 'relay' };
  b.iceConfig.release();
  await settle();
  assert.equal(FakeLink.made.length, 1, 'b dials');
  assert.deepEqual(FakeLink.made[0].rtcConfig, b.iceConfig.config);
  // b's offer reached a, which holds it until its own servers are known.
  assert.equal(a.swarm.peers.size, 0);
  a.iceConfig.release();
  await settle();
  assert.equal(FakeLink.made.length, 2, 'a answers');
  const answering = a.swarm.peers.get('b').link;
  assert.deepEqual(answering.rtcConfig, a.iceConfig.config);
  assert.equal(answering.signals.length, 1, 'with the offer that waited');
  assert.deepEqual(a.rejected, []);
});

test('what waited for an old rendezvous connection is dropped, not misread', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  announce(a, b, 'joined');
  announce(b, a, 'peers');
  b.iceConfig.release();
  await settle(); // b's offer waits at a
  a.signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  a.iceConfig.release();
  await settle();
  assert.equal(a.swarm.peers.size, 0);
  assert.deepEqual(a.rejected, [], 'an envelope sealed to the old connection key is not a warning');
});

test('a signal from a peer that left while it waited is dropped, not a warning', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  announce(a, b, 'joined');
  announce(b, a, 'peers');
  b.iceConfig.release();
  await settle(); // b's offer waits at a
  a.signaling.dispatchEvent(new CustomEvent('left', { detail: { topic: 'topic', id: 'b' } }));
  a.iceConfig.release();
  await settle();
  assert.equal(a.swarm.peers.size, 0);
  assert.deepEqual(a.rejected, []);
});

test('renewed servers reach live links; relay-only redials every link at once', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  announce(a, b, 'joined');
  announce(b, a, 'peers');
  a.iceConfig.release();
  b.iceConfig.release();
  await settle();
  const old = b.swarm.peers.get('a').link;
  b.iceConfig.config.iceServers = [{ urls: ['turn:t:3478'], username: 'u', credential: 'c' }];
  b.swarm.applyIceConfiguration();
  assert.deepEqual(old.updates, [b.iceConfig.config]);

  b.iceConfig.config.iceTransportPolicy = 'relay';
  b.swarm.redialAll();
  assert.equal(old.closedReason, 'redialled');
  await settle();
  const fresh = b.swarm.peers.get('a').link;
  assert.notEqual(fresh, old);
  assert.equal(fresh.initiator, true);
  assert.equal(fresh.rtcConfig.iceTransportPolicy, 'relay');
  // a hears the fresh offer.
  const atA = a.swarm.peers.get('b').link;
  assert.deepEqual(atA.signals.at(-1), offer(fresh.fingerprint));
});

test('a redial waits for the ICE servers as a first dial does', async (t) => {
  t.mock.method(console, 'info', () => {});
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { ends, announce } = pairInARoom();
  const [a, b] = ends;
  announce(a, b, 'joined');
  announce(b, a, 'peers');
  a.iceConfig.release();
  b.iceConfig.release();
  await settle();
  await settle();
  // The end that dials again (by the keys, docs/protocol.md §6) sees its link fail.
  const [redialler, other] = dialsAgain(a.signaling.connectionKeypair.publicKey, b.signaling.connectionKeypair.publicKey)
    ? [a, b] : [b, a];
  const asked = redialler.iceConfig.asks;
  redialler.iceConfig.holdAgain();
  const made = FakeLink.made.length;
  redialler.swarm.peers.get(other.id).link.close('relay_missing');
  t.mock.timers.tick(2000); // past the first redial's wait
  await settle();
  assert.equal(redialler.iceConfig.asks, asked + 1, 'the redial asks first');
  assert.equal(FakeLink.made.length, made, 'and makes no link before the answer');
  redialler.iceConfig.release();
  await settle();
  assert.equal(FakeLink.made.length, made + 1);
  assert.equal(redialler.swarm.peers.get(other.id).link.initiator, true);
});

// A page opened by an invite draws once its first offers are out (app-start.js).
// watch(promise).settled: whether it has settled yet.
function watch(promise) {
  const seen = { settled: false };
  promise.then(() => { seen.settled = true; });
  return seen;
}

test('`dialled` settles once the offers to the first `peers` are out, or nobody was named', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  const dialled = watch(b.swarm.dialled);
  announce(b, a, 'peers');
  await settle();
  assert.equal(dialled.settled, false, 'the dial waits for the ICE servers');
  b.iceConfig.release();
  await settle();
  assert.equal(FakeLink.made.length, 1);
  assert.equal(dialled.settled, true, 'the offer went out');

  const { ends: [alone] } = pairInARoom();
  const aloneDialled = watch(alone.swarm.dialled);
  alone.signaling.dispatchEvent(new CustomEvent('peers', { detail: { topic: 'topic', peers: [] } }));
  await settle();
  assert.equal(aloneDialled.settled, true, 'nobody to dial: at once, without the ICE servers');
});

test('`dialled` settles when the first link closes before its offer, or the swarm stops', async (t) => {
  t.mock.method(console, 'info', () => {});
  const { ends: [a, b], announce } = pairInARoom();
  const dialled = watch(b.swarm.dialled);
  announce(b, a, 'peers');
  const dispatch = FakeLink.prototype.dispatchEvent;
  // This link fails before it says anything.
  t.mock.method(FakeLink.prototype, 'dispatchEvent', function (event) {
    return event.type === 'signal' ? true : dispatch.call(this, event);
  });
  b.iceConfig.release();
  await settle();
  assert.equal(dialled.settled, false);
  FakeLink.made[0].close('negotiation_failed');
  await settle();
  assert.equal(dialled.settled, true);

  const { ends: [, waiting] } = pairInARoom();
  const stopped = watch(waiting.swarm.dialled);
  waiting.swarm.stop();
  await settle();
  assert.equal(stopped.settled, true);
});
