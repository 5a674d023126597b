// CallManager (static/app/calls/call-manager.js) over fake swarms, peer links and media
// devices: starting, ringing, answering and joining a call, the `call` frames of
// docs/protocol.md §6 and the phases of call-state.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFFER_WAIT_MS } from '../../static/app/calls/link-media.js';
import { RING_TIMEOUT_MS } from '../../static/app/calls/call-state.js';
import { FakeStream, FakeTrack, fakePeer, flush } from './call-fixture.js';
import {
  CALL_ID, ENDED_SHOWN_MS, OTHER_ID, OTHER_TOPIC, TOPIC, callWith, device, kinds, live, rung,
} from './call-manager-fixture.js';

// 1. start
test('start rings every ready peer with invite and writes history "started"', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const gone = fakePeer('D');
  gone.closed('left');
  const { calls, swarm, media, history } = device(t, [b, c, gone]);
  await calls.start(TOPIC, { video: true });
  assert.equal(calls.state.phase, 'outgoing');
  assert.equal(calls.state.direction, 'out');
  assert.match(calls.state.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(media.requests.length, 1, 'devices opened before ringing');
  assert.ok(media.requests[0].audio && media.requests[0].video, 'microphone and camera');
  for (const peer of [b, c]) {
    assert.deepEqual(swarm.to(peer), [{ t: 'call', id: calls.state.id, action: 'invite', video: true }]);
  }
  assert.deepEqual(swarm.to(gone), []);
  assert.deepEqual(history, [{ topic: TOPIC, call: calls.state.id, event: 'started', video: true }]);

  const audio = device(t, [fakePeer('E')], { timers: false });
  await audio.calls.start(TOPIC, { video: false });
  assert.equal(audio.swarm.sent[0].frame.video, false);
  assert.equal(audio.media.requests[0].video, false, 'no camera for a voice call');
});

test('start with nobody connected, or in an unknown room, does nothing', async (t) => {
  const { calls, swarm, media, history } = device(t, []);
  const changes = [];
  calls.addEventListener('change', () => changes.push(1));
  await calls.start(TOPIC, { video: true });
  await calls.start(OTHER_TOPIC, { video: true });
  assert.equal(calls.state.phase, 'idle');
  assert.deepEqual(swarm.sent, []);
  assert.deepEqual(swarm.broadcasts, []);
  assert.deepEqual(media.requests, [], 'no device opened');
  assert.deepEqual(history, []);
  assert.deepEqual(changes, []);
});

// 2. accept -> active, media
test('an accept makes the call active; an impolite link adds microphone and camera at once', async (t) => {
  const b = fakePeer('B', { polite: false });
  const c = fakePeer('C');
  const { calls, swarm, media, call } = await callWith(t, [b, c], []);
  swarm.receive(b, call('accept'));
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual(kinds(b.link.pc), ['audio', 'video']);
  const stream = calls.localStream;
  assert.ok(b.link.pc.added.every((each) => each.stream === stream), 'microphone and camera in one stream');
  assert.deepEqual(live(media.tracks).sort(), b.link.pc.added.map(({ track }) => track).sort());
  assert.deepEqual(c.link.pc.added, [], 'no media with a peer still ringing');
  assert.deepEqual(swarm.to(b, 'call-media'), [{ t: 'call-media', id: calls.state.id, mic: true, camera: true, screen: null }]);
  const [self, other] = calls.participants();
  assert.equal(self.self, true);
  assert.equal(other.key, b.connectionId);
  assert.equal(other.name, 'B');

  // The ring timer stopped with the first accept.
  t.mock.timers.tick(RING_TIMEOUT_MS * 2);
  assert.equal(calls.state.phase, 'active');
});

test('a polite link waits for the first remote track before adding its own', async (t) => {
  const b = fakePeer('B', { polite: true });
  const { calls } = await callWith(t, [b]);
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual(b.link.pc.added, [], 'the impolite end offers first');
  t.mock.timers.tick(OFFER_WAIT_MS - 1);
  assert.deepEqual(b.link.pc.added, []);
  b.link.pc.fireTrack(new FakeTrack('audio'), new FakeStream());
  await flush();
  assert.deepEqual(kinds(b.link.pc), ['audio', 'video']);
  t.mock.timers.tick(OFFER_WAIT_MS);
  assert.equal(b.link.pc.added.length, 2, 'added once');
});

test('a polite link adds its tracks after 4 s when no offer came', async (t) => {
  const b = fakePeer('B', { polite: true });
  await callWith(t, [b], [b], { video: false });
  t.mock.timers.tick(OFFER_WAIT_MS - 1);
  assert.deepEqual(b.link.pc.added, []);
  t.mock.timers.tick(1);
  assert.deepEqual(kinds(b.link.pc), ['audio']);
});

// 3. refusals
test('every invitee declining ends the call "declined"; all busy: "busy"; a mix: "declined"', async (t) => {
  const cases = [
    [['decline', 'decline'], 'declined'],
    [['busy', 'busy'], 'busy'],
    [['busy', 'decline'], 'declined'],
    [['decline', 'busy'], 'declined'],
  ];
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const [answers, reason] of cases) {
    const b = fakePeer('B');
    const c = fakePeer('C');
    const { calls, swarm, call, media } = device(t, [b, c], { timers: false });
    await calls.start(TOPIC, { video: true });
    swarm.receive(b, call(answers[0]));
    assert.equal(calls.state.phase, 'outgoing', `${answers}: one still ringing`);
    swarm.receive(c, call(answers[1]));
    assert.equal(calls.state.phase, 'ended', `${answers}`);
    assert.equal(calls.state.reason, reason, `${answers}`);
    assert.deepEqual(live(media.tracks), [], 'devices released');
  }
});

test('a decline from a peer that was not rung, or twice, counts for nothing', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const stranger = fakePeer('S');
  const { calls, swarm, call } = device(t, [b, c]);
  await calls.start(TOPIC, { video: false });
  swarm.peers.push(stranger);
  swarm.receive(stranger, call('decline'));
  swarm.receive(b, call('decline'));
  swarm.receive(b, call('decline'));
  assert.equal(calls.state.phase, 'outgoing', 'C still ringing');
});

test('one invitee declining while another accepts: the call goes on', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const answers of [['decline', 'accept'], ['accept', 'decline']]) {
    const b = fakePeer('B');
    const c = fakePeer('C');
    const { calls, swarm, call } = device(t, [b, c], { timers: false });
    await calls.start(TOPIC, { video: true });
    swarm.receive(b, call(answers[0]));
    swarm.receive(c, call(answers[1]));
    assert.equal(calls.state.phase, 'active', `${answers}`);
    assert.equal(calls.participants().length, 2, `${answers}`);
  }
});

// 4. ring timeout
test('after 45 s of ringing the caller gives up ("no_answer") and broadcasts hangup', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, media, history } = device(t, [b]);
  await calls.start(TOPIC, { video: true });
  const { id } = calls.state;
  t.mock.timers.tick(RING_TIMEOUT_MS - 1);
  assert.equal(calls.state.phase, 'outgoing');
  t.mock.timers.tick(1);
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'no_answer');
  assert.deepEqual(swarm.broadcasts, [{ t: 'call', id, action: 'hangup', video: true }]);
  assert.deepEqual(live(media.tracks), []);
  assert.deepEqual(history.map((h) => h.event), ['started', 'ended']);
  t.mock.timers.tick(ENDED_SHOWN_MS - 1);
  assert.equal(calls.state.phase, 'ended');
  t.mock.timers.tick(1);
  assert.equal(calls.state.phase, 'idle', 'the ended call is shown 2.5 s');
});

test('a callee nobody answers stops ringing after 45 s ("missed") and sends nothing', async (t) => {
  const a = fakePeer('A');
  const { calls, swarm, media, history } = rung(t, a);
  assert.equal(calls.state.phase, 'incoming');
  t.mock.timers.tick(RING_TIMEOUT_MS);
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'missed');
  assert.deepEqual(swarm.sent, []);
  assert.deepEqual(swarm.broadcasts, []);
  assert.deepEqual(media.requests, [], 'a ringing device opens no device');
  assert.deepEqual(history, []);
  t.mock.timers.tick(ENDED_SHOWN_MS);
  assert.equal(calls.state.phase, 'idle');
});

// 5. incoming
test('an invite while idle rings', async (t) => {
  const a = fakePeer('A');
  const { calls, swarm } = rung(t, a, [], { video: true });
  assert.deepEqual(
    { ...calls.state },
    { phase: 'incoming', id: CALL_ID, topic: TOPIC, video: true, direction: 'in', reason: null },
  );
  assert.equal(calls.peerName, 'A');
  assert.deepEqual(calls.participants().map((p) => [p.key, p.cameraStream, p.mic]), [['self', null, false]], 'no device open yet');
  assert.deepEqual(swarm.sent, []);
});

test('an invite from another peer during a call is answered busy, and the call goes on', async (t) => {
  const a = fakePeer('A');
  const z = fakePeer('Z');
  const { calls, swarm } = rung(t, a, [z]);
  swarm.receive(z, { t: 'call', id: OTHER_ID, action: 'invite', video: true });
  assert.deepEqual(swarm.to(z), [{ t: 'call', id: OTHER_ID, action: 'busy', video: false }]);
  assert.equal(calls.state.phase, 'incoming');
  assert.equal(calls.state.id, CALL_ID);
  await calls.accept();
  assert.equal(calls.state.phase, 'active');
  swarm.receive(z, { t: 'call', id: 'C'.repeat(22), action: 'invite', video: false });
  assert.equal(swarm.to(z, 'busy').length, 2);
  assert.equal(calls.state.phase, 'active');
  assert.equal(calls.state.id, CALL_ID);
  assert.equal(calls.participants().length, 2);
});

test("the inviter's hangup while ringing: missed", async (t) => {
  const a = fakePeer('A');
  const b = fakePeer('B');
  const { calls, swarm } = rung(t, a, [b]);
  swarm.receive(b, { t: 'call', id: CALL_ID, action: 'hangup', video: false });
  assert.equal(calls.state.phase, 'incoming', 'a stranger leaving changes nothing');
  swarm.receive(a, { t: 'call', id: CALL_ID, action: 'hangup', video: false });
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'missed');
  t.mock.timers.tick(ENDED_SHOWN_MS);
  assert.equal(calls.state.phase, 'idle');
  t.mock.timers.tick(RING_TIMEOUT_MS);
  assert.equal(calls.state.phase, 'idle', 'the ring timer is gone');
});

test("the inviter's link closing while ringing: missed", async (t) => {
  const a = fakePeer('A');
  const { calls, swarm } = rung(t, a);
  swarm.close(a);
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'missed');
});

test('decline answers the inviter and ends the ringing', async (t) => {
  const a = fakePeer('A');
  const { calls, swarm, media } = rung(t, a, [], { video: true });
  calls.decline();
  assert.deepEqual(swarm.to(a), [{ t: 'call', id: CALL_ID, action: 'decline', video: true }]);
  assert.deepEqual(swarm.broadcasts, []);
  assert.equal(calls.state.reason, 'declined');
  assert.deepEqual(media.requests, []);
});

// 6. accept
test('accept opens the devices, broadcasts accept, writes "joined" and starts media with the inviter', async (t) => {
  const a = fakePeer('A');
  const { calls, swarm, media, history } = rung(t, a, [], { video: true });
  await calls.accept();
  assert.equal(media.requests.length, 1);
  assert.ok(media.requests[0].audio && media.requests[0].video);
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual(swarm.broadcasts, [{ t: 'call', id: CALL_ID, action: 'accept', video: true }]);
  assert.deepEqual(history, [{ topic: TOPIC, call: CALL_ID, event: 'joined', video: true }]);
  assert.deepEqual(kinds(a.link.pc), ['audio', 'video']);
  assert.deepEqual(swarm.to(a, 'call-media'), [{ t: 'call-media', id: CALL_ID, mic: true, camera: true, screen: null }]);
  t.mock.timers.tick(RING_TIMEOUT_MS);
  assert.equal(calls.state.phase, 'active', 'no ring timeout once accepted');
});

test('accept with no usable devices: ended "no_devices", the inviter gets decline', async (t) => {
  const a = fakePeer('A');
  const { calls, swarm, media, history } = rung(t, a, [], { video: true });
  media.fail = Object.assign(new Error('denied'), { name: 'NotAllowedError' });
  const warn = t.mock.method(console, 'warn', () => {});
  await calls.accept();
  assert.equal(warn.mock.callCount(), 1);
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'no_devices');
  assert.deepEqual(swarm.to(a), [{ t: 'call', id: CALL_ID, action: 'decline', video: true }]);
  assert.deepEqual(swarm.broadcasts, [], 'no accept');
  assert.deepEqual(history, []);
  assert.deepEqual(a.link.pc.added, []);
});

test('start with no usable devices: ended "no_devices", nobody rung', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, media } = device(t, [b]);
  media.fail = new Error('no camera');
  t.mock.method(console, 'warn', () => {});
  await calls.start(TOPIC, { video: true });
  assert.equal(calls.state.reason, 'no_devices');
  assert.deepEqual(swarm.sent, []);
  assert.deepEqual(swarm.broadcasts, []);
});

test('start with no usable devices writes no history "ended" for a call never started', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const b = fakePeer('B');
  const { calls, swarm, media, history, call } = device(t, [b], { timers: false });
  // A first call, from t = 1,000,000 ms, that ends normally.
  await calls.start(TOPIC, { video: false });
  swarm.receive(b, call('accept'));
  swarm.receive(b, call('hangup'));
  t.mock.timers.tick(ENDED_SHOWN_MS);
  assert.equal(calls.state.phase, 'idle');
  history.length = 0;
  // An hour later, a second call fails to open the microphone.
  t.mock.timers.tick(3_600_000);
  media.fail = new Error('no microphone');
  t.mock.method(console, 'warn', () => {});
  await calls.start(TOPIC, { video: false });
  assert.equal(calls.state.reason, 'no_devices');
  assert.deepEqual(history, [], `got ${JSON.stringify(history)}`);
});

test('cancelling while the devices open writes no "ended" and broadcasts no hangup for a call nobody heard of', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, media, history } = device(t, [b]);
  const release = media.hold();
  const starting = calls.start(TOPIC, { video: true });
  calls.hangup();
  release();
  await starting;
  assert.equal(calls.state.reason, 'cancelled');
  assert.deepEqual(live(media.tracks), [], 'the devices opened late are let go');
  assert.deepEqual(swarm.sent, [], 'nobody rung');
  assert.deepEqual(
    { history: history.map((h) => h.event), broadcasts: swarm.broadcasts.map((f) => f.action) },
    { history: [], broadcasts: [] },
  );
});

// 7. joining a running call
test('a present while idle shows the running call; join enters it', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, media, history } = device(t, [b, c]);
  assert.equal(calls.running(TOPIC), null);
  const changes = [];
  calls.addEventListener('change', () => changes.push(1));
  swarm.receive(b, { t: 'call', id: CALL_ID, action: 'present', video: true });
  assert.equal(changes.length, 1, 'the Join button shows');
  assert.deepEqual(calls.running(TOPIC), { id: CALL_ID, video: true, count: 1 });
  swarm.receive(c, { t: 'call', id: CALL_ID, action: 'accept', video: true });
  assert.deepEqual(calls.running(TOPIC), { id: CALL_ID, video: true, count: 2 });
  assert.equal(calls.running(OTHER_TOPIC), null);
  assert.equal(calls.state.phase, 'idle');

  await calls.join(TOPIC);
  assert.equal(calls.state.phase, 'active');
  assert.equal(calls.state.id, CALL_ID);
  assert.equal(calls.state.video, true, 'joins with video as the call has it');
  assert.ok(media.requests[0].video);
  assert.deepEqual(swarm.broadcasts, [{ t: 'call', id: CALL_ID, action: 'accept', video: true }]);
  assert.deepEqual(history.map((h) => h.event), ['joined']);
  assert.deepEqual(kinds(b.link.pc), ['audio', 'video']);
  assert.deepEqual(kinds(c.link.pc), ['audio', 'video']);
  assert.equal(calls.participants().length, 3);
  assert.equal(calls.running(TOPIC), null, 'no Join button for the call this device is in');
});

test('join with { video: false } joins a video call with the microphone only', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, media } = device(t, [b]);
  swarm.receive(b, { t: 'call', id: CALL_ID, action: 'present', video: true });
  await calls.join(TOPIC, { video: false });
  assert.equal(media.requests[0].video, false);
  assert.deepEqual(kinds(b.link.pc), ['audio']);
  assert.deepEqual(swarm.to(b, 'call-media')[0], { t: 'call-media', id: CALL_ID, mic: true, camera: false, screen: null });
  await calls.join(TOPIC);
  assert.equal(media.requests.length, 1, 'no second join');
});

test('join with no call running does nothing', async (t) => {
  const { calls, swarm, media } = device(t, [fakePeer('B')]);
  await calls.join(TOPIC);
  assert.equal(calls.state.phase, 'idle');
  assert.deepEqual(media.requests, []);
  assert.deepEqual(swarm.broadcasts, []);
});

test('a member accepting while this device is still opening its devices to join gets its media', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, media } = device(t, [b, c]);
  swarm.receive(b, { t: 'call', id: CALL_ID, action: 'present', video: false });
  const release = media.hold();
  const joining = calls.join(TOPIC);
  // Someone else joins while the microphone prompt is up.
  swarm.receive(c, { t: 'call', id: CALL_ID, action: 'accept', video: false });
  release();
  await joining;
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual(kinds(b.link.pc), ['audio'], 'B (impolite link): microphone sent');
  assert.deepEqual(kinds(c.link.pc), ['audio'], 'C (impolite link): microphone sent');
});
