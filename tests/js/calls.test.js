import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALL_ACTIONS, DataFrameError, encodeDataFrame, MAX_SDP_LENGTH, parseDataFrame,
} from '../../static/app/peers/data-frames.js';
import { IDLE, isInCall, isLive, nextCallState } from '../../static/app/calls/call-state.js';
import { CallRoster } from '../../static/app/calls/call-roster.js';

const CALL_ID = 'A'.repeat(21) + 'w';
const OTHER_ID = 'B'.repeat(22);
const rejects = (frame, code = 'malformed') => assert.throws(
  () => parseDataFrame(JSON.stringify(frame)),
  (e) => e instanceof DataFrameError && e.code === code,
);

test('call, sdp and ice frames round-trip', () => {
  const frames = [
    ...CALL_ACTIONS.map((action) => ({ t: 'call', id: CALL_ID, action, video: action === 'invite' })),
    { t: 'sdp', type: 'offer', sdp: 'v=0\r\n' },
    { t: 'sdp', type: 'answer', sdp: 'x'.repeat(MAX_SDP_LENGTH) },
    { t: 'ice', candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', mid: '0', index: 0 },
    { t: 'ice', candidate: '', mid: null, index: null },
  ];
  for (const frame of frames) assert.deepEqual(parseDataFrame(encodeDataFrame(frame)), frame);
});

test('call-media frames say what a member sends, and which stream is its screen', () => {
  const media = { t: 'call-media', id: CALL_ID, mic: true, camera: false, screen: null };
  assert.deepEqual(parseDataFrame(encodeDataFrame(media)), media);
  const sharing = { ...media, screen: '{0b7c5bd9-8f3e-4d55-9d6e-3c1e3b1f6f0a}' };
  assert.deepEqual(parseDataFrame(encodeDataFrame(sharing)), sharing);
  rejects({ ...media, screen: '' });
  rejects({ ...media, screen: 'x'.repeat(65) });
  rejects({ ...media, screen: 'has space' });
  rejects({ ...media, screen: 'new\nline' });
  rejects({ ...media, mic: 1 });
  rejects({ ...media, camera: null });
  rejects({ ...media, id: 'short' });
  rejects({ t: 'call-media', id: CALL_ID, mic: true, camera: true });
  rejects({ ...media, volume: 1 });
});

test('call frames have strict schemas and limits', () => {
  const call = { t: 'call', id: CALL_ID, action: 'invite', video: true };
  rejects({ ...call, action: 'ring' });
  rejects({ ...call, id: 'short' });
  rejects({ ...call, id: CALL_ID + 'A' });
  rejects({ ...call, id: 'A'.repeat(21) + '=' });
  rejects({ ...call, video: 'yes' });
  rejects({ t: 'call', id: CALL_ID, action: 'invite' });
  rejects({ ...call, extra: 1 });
  rejects({ t: 'sdp', type: 'pranswer', sdp: 'v=0' });
  rejects({ t: 'sdp', type: 'rollback', sdp: 'v=0' });
  rejects({ t: 'sdp', type: 'offer', sdp: '' });
  rejects({ t: 'sdp', type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) });
  rejects({ t: 'sdp', type: 'offer', sdp: { sdp: 'v=0' } });
  rejects({ t: 'ice', candidate: 'x'.repeat(1025), mid: '0', index: 0 });
  rejects({ t: 'ice', candidate: 'c', mid: 'x'.repeat(33), index: 0 });
  rejects({ t: 'ice', candidate: 'c', mid: '0', index: -1 });
  rejects({ t: 'ice', candidate: 'c', mid: '0', index: 1.5 });
  rejects({ t: 'ice', candidate: 'c', mid: '0' });
  assert.throws(() => encodeDataFrame({ ...call, action: 'ring' }), DataFrameError);
});

const run = (state, ...events) => events.reduce((s, e) => nextCallState(s, e) ?? s, state);
const TOPIC = 'room-topic';
const start = { type: 'start', id: CALL_ID, topic: TOPIC, video: true };
const invited = { type: 'invited', id: CALL_ID, topic: TOPIC, video: false };
const others = (count, reason) => ({ type: 'others', count, reason });

test('an outgoing call rings until someone joins, and ends when everyone else left', () => {
  let state = nextCallState(IDLE, start);
  assert.deepEqual(state, { phase: 'outgoing', id: CALL_ID, topic: TOPIC, video: true, direction: 'out', reason: null });
  assert.ok(isInCall(state) && isLive(state));
  assert.equal(nextCallState(state, others(0)), null, 'nobody yet: still ringing');
  state = nextCallState(state, others(1));
  assert.equal(state.phase, 'active');
  assert.equal(nextCallState(state, start), null, 'one call at a time');
  assert.equal(nextCallState(state, others(3)), null, 'more people: still active');
  assert.deepEqual(pick(run(state, others(0, 'connection_lost'))), ['ended', 'connection_lost']);
  state = nextCallState(state, { type: 'hangup' });
  assert.deepEqual(pick(state), ['ended', 'hung_up']);
  assert.equal(nextCallState(state, { type: 'reset' }), IDLE);
});

test('an incoming call is accepted, declined, missed, or ends with the call', () => {
  const ringing = nextCallState(IDLE, invited);
  assert.deepEqual(ringing, { phase: 'incoming', id: CALL_ID, topic: TOPIC, video: false, direction: 'in', reason: null });
  assert.ok(isLive(ringing) && !isInCall(ringing), 'ringing sends nothing yet');
  assert.equal(run(ringing, { type: 'accept' }).phase, 'active');
  assert.equal(run(ringing, { type: 'decline' }).reason, 'declined');
  assert.equal(run(ringing, others(0)).reason, 'missed', 'everyone in the call left');
  assert.equal(nextCallState(ringing, others(2)), null);
  assert.equal(run(ringing, { type: 'timeout' }).reason, 'missed');
  assert.equal(run(ringing, { type: 'accept' }, others(0)).reason, 'hung_up');
  assert.equal(nextCallState(ringing, { ...invited, id: OTHER_ID }), null, 'a second invite does not replace it');
  assert.equal(nextCallState(ringing, { type: 'refused', reason: 'busy' }), null);
});

test('joining a running call goes straight in', () => {
  const state = nextCallState(IDLE, { type: 'join', id: CALL_ID, topic: TOPIC, video: false });
  assert.equal(state.phase, 'active');
  assert.equal(state.direction, 'in');
  assert.equal(nextCallState(state, { type: 'join', id: OTHER_ID, topic: TOPIC }), null);
  const ended = run(IDLE, start, { type: 'hangup' });
  assert.equal(nextCallState(ended, { type: 'join', id: OTHER_ID, topic: TOPIC }).phase, 'active',
    'a call just ended does not stop joining another');
});

test('the caller hears refusals, no answer, and missing devices', () => {
  const ringing = nextCallState(IDLE, start);
  assert.equal(run(ringing, { type: 'refused', reason: 'decline' }).reason, 'declined');
  assert.equal(run(ringing, { type: 'refused', reason: 'busy' }).reason, 'busy');
  assert.equal(run(ringing, { type: 'timeout' }).reason, 'no_answer');
  assert.equal(run(ringing, { type: 'hangup' }).reason, 'cancelled');
  assert.equal(run(ringing, { type: 'no_devices' }).reason, 'no_devices');
  assert.equal(nextCallState(ringing, { type: 'decline' }), null, 'the caller cannot decline');
  const active = run(ringing, others(1));
  assert.equal(nextCallState(active, { type: 'refused', reason: 'decline' }), null, 'one refusal does not end a call');
  assert.equal(nextCallState(active, { type: 'timeout' }), null);
  assert.equal(nextCallState(IDLE, { type: 'hangup' }), null);
  assert.equal(nextCallState(IDLE, others(1)), null);
  assert.equal(nextCallState(IDLE, { type: 'nonsense' }), null);
});

test('the roster knows who is in which call, one call per peer', () => {
  const roster = new CallRoster();
  const [ada, bob, cy] = [{ name: 'Ada' }, { name: 'Bob' }, { name: 'Cy' }];
  assert.equal(roster.running(TOPIC), null);
  assert.ok(roster.note(TOPIC, CALL_ID, ada, { video: true }));
  assert.equal(roster.note(TOPIC, CALL_ID, ada), false, 'said twice: nothing new');
  roster.note(TOPIC, CALL_ID, bob);
  assert.deepEqual(roster.members(TOPIC, CALL_ID), [ada, bob]);
  assert.deepEqual(roster.running(TOPIC), { id: CALL_ID, video: true, count: 2 });
  assert.equal(roster.running('other-room'), null);
  // Cy starts another call in the room; Bob moves there: a peer is in one call at most.
  roster.note(TOPIC, OTHER_ID, cy);
  roster.note(TOPIC, OTHER_ID, bob);
  assert.deepEqual(roster.members(TOPIC, CALL_ID), [ada]);
  assert.deepEqual(roster.running(TOPIC), { id: OTHER_ID, video: false, count: 2 }, 'the bigger call');
  assert.equal(roster.leave(ada, OTHER_ID), false, 'not in that call');
  assert.ok(roster.leave(ada, CALL_ID));
  assert.deepEqual(roster.members(TOPIC, CALL_ID), []);
  assert.deepEqual(roster.drop(bob), [{ topic: TOPIC, id: OTHER_ID }]);
  assert.deepEqual(roster.drop(bob), []);
  assert.ok(roster.has(TOPIC, OTHER_ID, cy));
});

test('a peer cannot make the roster remember calls without end', () => {
  const roster = new CallRoster();
  const ids = Array.from({ length: 20 }, (_, i) => String(i).padStart(22, 'A'));
  ids.forEach((id, i) => roster.note(TOPIC, id, { i }));
  assert.equal(new Set(ids.filter((id) => roster.members(TOPIC, id).length > 0)).size, 8);
  roster.note('another-room', CALL_ID, { other: true });
  assert.equal(roster.members('another-room', CALL_ID).length, 1, 'the limit is per room');
});

function pick(state) {
  return [state.phase, state.reason];
}
