import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALL_ACTIONS, DataFrameError, encodeDataFrame, MAX_SDP_LENGTH, parseDataFrame,
} from '../../static/app/peers/data-frames.js';
import { IDLE, nextCallState } from '../../static/app/calls/call-state.js';

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
const start = { type: 'start', id: CALL_ID, video: true };
const frame = (action, id = CALL_ID) => ({ type: 'frame', action, id, video: false });

test('an outgoing call rings, is accepted and hung up', () => {
  let state = nextCallState(IDLE, start);
  assert.deepEqual(state, { phase: 'outgoing', id: CALL_ID, video: true, direction: 'out', reason: null });
  assert.equal(nextCallState(state, frame('accept', OTHER_ID)), null, 'about another call');
  state = nextCallState(state, frame('accept'));
  assert.equal(state.phase, 'active');
  assert.equal(nextCallState(state, start), null, 'one call at a time');
  state = nextCallState(state, { type: 'hangup' });
  assert.deepEqual([state.phase, state.reason], ['ended', 'hung_up']);
  assert.equal(nextCallState(state, { type: 'reset' }), IDLE);
});

test('an incoming call is accepted, declined, missed or ends with the link', () => {
  const ringing = nextCallState(IDLE, { type: 'frame', action: 'invite', id: CALL_ID, video: false });
  assert.deepEqual(ringing, { phase: 'incoming', id: CALL_ID, video: false, direction: 'in', reason: null });
  assert.equal(nextCallState(ringing, frame('accept')), null, 'only the caller hears accept');
  assert.equal(run(ringing, { type: 'accept' }).phase, 'active');
  assert.equal(run(ringing, { type: 'decline' }).reason, 'declined');
  assert.equal(run(ringing, frame('hangup')).reason, 'missed');
  assert.equal(run(ringing, { type: 'timeout' }).reason, 'no_answer');
  assert.equal(run(ringing, { type: 'accept' }, { type: 'gone' }).reason, 'connection_lost');
  assert.equal(run(ringing, { type: 'accept' }, frame('hangup')).reason, 'hung_up');
  assert.equal(nextCallState(ringing, { type: 'frame', action: 'invite', id: OTHER_ID, video: true }), null,
    'a second invite does not replace the ringing call');
});

test('the caller hears declined, busy and no answer', () => {
  const ringing = nextCallState(IDLE, start);
  assert.equal(run(ringing, frame('decline')).reason, 'declined');
  assert.equal(run(ringing, frame('busy')).reason, 'busy');
  assert.equal(run(ringing, { type: 'timeout' }).reason, 'no_answer');
  assert.equal(run(ringing, { type: 'hangup' }).reason, 'cancelled');
  assert.equal(nextCallState(ringing, { type: 'decline' }), null, 'the caller cannot decline');
  const active = run(ringing, frame('accept'));
  assert.equal(nextCallState(active, frame('decline')), null);
  assert.equal(nextCallState(active, { type: 'timeout' }), null);
  assert.equal(nextCallState(IDLE, { type: 'hangup' }), null);
  assert.equal(nextCallState(IDLE, frame('accept')), null);
  assert.equal(nextCallState(IDLE, { type: 'nonsense' }), null);
});
