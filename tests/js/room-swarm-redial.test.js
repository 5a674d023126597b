// Dialling again (docs/protocol.md §6): the rules of peers/redial.js, and two real
// RoomSwarms (real envelopes, real link proofs) over a fake server and fake links, with
// mock timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import {
  dialsAgain, isFreshOffer, MAX_REDIALS, redialDelayMs, shouldRedial,
} from '../../static/app/peers/redial.js';
import { RoomSwarm } from '../../static/app/peers/room-swarm.js';
import { sealEnvelope } from '../../static/app/signaling/envelope.js';
import './hand-built.js'; // libsodium ready

const sdp = (fingerprint) => `v=0\r\na=fingerprint:sha-256 ${fingerprint}\r\n`;
const offer = (fingerprint) => ({ description: { type: 'offer', sdp: sdp(fingerprint) } });
const answer = (fingerprint) => ({ description: { type: 'answer', sdp: sdp(fingerprint) } });
const failure = { reason: 'timeout', weDial: true, announced: true, twinReady: false, attempts: 0 };

test('only failures that may pass are dialled again, by one end, while the peer is in the room', () => {
  for (const reason of ['timeout', 'connection_failed', 'negotiation_failed', 'certificate_unavailable',
    'channel_closed', 'unauthenticated', 'no_relay', 'relay_failed', 'relay_missing']) {
    assert.equal(shouldRedial({ ...failure, reason }), true, reason);
  }
  for (const reason of ['left', 'duplicate', 'reconnected', 'redialled', 'closed', 'bad_link_proof',
    'certificate_mismatch', 'misbehaving', 'identity_changed', 'signal_too_large']) {
    assert.equal(shouldRedial({ ...failure, reason }), false, reason);
  }
  // Another ready link reaches the same person: a channel its peer retired stays closed.
  assert.equal(shouldRedial({ ...failure, reason: 'channel_closed', twinReady: true }), false);
  assert.equal(shouldRedial({ ...failure, weDial: false }), false);
  assert.equal(shouldRedial({ ...failure, announced: false }), false);
  assert.equal(shouldRedial({ ...failure, attempts: MAX_REDIALS - 1 }), true);
  assert.equal(shouldRedial({ ...failure, attempts: MAX_REDIALS }), false);
});

test('exactly one end of a pair dials again, and the waits double with jitter', () => {
  const a = createConnectionKeypair().publicKey;
  const b = createConnectionKeypair().publicKey;
  assert.notEqual(dialsAgain(a, b), dialsAgain(b, a));
  assert.deepEqual([0, 1, 2].map((n) => redialDelayMs(n, () => 0.5)), [1000, 2000, 4000]);
  assert.equal(redialDelayMs(0, () => 0), 750);
  assert.equal(redialDelayMs(2, () => 1), 5000);
});

test('an offer with another certificate than the link negotiated is a fresh one', () => {
  assert.equal(isFreshOffer(offer('AA:BB'), sdp('AA:CC')), true);
  assert.equal(isFreshOffer(offer('AA:BB'), sdp('aa:bb')), false); // a renegotiation
  assert.equal(isFreshOffer(answer('AA:BB'), sdp('AA:CC')), false);
  assert.equal(isFreshOffer(offer('AA:BB'), null), false); // nothing negotiated yet
  assert.equal(isFreshOffer({ candidate: { candidate: '' } }, sdp('AA:CC')), false);
});

// A link that records what it is told and does only what a test makes it do.
class FakeLink extends EventTarget {
  static made = [];

  constructor({ polite, initiator }) {
    super();
    Object.assign(this, { polite, initiator, state: 'connecting', signals: [], verifiedRemoteSdp: null });
    this.localFingerprint = `f${FakeLink.made.length}`.padEnd(64, '0');
    this.remoteFingerprint = null;
    FakeLink.made.push(this);
    if (initiator) queueMicrotask(() => this.emit('signal', { payload: offer(this.localFingerprint) }));
  }

  signal(payload) {
    this.signals.push(payload);
    if (payload.description) this.verifiedRemoteSdp = payload.description.sdp;
  }

  send() {
    return true;
  }

  authenticated() {}

  close(reason) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.emit('closed', { reason });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// The rendezvous server, as far as two swarms need it: signals go straight across.
function pairInARoom() {
  FakeLink.made = [];
  const secret = newRoomSecret();
  const room = { topic: 'topic', keys: deriveRoomKeys(secret) };
  const ends = ['a', 'b'].map((id) => {
    const signaling = new EventTarget();
    Object.assign(signaling, {
      id, connectionKeypair: createConnectionKeypair(), sent: [], join() {}, leave() {},
      sendSignal(topic, to, blob) {
        this.sent.push(to);
        const other = ends.find((end) => end.signaling.id === to);
        other.signaling.dispatchEvent(new CustomEvent('signal', { detail: { topic, from: id, blob } }));
      },
    });
    const identity = createIdentity();
    const swarm = new RoomSwarm({
      room, identity, signaling, makeLink: (options) => new FakeLink(options), random: () => 0.5,
    });
    swarm.start();
    return { id, identity, signaling, swarm, room };
  });
  const announce = (end, other, type) => {
    const peer = { id: other.id, key: toBase64Url(other.signaling.connectionKeypair.publicKey) };
    const detail = type === 'peers' ? { topic: 'topic', peers: [peer] } : { topic: 'topic', peer };
    end.signaling.dispatchEvent(new CustomEvent(type, { detail }));
  };
  const [first, second] = ends;
  announce(first, second, 'joined');
  announce(second, first, 'peers'); // the joiner dials
  const dialler = dialsAgain(first.signaling.connectionKeypair.publicKey, second.signaling.connectionKeypair.publicKey)
    ? first : second;
  return { ends, dialler, waiter: dialler === first ? second : first };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
// Mock timers, and no console line for each closed link (the swarm logs them).
function quietTimers(t) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(console, 'info', () => {});
}
const linkTo = (end, other) => end.swarm.peers.get(other.id)?.link;

test('a link that fails is dialled again by one end only, and at most three times in a row', async (t) => {
  quietTimers(t);
  const { dialler, waiter } = pairInARoom();
  await settle();
  for (let attempt = 0; attempt < MAX_REDIALS; attempt++) {
    linkTo(dialler, waiter).close('timeout');
    linkTo(waiter, dialler)?.close('timeout');
    t.mock.timers.tick(1000 * 2 ** attempt - 1);
    await settle();
    assert.equal(linkTo(dialler, waiter), undefined, 'not before its time');
    t.mock.timers.tick(1);
    await settle();
    const fresh = linkTo(dialler, waiter);
    assert.equal(fresh?.initiator, true, `dialled again (${attempt + 1})`);
    assert.equal(fresh.polite, true, 'the end that dials again is the polite one');
    const answering = linkTo(waiter, dialler);
    assert.equal(answering.initiator, false);
    assert.deepEqual(answering.signals, [offer(fresh.localFingerprint)]);
  }
  linkTo(dialler, waiter).close('timeout');
  linkTo(waiter, dialler).close('timeout');
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(linkTo(dialler, waiter), undefined, 'no fourth time');
  assert.equal(linkTo(waiter, dialler), undefined, 'the other end never dials again');
});

test('a peer that left, or a failure that will not pass, is not dialled again', async (t) => {
  quietTimers(t);
  const refused = pairInARoom();
  const gone = pairInARoom();
  await settle();
  linkTo(refused.dialler, refused.waiter).close('bad_link_proof');
  linkTo(gone.dialler, gone.waiter).close('connection_failed');
  // The server says the peer left before the redial is due.
  gone.dialler.signaling.dispatchEvent(new CustomEvent('left', { detail: { topic: 'topic', id: gone.waiter.id } }));
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(linkTo(refused.dialler, refused.waiter), undefined);
  assert.equal(linkTo(gone.dialler, gone.waiter), undefined);
});

test('an offer with a new certificate replaces the link it reaches; a renegotiation does not', async (t) => {
  quietTimers(t);
  const { ends: [first, second] } = pairInARoom();
  await settle();
  const old = linkTo(first, second);
  const closed = [];
  first.swarm.addEventListener('peer', ({ detail: { peer } }) => {
    if (peer.state === 'closed') closed.push([peer.reason, peer.quiet]);
  });
  // The joiner's link, as if its RTCPeerConnection were new, offers again.
  linkTo(second, first).emit('signal', { payload: offer('ffff') });
  await settle();
  const replacement = linkTo(first, second);
  assert.notEqual(replacement, old);
  assert.equal(old.state, 'closed');
  assert.deepEqual(closed, [['redialled', true]]);
  assert.equal(replacement.initiator, false);
  assert.deepEqual(replacement.signals, [offer('ffff')]);
  // The same certificate again: the link renegotiates, it is not replaced.
  linkTo(second, first).emit('signal', { payload: offer('ffff') });
  await settle();
  assert.equal(linkTo(first, second), replacement);
  assert.equal(replacement.signals.length, 2);
});

test('an offer older than what the link already heard does not replace it (held back by the server)', async (t) => {
  quietTimers(t);
  const { ends: [first, second] } = pairInARoom();
  await settle();
  const link = linkTo(first, second);
  // The joiner's old offer, sealed a minute ago, delivered only now by the server.
  const blob = sealEnvelope({
    identity: second.identity,
    senderConnectionKey: second.signaling.connectionKeypair.publicKey,
    recipientConnectionKey: first.signaling.connectionKeypair.publicKey,
    topic: second.room.keys.discoveryKey,
    membershipKey: second.room.keys.membershipKey,
    payload: offer('eeee'),
    now: Date.now() - 60_000,
  });
  first.signaling.dispatchEvent(new CustomEvent('signal', { detail: { topic: 'topic', from: second.id, blob } }));
  await settle();
  assert.equal(linkTo(first, second), link);
  assert.equal(link.state, 'connecting');
  assert.equal(link.signals.length, 1, 'only the first offer reached the link');
});
