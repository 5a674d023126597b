// Who is at the other end of a swarm link (docs/protocol.md §4 and §6), as a RoomSwarm
// decides it: the first envelope of a connection names the peer, an envelope signed by
// anyone else closes the link, the hello proves the identity at the link's end of the
// DTLS connection, and of two ready links to one person the newest wins. One real
// RoomSwarm (Alice's), real envelopes and link proofs; Bob and Mallory are played by
// hand over a fake server and fake links, with mock timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareBytes, toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import { signLinkProof } from '../../static/app/peers/link-proof.js';
import { RoomSwarm } from '../../static/app/peers/room-swarm.js';
import { sealEnvelope } from '../../static/app/signaling/envelope.js';
import './hand-built.js'; // libsodium ready

const OFFER = { description: { type: 'offer', sdp: 'v=0\r\n' } };

// A link that records what the swarm tells it; the test opens it and delivers frames.
class HandLink extends EventTarget {
  constructor(number) {
    super();
    Object.assign(this, { state: 'connecting', signals: [], sent: [], verifiedRemoteSdp: null, authenticatedCalls: 0 });
    this.localFingerprint = 'a0'.repeat(31) + number.toString(16).padStart(2, '0');
    this.remoteFingerprint = null;
  }

  signal(payload) {
    this.signals.push(payload);
    if (payload.description) this.verifiedRemoteSdp = payload.description.sdp;
  }

  send(frame) {
    this.sent.push(frame);
    return true;
  }

  authenticated() {
    this.authenticatedCalls += 1;
  }

  close(reason, error = null, { lastWord = null } = {}) {
    if (this.state === 'closed') return;
    this.lastWord = lastWord;
    this.state = 'closed';
    this.emit('closed', { reason, error });
  }

  // DTLS is up and the certificates checked: the swarm sends its hello.
  open(remoteFingerprint) {
    this.remoteFingerprint = remoteFingerprint;
    this.state = 'open';
    this.emit('open', {});
  }

  deliver(frame) {
    this.emit('message', { frame });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// Alice's swarm in a room, and a way to bring in other connections by hand.
function alicesSwarm(t) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(console, 'info', () => {});
  const room = { topic: 'topic', keys: deriveRoomKeys(newRoomSecret()) };
  const signaling = Object.assign(new EventTarget(), {
    connectionKeypair: createConnectionKeypair(), join() {}, leave() {}, sendSignal() {},
  });
  const links = [];
  const swarm = new RoomSwarm({
    room, identity: createIdentity(), signaling, random: () => 0.5,
    makeLink: () => links[links.push(new HandLink(links.length)) - 1],
  });
  // What each `peer` event said at the time it was fired (the peer object changes later).
  const said = [];
  const rejected = [];
  swarm.addEventListener('peer', ({ detail: { peer } }) => {
    said.push({ id: peer.connectionId, state: peer.state, identity: peer.identity, reason: peer.reason, quiet: peer.quiet });
  });
  swarm.addEventListener('rejected', ({ detail }) => rejected.push([detail.connectionId, detail.code]));
  swarm.start();

  // A connection of `person` that the server announces; it signals Alice first.
  const connection = (id, person, keypair = createConnectionKeypair()) => {
    signaling.dispatchEvent(new CustomEvent('joined', {
      detail: { topic: 'topic', peer: { id, key: toBase64Url(keypair.publicKey) } },
    }));
    return {
      id,
      // An envelope from this connection, signed by `signer` (the person, unless forged).
      signal(payload = OFFER, signer = person) {
        const blob = sealEnvelope({
          identity: signer,
          senderConnectionKey: keypair.publicKey,
          recipientConnectionKey: signaling.connectionKeypair.publicKey,
          topic: room.keys.discoveryKey,
          membershipKey: room.keys.membershipKey,
          payload,
        });
        signaling.dispatchEvent(new CustomEvent('signal', { detail: { topic: 'topic', from: id, blob } }));
      },
      get link() {
        return swarm.peers.get(id)?.link;
      },
      // The link comes up and the person's hello, with its proof, arrives on it.
      hello(link = this.link, name = 'Bob') {
        if (link.state === 'connecting') link.open(`b${links.indexOf(link)}`.padEnd(64, '0'));
        const proof = signLinkProof({
          identity: person,
          discoveryKey: room.keys.discoveryKey,
          localFingerprint: link.remoteFingerprint,
          remoteFingerprint: link.localFingerprint,
        });
        link.deliver({ t: 'hello', v: 1, name, proof: toBase64Url(proof) });
      },
    };
  };
  return { swarm, links, said, rejected, connection, signaling };
}

test('the first envelope of a connection names its peer, and the swarm says so before the hello', (t) => {
  const { swarm, said, connection } = alicesSwarm(t);
  const bob = createIdentity();
  const bobs = connection('bob-1', bob);
  bobs.signal();
  assert.deepEqual(said.map(({ state, identity }) => [state, identity]), [
    ['connecting', null], // the link is made to answer the offer
    ['connecting', bob.publicKey], // the envelope named Bob: the UI can show who is coming
  ]);
  assert.deepEqual(bobs.link.signals, [OFFER]);
  bobs.hello();
  assert.deepEqual(said.at(-1), { id: 'bob-1', state: 'ready', identity: bob.publicKey, reason: null, quiet: false });
  assert.equal(swarm.peers.get('bob-1').name, 'Bob');
  assert.equal(bobs.link.authenticatedCalls, 1);
  assert.equal(bobs.link.sent[0].t, 'hello', 'Alice proved herself too');
});

test('an envelope on a known connection signed by someone else closes the link and is not passed on', (t) => {
  const { swarm, said, rejected, connection } = alicesSwarm(t);
  const bob = createIdentity();
  const mallory = createIdentity();
  const bobs = connection('bob-1', bob);
  bobs.signal();
  const { link } = bobs;
  const peer = swarm.peers.get('bob-1');
  // A member who knows the room re-signs a signal of Bob's connection as herself.
  bobs.signal({ candidate: { candidate: '' } }, mallory);
  assert.equal(link.state, 'closed');
  assert.deepEqual(link.signals, [OFFER], 'the forged signal never reached the link');
  assert.deepEqual(rejected, [['bob-1', 'identity_changed']]);
  assert.deepEqual(peer.identity, bob.publicKey, 'the peer is still who its first envelope named');
  assert.deepEqual(said.at(-1), { id: 'bob-1', state: 'closed', identity: bob.publicKey, reason: 'identity_changed', quiet: false });
  assert.equal(swarm.peers.has('bob-1'), false);
});

test('of two ready links to one person the newest wins; another person\'s link is left alone', (t) => {
  const { swarm, said, connection } = alicesSwarm(t);
  const bob = createIdentity();
  const carol = createIdentity();
  const before = connection('bob-1', bob);
  before.signal();
  before.hello();
  const carols = connection('carol-1', carol);
  carols.signal();
  carols.hello(carols.link, 'Carol');
  const oldLink = before.link;

  // Bob reconnected to the server (a new connection) and reaches Alice again.
  const after = connection('bob-2', bob);
  after.signal();
  assert.equal(oldLink.state, 'open', 'a link still negotiating retires nothing');
  after.hello();
  assert.equal(oldLink.state, 'closed');
  assert.deepEqual(said.find((each) => each.id === 'bob-1' && each.state === 'closed'),
    { id: 'bob-1', state: 'closed', identity: bob.publicKey, reason: 'duplicate', quiet: true });
  assert.deepEqual(swarm.readyPeers().map((peer) => peer.connectionId), ['carol-1', 'bob-2']);
  assert.equal(carols.link.state, 'open');
  t.mock.timers.tick(60_000);
  assert.equal(swarm.peers.has('bob-1'), false, 'a retired twin is not dialled again');
});

// One identity open on two devices (a backup restored in a second browser): the older
// device is told `bye`, and dialled again once the newer one has gone (§6, duplicates).
test('the older device of one identity is told bye, and dialled again when the newer has gone', (t) => {
  const { swarm, links, connection, signaling } = alicesSwarm(t);
  const bob = createIdentity();
  const original = connection('bob-1', bob);
  original.signal();
  original.hello();
  const oldLink = original.link;
  const copy = connection('bob-2', bob);
  copy.signal();
  copy.hello();
  assert.equal(oldLink.state, 'closed');
  assert.deepEqual(oldLink.lastWord, { t: 'bye', reason: 'duplicate' });

  const made = links.length;
  // The copy's browser was closed: its link goes, and the server says it left.
  signaling.dispatchEvent(new CustomEvent('left', { detail: { topic: 'topic', id: 'bob-2' } }));
  copy.link.close('channel_closed');
  t.mock.timers.tick(0);
  assert.equal(links.length, made + 1, 'a new link to the older device');
  assert.equal(swarm.peers.get('bob-1').link, links.at(-1));
  original.signal({ description: { type: 'answer', sdp: 'v=0\r\n' } });
  original.hello(links.at(-1));
  assert.deepEqual(swarm.readyPeers().map((peer) => peer.connectionId), ['bob-1']);
});

test('an older device that left the room is not dialled again', (t) => {
  const { swarm, links, connection, signaling } = alicesSwarm(t);
  const bob = createIdentity();
  const original = connection('bob-1', bob);
  original.signal();
  original.hello();
  const copy = connection('bob-2', bob);
  copy.signal();
  copy.hello();
  for (const id of ['bob-1', 'bob-2']) signaling.dispatchEvent(new CustomEvent('left', { detail: { topic: 'topic', id } }));
  const made = links.length;
  copy.link.close('channel_closed');
  t.mock.timers.tick(60_000);
  assert.equal(links.length, made);
  assert.equal(swarm.peers.size, 0);
});

test('a bye steps this device back: no redial, no writing, until that member links to it again', (t) => {
  const { swarm, connection, signaling } = alicesSwarm(t);
  const carol = createIdentity();
  // Carol's key sorts after Alice's: Alice is the end that would dial again (redial.js).
  let keypair;
  do keypair = createConnectionKeypair();
  while (compareBytes(signaling.connectionKeypair.publicKey, keypair.publicKey) >= 0);
  const first = connection('carol-1', carol, keypair);
  first.signal();
  first.hello(first.link, 'Carol');
  assert.equal(swarm.twins.superseded, false);
  first.link.deliver({ t: 'bye', reason: 'duplicate' });
  assert.equal(swarm.twins.superseded, true);
  t.mock.timers.tick(60_000);
  assert.equal(swarm.peers.has('carol-1'), false, 'not dialled again');

  // Alice's other device closed: Carol dials this one again.
  const again = connection('carol-2', carol);
  again.signal();
  again.hello(again.link, 'Carol');
  assert.equal(swarm.twins.superseded, false);
});

test('a member that said bye and then left the server no longer holds this device back', (t) => {
  const { swarm, connection, signaling } = alicesSwarm(t);
  const carol = createIdentity();
  const first = connection('carol-1', carol);
  first.signal();
  first.hello(first.link, 'Carol');
  let told = 0;
  swarm.addEventListener('twins', () => { told += 1; });
  first.link.deliver({ t: 'bye', reason: 'duplicate' });
  assert.equal(swarm.twins.superseded, true);
  signaling.dispatchEvent(new CustomEvent('left', { detail: { topic: 'topic', id: 'carol-1' } }));
  assert.equal(swarm.twins.superseded, false);
  assert.equal(told, 1);
});

test('a bye on an old link while a newer one to the same member comes up holds nothing back', (t) => {
  const { swarm, connection } = alicesSwarm(t);
  const carol = createIdentity();
  const old = connection('carol-1', carol);
  old.signal();
  old.hello(old.link, 'Carol');
  const oldLink = old.link;
  // Alice reconnected: a new link to Carol is being made, and Carol retires the old one.
  connection('carol-2', carol).signal();
  oldLink.deliver({ t: 'bye', reason: 'duplicate' });
  assert.equal(swarm.twins.superseded, false);
  assert.equal(oldLink.state, 'closed');
});

// A PeerLink stops its messages when it closes; the swarm does not count on it: a hello
// that comes after the link closed makes nothing ready and retires no twin.
test('a hello on a link that has closed meanwhile changes nothing', (t) => {
  const { swarm, said, connection } = alicesSwarm(t);
  const bob = createIdentity();
  const ready = connection('bob-1', bob);
  ready.signal();
  ready.hello();
  const late = connection('bob-2', bob);
  late.signal();
  const lateLink = late.link;
  lateLink.open('c0'.repeat(32));
  lateLink.close('timeout');
  const heard = said.length;
  late.hello(lateLink);
  assert.equal(ready.link.state, 'open', 'the ready link to Bob stays');
  assert.deepEqual(swarm.readyPeers().map((peer) => peer.connectionId), ['bob-1']);
  assert.equal(lateLink.authenticatedCalls, 0);
  assert.equal(said.length, heard, 'no peer event');
});

// The console line is what a failing e2e run shows of a closed link: for this close,
// seen between honest browsers without a known cause, it says what came first.
test('a frame before the hello closes the link as unauthenticated and the console says which', (t) => {
  const { swarm, said, connection } = alicesSwarm(t);
  const bobs = connection('bob-1', createIdentity());
  bobs.signal();
  const { link } = bobs;
  link.open('d0'.repeat(32));
  link.deliver({ t: 'heads', heads: [] });
  assert.equal(link.state, 'closed');
  assert.equal(said.at(-1).reason, 'unauthenticated');
  assert.equal(swarm.readyPeers().length, 0);
  const lines = console.info.mock.calls.map((call) => call.arguments[0]);
  assert.deepEqual(lines, ["parley: link to bob-1 closed (unauthenticated: 'heads' before the hello, never ready)"]);
});
