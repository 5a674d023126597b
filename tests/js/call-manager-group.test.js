// CallManager (static/app/calls/call-manager.js) over fake swarms, peer links and media
// devices: groups, links closing and coming up, local and remote media changes
// (`call-media`), other calls' frames and the roster's limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeStream, FakeSwarm, FakeTrack, fakePeer } from './call-fixture.js';
import {
  CALL_ID, OTHER_ID, OTHER_TOPIC, TOPIC, callWith, device, live, rung,
} from './call-manager-fixture.js';

// 8. groups
test('group: a member leaving stops only its media; the last other leaving ends the call', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, history, call } = device(t, [b, c], { timers: false });
  await calls.start(TOPIC, { video: true });
  swarm.receive(b, call('accept'));
  swarm.receive(c, call('accept'));
  assert.equal(calls.participants().length, 3);
  assert.deepEqual([...swarm.busy], [b, c], 'the overlay keeps the links a call rides on');
  const bSenders = b.link.pc.added.map(({ sender }) => sender);

  t.mock.timers.tick(60_000);
  swarm.receive(b, call('hangup'));
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual([...swarm.busy], [c]);
  assert.deepEqual(b.link.pc.removed, bSenders, 'both senders taken off B');
  assert.deepEqual(c.link.pc.removed, []);
  assert.deepEqual(calls.participants().map((p) => p.name), ['You', 'C']);
  assert.ok(calls.localStream.getTracks().every((track) => track.readyState === 'live'));
  assert.deepEqual(history.map((h) => h.event), ['started']);

  t.mock.timers.tick(30_000);
  swarm.receive(c, call('hangup'));
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'hung_up');
  assert.equal(c.link.pc.removed.length, 2);
  assert.equal(swarm.busy.size, 0);
  assert.deepEqual(history.at(-1), { topic: TOPIC, call: calls.state.id, event: 'ended', video: true, since: 1_000_000 });
  // Left alone, it leaves too, and says so: the rest of the room must not see it in a call.
  assert.deepEqual(swarm.broadcasts, [{ t: 'call', id: calls.state.id, action: 'hangup', video: true }]);
});

test('a device hanging up while others remain broadcasts hangup and writes no "ended"', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, history, media } = await callWith(t, [b, c]);
  const { id } = calls.state;
  calls.hangup();
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'hung_up');
  assert.deepEqual(swarm.broadcasts, [{ t: 'call', id, action: 'hangup', video: true }]);
  assert.deepEqual(history.map((h) => h.event), ['started']);
  assert.equal(b.link.pc.removed.length, 2);
  assert.equal(c.link.pc.removed.length, 2);
  assert.equal(swarm.busy.size, 0);
  assert.deepEqual(live(media.tracks), []);
  // The others go on without this device: it can join back.
  assert.deepEqual(calls.running(TOPIC), { id, video: true, count: 2 });
});

test('a callee hanging up a 1:1 call broadcasts hangup and writes no "ended"', async (t) => {
  const a = fakePeer('A');
  const callee = rung(t, a);
  await callee.calls.accept();
  callee.calls.hangup();
  assert.deepEqual(callee.history.map((h) => h.event), ['joined']);
  assert.deepEqual(callee.swarm.broadcasts.map((f) => f.action), ['accept', 'hangup']);
});

// 9. links closing
test("the only other member's link closing ends the call 'connection_lost'", async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, history, media } = await callWith(t, [b]);
  swarm.close(b);
  assert.equal(calls.state.phase, 'ended');
  assert.equal(calls.state.reason, 'connection_lost');
  assert.deepEqual(live(media.tracks), []);
  assert.deepEqual(history.map((h) => h.event), ['started', 'ended']);
});

test('in a group, one link closing leaves the call going', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm } = await callWith(t, [b, c]);
  swarm.close(b);
  assert.equal(calls.state.phase, 'active');
  assert.deepEqual(calls.participants().map((p) => p.name), ['You', 'C']);
  assert.equal(b.link.pc.removed.length, 2);
});

// 10. links coming up
test('a link coming up while the caller is still opening its devices is invited once, after they opened', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, media } = device(t, [b]);
  const release = media.hold();
  const starting = calls.start(TOPIC, { video: false });
  const d = fakePeer('D');
  swarm.connect(d);
  const beforeOpen = swarm.to(d, 'invite').length;
  release();
  await starting;
  assert.equal(calls.state.phase, 'outgoing');
  assert.equal(swarm.to(b, 'invite').length, 1);
  assert.deepEqual({ beforeOpen, total: swarm.to(d, 'invite').length }, { beforeOpen: 0, total: 1 });
});

test("the only invitee's link closing while ringing does not end the call as 'busy'", async (t) => {
  const b = fakePeer('B');
  const { calls, swarm } = device(t, [b]);
  await calls.start(TOPIC, { video: false });
  swarm.close(b);
  assert.equal(calls.state.phase, 'ended');
  assert.notEqual(calls.state.reason, 'busy', 'B never said it was busy');
});

test('a link coming up while ringing is invited; during the call it is told "present"', async (t) => {
  const b = fakePeer('B');
  const { calls, swarm, call } = device(t, [b]);
  await calls.start(TOPIC, { video: false });
  const d = fakePeer('D');
  swarm.connect(d);
  assert.deepEqual(swarm.to(d), [{ t: 'call', id: calls.state.id, action: 'invite', video: false }]);
  swarm.receive(b, call('decline'));
  assert.equal(calls.state.phase, 'outgoing', 'D, invited too, has not answered');
  swarm.receive(d, call('accept'));
  assert.equal(calls.state.phase, 'active');

  const e = fakePeer('E');
  swarm.connect(e);
  assert.deepEqual(swarm.to(e), [{ t: 'call', id: calls.state.id, action: 'present', video: false }]);
  swarm.connect(fakePeer('F'));
  // A link in another room says nothing.
  const other = new FakeSwarm();
  calls.attach(OTHER_TOPIC, other);
  other.connect(fakePeer('G'));
  assert.deepEqual(other.sent, []);
});

test('a link coming up to a ringing callee or an idle device gets nothing', async (t) => {
  const a = fakePeer('A');
  const { swarm } = rung(t, a);
  const d = fakePeer('D');
  swarm.connect(d);
  assert.deepEqual(swarm.to(d), []);
  const idle = device(t, [], { timers: false });
  idle.swarm.connect(d);
  assert.deepEqual(idle.swarm.sent, []);
});

// 11. local media changes
test('mute, camera off/on, screen share and hangup: tracks, senders and call-media frames', async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, media } = await callWith(t, [b, c]);
  const { id } = calls.state;
  const pc = b.link.pc;
  const lastMedia = (peer) => swarm.to(peer, 'call-media').at(-1);
  const [mic] = calls.localStream.getAudioTracks();
  const [camera] = calls.localStream.getVideoTracks();

  calls.setMuted(true);
  assert.equal(calls.muted, true);
  assert.equal(mic.enabled, false);
  assert.equal(mic.readyState, 'live', 'muting sends silence, keeps the track');
  for (const peer of [b, c]) assert.deepEqual(lastMedia(peer), { t: 'call-media', id, mic: false, camera: true, screen: null });
  assert.equal(pc.added.length, 2, 'no renegotiation');
  assert.equal(calls.participants()[0].mic, false);
  calls.setMuted(false);
  assert.equal(mic.enabled, true);
  assert.equal(lastMedia(b).mic, true);

  await calls.setCamera(false);
  assert.equal(calls.cameraOn, false);
  assert.equal(camera.readyState, 'ended', 'the camera light goes out');
  const cameraSender = pc.senderOf(camera);
  assert.equal(cameraSender.track, null);
  assert.equal(pc.getTransceivers().find((x) => x.sender === cameraSender).direction, 'recvonly');
  assert.deepEqual(pc.removed, [], 'the sender is kept');
  for (const peer of [b, c]) assert.deepEqual(lastMedia(peer), { t: 'call-media', id, mic: true, camera: false, screen: null });
  assert.equal(calls.participants()[0].camera, false);

  await calls.setCamera(true);
  const [camera2] = calls.localStream.getVideoTracks();
  assert.notEqual(camera2, camera);
  assert.equal(camera2.readyState, 'live');
  assert.equal(cameraSender.track, camera2, 'replaced on the same sender');
  assert.equal(pc.getTransceivers().find((x) => x.sender === cameraSender).direction, 'sendrecv');
  assert.equal(pc.added.length, 2);
  assert.deepEqual(lastMedia(b), { t: 'call-media', id, mic: true, camera: true, screen: null });

  await calls.startScreenShare();
  assert.equal(calls.sharingScreen, true);
  assert.equal(media.displayRequests.length, 1);
  const screenStream = calls.local.screenStream;
  const [screen] = screenStream.getVideoTracks();
  for (const peer of [b, c]) {
    const added = peer.link.pc.added.at(-1);
    assert.equal(added.track, screen);
    assert.equal(added.stream, screenStream, 'the screen in a stream of its own');
    assert.deepEqual(lastMedia(peer), { t: 'call-media', id, mic: true, camera: true, screen: screenStream.id });
  }
  assert.equal(calls.participants()[0].screenStream, screenStream);

  calls.stopScreenShare();
  assert.equal(calls.sharingScreen, false);
  assert.equal(screen.readyState, 'ended');
  for (const peer of [b, c]) {
    assert.equal(peer.link.pc.removed.length, 1);
    assert.equal(peer.link.pc.removed[0], peer.link.pc.senderOf(screen));
    assert.deepEqual(lastMedia(peer), { t: 'call-media', id, mic: true, camera: true, screen: null });
  }
  const sentBefore = swarm.sent.length;
  calls.stopScreenShare();
  assert.equal(swarm.sent.length, sentBefore, 'nothing to stop: nothing sent');

  await calls.startScreenShare();
  calls.hangup();
  assert.ok(media.tracks.length >= 5);
  assert.deepEqual(live(media.tracks), [], 'every local track stopped');
  assert.equal(calls.localStream, null);
  assert.equal(calls.sharingScreen, false);
});

test("the browser's own 'Stop sharing' stops the share in the call", async (t) => {
  const b = fakePeer('B');
  const { calls, swarm } = await callWith(t, [b]);
  await calls.startScreenShare();
  const [screen] = calls.local.screenStream.getVideoTracks();
  screen.end();
  assert.equal(calls.sharingScreen, false);
  assert.equal(b.link.pc.removed.length, 1);
  assert.equal(swarm.to(b, 'call-media').at(-1).screen, null);
});

test('camera and screen controls do nothing outside a call', async (t) => {
  const { calls, swarm, media } = device(t, [fakePeer('B')]);
  await calls.setCamera(true);
  await calls.startScreenShare();
  assert.deepEqual(media.requests, []);
  assert.deepEqual(media.displayRequests, []);
  assert.deepEqual(swarm.sent, []);
});

// 12. remote call-media
test("a member's call-media sets its mic/camera flags and which stream is its screen", async (t) => {
  const b = fakePeer('B');
  const { calls, swarm } = await callWith(t, [b]);
  const { id } = calls.state;
  const cameraStream = new FakeStream([], 'cam-b');
  const screenStream = new FakeStream([], 'screen-b');
  b.link.pc.fireTrack(new FakeTrack('audio'), cameraStream);
  b.link.pc.fireTrack(new FakeTrack('video'), screenStream);
  const other = () => calls.participants()[1];
  assert.equal(other().mic, true, 'assumed on until told');

  const changes = [];
  calls.addEventListener('change', () => changes.push(1));
  swarm.receive(b, { t: 'call-media', id, mic: false, camera: false, screen: 'screen-b' });
  assert.equal(changes.length, 1);
  assert.equal(other().mic, false);
  assert.equal(other().camera, false);
  assert.equal(other().cameraStream, cameraStream);
  assert.equal(other().screenStream, screenStream);

  swarm.receive(b, { t: 'call-media', id: OTHER_ID, mic: true, camera: true, screen: null });
  assert.equal(other().mic, false, 'another call: ignored');
  assert.equal(other().screenStream, screenStream);

  swarm.receive(b, { t: 'call-media', id, mic: true, camera: true, screen: null });
  assert.equal(other().mic, true);
  assert.equal(other().camera, true);
  assert.equal(other().screenStream, null);

  const stranger = fakePeer('S');
  swarm.receive(stranger, { t: 'call-media', id, mic: false, camera: false, screen: null });
  assert.equal(calls.participants().length, 2, 'a non-member: nothing');
});

// 13. other calls' frames, roster limits
test("another call's accept or hangup does not change this call", async (t) => {
  const b = fakePeer('B');
  const c = fakePeer('C');
  const { calls, swarm, call } = device(t, [b, c]);
  await calls.start(TOPIC, { video: true });
  swarm.receive(c, call('accept', OTHER_ID));
  assert.equal(calls.state.phase, 'outgoing', 'accepting another call does not answer this one');
  swarm.receive(c, call('decline', OTHER_ID));
  swarm.receive(b, call('busy', OTHER_ID));
  assert.equal(calls.state.phase, 'outgoing');
  swarm.receive(b, call('accept'));
  assert.equal(calls.state.phase, 'active');
  swarm.receive(b, call('hangup', OTHER_ID));
  assert.equal(calls.state.phase, 'active');
  assert.equal(calls.participants().length, 2);
  assert.deepEqual(b.link.pc.removed, []);
  // Same id, another room: not this call either.
  const other = new FakeSwarm([b]);
  calls.attach(OTHER_TOPIC, other);
  other.receive(b, call('hangup'));
  assert.equal(calls.state.phase, 'active');
});

test('peers cannot make the roster hold more than 8 calls in a room', async (t) => {
  const peers = Array.from({ length: 12 }, (_, i) => fakePeer(`P${i}`));
  const { calls, swarm } = device(t, peers);
  const ids = peers.map((_, i) => String(i).padStart(2, '0').repeat(11));
  peers.forEach((peer, i) => swarm.receive(peer, { t: 'call', id: ids[i], action: 'present', video: false }));
  const inRoom = () => [...calls.roster.calls.values()].filter((c) => c.topic === TOPIC).length;
  assert.equal(inRoom(), 8);

  // One peer is in one call at most: a stream of ids from it leaves one.
  const { calls: solo, swarm: soloSwarm } = device(t, [peers[0]], { timers: false });
  for (let i = 0; i < 50; i += 1) {
    soloSwarm.receive(peers[0], { t: 'call', id: String(i).padStart(2, '0').repeat(11), action: 'invite', video: false });
  }
  assert.equal(solo.roster.calls.size, 1);
  assert.equal(solo.running(TOPIC).count, 1);
});

test('an invite the full roster cannot note is answered busy, not rung', async (t) => {
  const peers = Array.from({ length: 9 }, (_, i) => fakePeer(`P${i}`));
  const { calls, swarm, history } = device(t, peers);
  peers.slice(0, 8).forEach((peer, i) => swarm.receive(peer, { t: 'call', id: String(i).padStart(2, '0').repeat(11), action: 'present', video: false }));
  swarm.receive(peers[8], { t: 'call', id: CALL_ID, action: 'invite', video: false });
  assert.equal(calls.state.phase, 'idle', 'not rung');
  assert.deepEqual(swarm.to(peers[8]), [{ t: 'call', id: CALL_ID, action: 'busy', video: false }]);
  await calls.accept();
  assert.deepEqual(history, [], 'nothing to accept, nothing written');
});
