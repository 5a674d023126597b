// The overlay in a real RoomSwarm (docs/protocol.md §6, big rooms): which members it
// dials from the server's sample, how it makes room for one who dials in, what it tells
// a new neighbour of (`members`) and learns from one, and how it forgets members that
// left. Alice's swarm is real (real envelopes and link proofs) with a small degree
// (target 3, low 2, high 4); the other members are played by hand over a fake server and
// fake links, with mock timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import { signLinkProof } from '../../static/app/peers/link-proof.js';
import { OVERLAY_DEGREE } from '../../static/app/peers/overlay.js';
import { dialsAgain } from '../../static/app/peers/redial.js';
import { RoomSwarm } from '../../static/app/peers/room-swarm.js';
import { openEnvelope, ReplayGuard, sealEnvelope } from '../../static/app/signaling/envelope.js';
import './hand-built.js'; // libsodium ready

const DEGREE = Object.freeze({ target: 3, low: 2, high: 4 });
const sdp = (n) => `v=0\r\na=fingerprint:sha-256 ${n.toString(16).padStart(2, '0').repeat(32).match(/../g).join(':')}\r\n`;

class HandLink extends EventTarget {
  constructor(number, { initiator }) {
    super();
    Object.assign(this, { number, initiator, state: 'connecting', sent: [], verifiedRemoteSdp: null });
    this.localFingerprint = 'a0'.repeat(31) + number.toString(16).padStart(2, '0');
    this.remoteFingerprint = null;
  }

  signal(payload) {
    if (payload.description) this.verifiedRemoteSdp = payload.description.sdp;
  }

  send(frame) {
    this.sent.push(frame);
    return true;
  }

  authenticated() {}

  async roundTripMs() {
    return this.roundTrip ?? null;
  }

  close(reason, error = null, { lastWord = null } = {}) {
    if (this.state === 'closed') return;
    Object.assign(this, { state: 'closed', reason, lastWord });
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason, error } }));
  }
}

const mocked = new WeakSet();

// The shuffle is off (a day) unless a test turns it on.
function room(t, { degree = DEGREE, limits = undefined, shuffleMs = 86_400_000, mirrors = new Set() } = {}) {
  if (!mocked.has(t)) {
    mocked.add(t);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    t.mock.method(console, 'info', () => {});
  }
  const keys = deriveRoomKeys(newRoomSecret());
  const signaling = Object.assign(new EventTarget(), {
    connectionKeypair: createConnectionKeypair(), connectionId: 'alice', join() {}, leave() {}, limits,
    sent: [], // [to, blob]
    sendSignal(topic, to, blob) {
      this.sent.push([to, blob]);
    },
  });
  const links = [];
  const swarm = new RoomSwarm({
    room: { topic: 'topic', keys }, identity: createIdentity(), signaling, degree, shuffleMs, random: () => 0.3,
    trustsMirror: (identity) => mirrors.has(toBase64Url(identity)),
    makeLink: (options) => links[links.push(new HandLink(links.length, options)) - 1],
  });
  const rejected = [];
  swarm.addEventListener('rejected', ({ detail }) => rejected.push([detail.connectionId, detail.code]));
  swarm.start();
  const server = (type, detail) => signaling.dispatchEvent(new CustomEvent(type, { detail: { topic: 'topic', ...detail } }));

  const member = () => {
    const keypair = createConnectionKeypair();
    const person = createIdentity();
    const m = {
      id: toBase64Url(randomBytes(16)),
      key: toBase64Url(keypair.publicKey),
      keyBytes: keypair.publicKey,
      identityText: toBase64Url(person.publicKey),
      get link() {
        return swarm.peers.get(m.id)?.link;
      },
      // An envelope from this member; the server names its key unless told not to.
      signal(payload, { named = true } = {}) {
        const blob = sealEnvelope({
          identity: person,
          senderConnectionKey: keypair.publicKey,
          recipientConnectionKey: signaling.connectionKeypair.publicKey,
          topic: keys.discoveryKey,
          membershipKey: keys.membershipKey,
          payload,
        });
        server('signal', { from: m.id, blob, ...(named ? { key: m.key } : {}) });
      },
      dialsIn() {
        m.signal({ description: { type: 'offer', sdp: sdp(links.length + 100) } });
      },
      // Its end answers (if Alice dialled), the link opens and its hello arrives.
      ready(role = null) {
        const { link } = m;
        if (link.initiator) m.signal({ description: { type: 'answer', sdp: sdp(link.number + 100) } });
        link.remoteFingerprint = `b${link.number}`.padEnd(64, '0');
        link.state = 'open';
        link.dispatchEvent(new CustomEvent('open'));
        const proof = signLinkProof({
          identity: person, discoveryKey: keys.discoveryKey,
          localFingerprint: link.remoteFingerprint, remoteFingerprint: link.localFingerprint,
        });
        m.says({ t: 'hello', v: 1, name: 'm', proof: toBase64Url(proof), ...(role ? { role } : {}) });
      },
      says(frame) {
        m.link.dispatchEvent(new CustomEvent('message', { detail: { frame } }));
      },
      // The payloads of the envelopes Alice sealed to this member, opened at its end.
      received() {
        const replayGuard = new ReplayGuard({ windowMs: 150_000 });
        return signaling.sent.filter(([to]) => to === m.id).map(([, blob]) => openEnvelope(blob, {
          connectionKeypair: keypair, topic: keys.discoveryKey, membershipKey: keys.membershipKey,
          expectedSenderConnectionKey: signaling.connectionKeypair.publicKey, replayGuard,
        }).payload);
      },
    };
    return m;
  };
  const members = (count) => Array.from({ length: count }, member);
  const announce = (list) => server('peers', { peers: list.map(({ id, key }) => ({ id, key })) });
  const live = () => links.filter((link) => link.state !== 'closed');
  const dialled = () => links.filter((link) => link.initiator);
  return { swarm, links, live, dialled, rejected, server, member, members, announce, signaling, aliceKey: signaling.connectionKeypair.publicKey };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a small room is a full mesh; in a big one the joiner dials the target of its sample', async (t) => {
  const small = room(t);
  small.announce(small.members(DEGREE.high));
  assert.equal(small.dialled().length, DEGREE.high);

  const big = room(t);
  big.announce(big.members(10));
  assert.equal(big.dialled().length, DEGREE.target);
  assert.equal(big.swarm.peers.size, DEGREE.target);
});

test('one who dials in is taken; at the high mark, links are pruned with a bye to make room', async (t) => {
  const { announce, members, member, live, links } = room(t);
  const sample = members(10);
  announce(sample);
  const linked = sample.filter((m) => m.link);
  for (const m of linked) m.ready();
  const dialIns = [member(), member()];
  dialIns[0].dialsIn(); // 4 links: the high mark
  assert.equal(live().length, DEGREE.high);
  dialIns[1].dialsIn(); // over it: down to one under the target, then the newcomer
  assert.ok(dialIns[1].link, 'the one who dialled in is taken');
  assert.equal(live().length, DEGREE.target);
  const pruned = links.filter((link) => link.reason === 'pruned');
  assert.equal(pruned.length, DEGREE.high - DEGREE.target + 1);
  for (const link of pruned) assert.deepEqual(link.lastWord, { t: 'bye', reason: 'pruned' });
  await settle();
  t.mock.timers.tick(60_000); // nothing dials a pruned link again
  await settle();
  assert.equal(live().length, DEGREE.target);
});

test('a dial from a member the server never announced is answered with the key it names', async (t) => {
  const { member, rejected, swarm } = room(t);
  const stranger = member();
  stranger.dialsIn();
  assert.ok(stranger.link && !stranger.link.initiator);
  stranger.ready();
  assert.equal(swarm.peers.get(stranger.id).state, 'ready');
  const unnamed = member();
  unnamed.signal({ description: { type: 'offer', sdp: sdp(7) } }, { named: false });
  assert.deepEqual(rejected, [[unnamed.id, 'wrong_sender']]);
});

test('in a big room a new neighbour is told of the others; a bye pruned closes for good', async (t) => {
  const { announce, members, dialled, swarm, live } = room(t);
  const sample = members(10);
  announce(sample);
  const [first, second, third] = sample.filter((m) => m.link);
  first.ready();
  second.ready();
  assert.deepEqual(first.link.sent.filter((f) => f.t === 'members'), []); // nobody else yet
  assert.deepEqual(second.link.sent.find((f) => f.t === 'members'), { t: 'members', peers: [{ id: first.id, key: first.key }] });
  third.ready();
  const told = third.link.sent.find((f) => f.t === 'members').peers.map(({ id }) => id).sort();
  assert.deepEqual(told, [first.id, second.id].sort());

  const firstLink = first.link;
  first.says({ t: 'bye', reason: 'pruned' });
  assert.equal(firstLink.reason, 'pruned');
  assert.equal(swarm.peers.has(first.id), false);
  assert.equal(swarm.twins.superseded, false, 'not another device of ours');
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(dialled().filter((link) => link.state !== 'closed').length, 2, 'between the marks: no new dial');
  assert.equal(live().some((link) => swarm.peers.get(first.id)?.link === link), false);
});

test('members heard of through the room replace neighbours that go', async (t) => {
  const { announce, members, member, dialled, swarm, server } = room(t);
  const sample = members(5);
  announce(sample);
  const linked = sample.filter((m) => m.link);
  for (const m of linked) m.ready();
  for (const m of sample.filter((s) => !s.link)) server('left', { id: m.id });
  const heardOf = [member(), member()];
  linked[0].says({ t: 'members', peers: heardOf.map(({ id, key }) => ({ id, key })) });
  await settle();
  assert.equal(dialled().length, DEGREE.target, 'between the marks: learned, not dialled');

  // Two neighbours leave: one link is left, under the low mark, and the only members
  // Alice knows of besides are the two she heard of: she dials them.
  for (const gone of linked.slice(1)) {
    server('left', { id: gone.id });
    gone.link.close('connection_failed');
  }
  await settle();
  const now = [...swarm.peers.keys()].sort();
  assert.deepEqual(now, [linked[0].id, ...heardOf.map(({ id }) => id)].sort());
});

test('a signal the server could not deliver forgets that member, as a left would', async (t) => {
  const { announce, members, server, swarm, links } = room(t);
  const sample = members(3);
  announce(sample);
  const gone = sample[0];
  const { link } = gone;
  server('server-error', { code: 'unreachable', ref: 'signal', to: gone.id, message: 'x' });
  assert.equal(link.reason, 'left');
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(swarm.peers.has(gone.id), false, 'not dialled again');
  assert.equal(links.length, 3);
  // An error about another topic, or another frame, changes nothing.
  const other = sample[1];
  server('server-error', { code: 'unreachable', ref: 'signal', to: other.id, topic: 'elsewhere' });
  server('server-error', { code: 'rate_limited', to: other.id });
  assert.equal(other.link.state, 'connecting');
});

test('a failed link leaves its place to other members, and its own redial to the rules', async (t) => {
  const big = room(t);
  const sample = big.members(10);
  big.announce(sample);
  const linked = sample.filter((m) => m.link);
  for (const m of linked) m.ready();
  for (const m of linked.slice(1)) m.link.close('bad_link_proof'); // never dialled again
  await settle();
  const now = [...big.swarm.peers.keys()];
  assert.equal(now.length, DEGREE.target, 'under the low mark: dials up to the target');
  for (const m of linked.slice(1)) assert.ok(!now.includes(m.id));

  // In a small room a failed link is not dialled again at once by the overlay (both
  // ends would): only by the one end the redial rules name, after a wait.
  const small = room(t);
  const few = small.members(2);
  small.announce(few);
  few[0].link.close('connection_failed');
  await settle();
  assert.equal(small.swarm.peers.has(few[0].id), false);
});

test('without a degree of its own, the swarm takes the one the server suggests, or the default', async (t) => {
  const suggested = room(t, { degree: null, limits: { overlay: { target: 2, low: 1, high: 3 } } });
  suggested.announce(suggested.members(10));
  assert.equal(suggested.dialled().length, 2);

  const nonsense = room(t, { degree: null, limits: { overlay: { target: 9, low: 1, high: 3 } } });
  nonsense.announce(nonsense.members(40));
  assert.equal(nonsense.dialled().length, OVERLAY_DEGREE.target);

  // A new rendezvous connection may suggest another.
  const later = room(t, { degree: null, limits: {} });
  later.signaling.limits = { overlay: { target: 1, low: 1, high: 2 } };
  later.signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  later.announce(later.members(10));
  assert.equal(later.dialled().length, 1);
});

test('in a big room a member swaps one link for a random one now and then; a small room never', async (t) => {
  const big = room(t, { shuffleMs: 10_000 });
  const sample = big.members(10);
  big.announce(sample);
  for (const m of sample.filter((s) => s.link)) m.ready();
  assert.equal(big.links.length, DEGREE.target);
  t.mock.timers.tick(14_999); // 10 s x (0.5 + 0.3): the first swap is due at 8 s
  await settle();
  assert.equal(big.links.length, DEGREE.target + 1, 'one new dial');
  const pruned = big.links.filter((link) => link.reason === 'pruned');
  assert.equal(pruned.length, 1);
  assert.deepEqual(pruned[0].lastWord, { t: 'bye', reason: 'pruned' });
  assert.equal(big.live().length, DEGREE.target);

  // A neighbour far slower than the others is the one swapped.
  for (const m of sample.filter((each) => each.link?.state === 'connecting')) m.ready();
  const live = sample.filter((m) => m.link && m.link.state === 'open');
  assert.equal(live.length, DEGREE.target);
  for (const m of live) m.link.roundTrip = 25;
  const slow = live[1].link;
  slow.roundTrip = 900;
  t.mock.timers.tick(15_000);
  await settle();
  assert.equal(slow.reason, 'pruned', 'the slow one');
  assert.equal(big.live().length, DEGREE.target);

  const small = room(t, { shuffleMs: 10_000 });
  small.announce(small.members(3));
  t.mock.timers.tick(100_000);
  await settle();
  assert.equal(small.links.length, 3);
});

test('a neighbour lost to a failure is replaced at once, up to the target; one pruned is not', async (t) => {
  const { announce, members, swarm, links } = room(t);
  const sample = members(10);
  announce(sample);
  const linked = sample.filter((m) => m.link);
  for (const m of linked) m.ready();
  linked[0].link.close('channel_closed'); // its page went: 2 links, within the marks
  await settle();
  assert.equal(links.length, DEGREE.target + 1, 'replaced');
  assert.equal(swarm.peers.size, DEGREE.target);
  linked[1].says({ t: 'bye', reason: 'pruned' });
  await settle();
  assert.equal(links.length, DEGREE.target + 1, 'not replaced: 2 links, within the marks');
});

test('a link still being set up is given up with a bye through the server, and taken as one', async (t) => {
  const { announce, members, member, links, swarm } = room(t);
  const sample = members(10);
  announce(sample);
  const dialled = sample.filter((m) => m.link); // 3 dials, none open yet
  const first = member();
  first.dialsIn(); // 4 links being set up: the high mark
  const linkOf = new Map([...dialled, first].map((m) => [m, m.link]));
  member().dialsIn(); // over it: 2 given up (down to one under the target), none open
  const shedLinks = links.filter((link) => link.reason === 'pruned');
  assert.equal(shedLinks.length, DEGREE.high - DEGREE.target + 1);
  const given = [...linkOf].filter(([, link]) => shedLinks.includes(link)).map(([m]) => m);
  assert.equal(given.length, shedLinks.length);
  for (const m of given) assert.deepEqual(m.received().at(-1), { bye: 'pruned' }, 'told through the server');
  for (const m of [...linkOf.keys()].filter((m) => !given.includes(m))) {
    assert.ok(!m.received().some((payload) => payload.bye), 'the others are not');
  }

  // Alice's own dial that the other end gives up: closed as pruned, never dialled again.
  const [other] = dialled.filter((m) => swarm.peers.has(m.id));
  const { link } = other;
  other.signal({ bye: 'pruned' });
  assert.equal(link.reason, 'pruned');
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(swarm.peers.has(other.id), false);
});

test('what a member names never replaces a key the server gave', async (t) => {
  const { announce, members, member, rejected, swarm } = room(t);
  const sample = members(10);
  announce(sample);
  const [neighbour] = sample.filter((m) => m.link);
  neighbour.ready();
  const named = sample.find((m) => !m.link);
  const liar = member();
  neighbour.says({ t: 'members', peers: [{ id: named.id, key: liar.key }] });
  named.dialsIn(); // sealed with its real key: it opens
  assert.deepEqual(rejected, []);
  assert.ok(swarm.peers.has(named.id));
});

test('a late signal from a member without a link opens none and prunes nothing', async (t) => {
  const { announce, members, member, live, swarm } = room(t);
  announce(members(10));
  member().dialsIn(); // 4: the high mark
  const before = live().length;
  const stray = member();
  stray.signal({ candidate: null });
  stray.signal({ description: { type: 'answer', sdp: sdp(9) } });
  assert.equal(live().length, before);
  assert.equal(swarm.peers.has(stray.id), false);
});

test('a ready neighbour the server says left stays counted until its link closes', async (t) => {
  const { announce, members, member, server, swarm } = room(t);
  const sample = members(10);
  announce(sample);
  const linked = sample.filter((m) => m.link);
  for (const m of linked) m.ready();
  for (const m of linked) server('left', { id: m.id }); // their signalling reconnected, say
  for (let n = 0; n < 4; n += 1) member().dialsIn();
  const ready = [...swarm.peers.values()].filter((peer) => peer.state === 'ready').length;
  assert.ok(swarm.peers.size <= DEGREE.high, `${swarm.peers.size} links (${ready} ready)`);
});

test('a bye that comes after the link closed still stops the redial', async (t) => {
  const { announce, member, swarm, aliceKey } = room(t);
  let ours = member();
  while (!dialsAgain(aliceKey, ours.keyBytes)) ours = member(); // one Alice would dial again
  announce([ours]);
  ours.link.close('channel_closed'); // a failure that may pass
  ours.signal({ bye: 'pruned' });
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(swarm.peers.has(ours.id), false);
});

test('in a big room a member with too few links dials newcomers it is told of', async (t) => {
  const { server, members, dialled } = room(t);
  for (const m of members(10)) server('joined', { peer: { id: m.id, key: m.key } });
  await settle();
  assert.equal(dialled().length, DEGREE.target);
  // In a small room the newcomer dials: those told of it wait.
  const small = room(t);
  for (const m of small.members(3)) small.server('joined', { peer: { id: m.id, key: m.key } });
  await settle();
  assert.equal(small.dialled().length, 0);
});

test('the mirror is no link of the overlay: never pruned, never counted, never named', async (t) => {
  const mirrors = new Set();
  const { announce, members, member, links, swarm } = room(t, { mirrors });
  const sample = members(10);
  announce(sample);
  const mirror = member();
  mirrors.add(mirror.identityText);
  mirror.dialsIn();
  mirror.ready('mirror');
  assert.equal(swarm.peers.get(mirror.id).isMirror, true);
  for (const m of sample.filter((s) => s.link)) m.ready();
  const told = sample.filter((m) => m.link).flatMap((m) => m.link.sent.filter((f) => f.t === 'members'));
  assert.ok(told.every((frame) => frame.peers.every(({ id }) => id !== mirror.id)));
  for (let n = 0; n < 6; n += 1) member().dialsIn(); // make room, again and again
  assert.equal(swarm.peers.get(mirror.id)?.state, 'ready');
  assert.equal(links.filter((link) => link.reason === 'pruned').includes(mirror.link), false);
});

test('a member of this device\'s call is dialled even at the high mark and kept until the call lets it go', async (t) => {
  const { announce, members, member, live, swarm, links } = room(t);
  const sample = members(10);
  announce(sample);
  for (const m of sample.filter((each) => each.link)) m.ready();
  const dialIn = member();
  dialIn.dialsIn();
  dialIn.ready(); // 4 links: the high mark
  assert.equal(live().length, DEGREE.high);
  const callee = member(); // in the call, never announced in the room: its call topic named it
  swarm.linkForCall(callee.id, callee.key);
  await settle();
  assert.ok(callee.link?.initiator, 'dialled at the high mark');
  callee.ready();
  await settle();
  assert.equal(live().length, DEGREE.high + 1, 'a call may take a member past the high mark');
  swarm.releaseCallLinks([callee.id]);
  await settle();
  assert.equal(live().length, DEGREE.target, 'once the call lets it go, the overlay prunes as usual');
  assert.equal(links.filter((link) => link.reason === 'pruned').length, DEGREE.high + 1 - DEGREE.target);
});

test('a call\'s link is kept when the overlay prunes over the high mark', async (t) => {
  const { announce, members, member, live, swarm } = room(t);
  const sample = members(10);
  announce(sample);
  for (const m of sample.filter((each) => each.link)) m.ready();
  const callee = member();
  swarm.linkForCall(callee.id, callee.key);
  await settle();
  const callLink = callee.link;
  callee.ready();
  for (const m of [member(), member()]) {
    m.dialsIn();
    m.ready();
  }
  await settle();
  assert.notEqual(callLink.state, 'closed', 'shed others to make room, never the call\'s');
  assert.ok(live().length <= DEGREE.high + 1);
});

test('a member every neighbour pruned, with nobody left to dial, asks the server for a fresh sample', async (t) => {
  const { announce, members, live, signaling, dialled } = room(t);
  const joins = [];
  signaling.join = (topic) => joins.push(topic);
  const first = members(3);
  announce(first);
  for (const m of first) m.ready();
  for (const m of first) m.says({ t: 'bye', reason: 'pruned' }); // each was over its high mark
  await settle();
  assert.equal(live().length, 0);
  t.mock.timers.tick(9_999);
  await settle();
  assert.deepEqual(joins, []);
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(joins, ['topic'], 'joining again brings a fresh sample (§3)');
  const before = dialled().length;
  announce([...first, ...members(2)]);
  await settle();
  assert.equal(dialled().length - before, DEGREE.target, 'five known: a big room, the target dialled');
  for (const m of [...first, ...members(0)].filter((each) => each.link?.state === 'connecting')) m.ready();
  // Linked again, it asks no more.
  t.mock.timers.tick(600_000);
  await settle();
  assert.deepEqual(joins, ['topic']);
});
