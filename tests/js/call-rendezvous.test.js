// Calls in a big room (static/app/calls/call-rendezvous.js, docs/protocol.md §6): the
// call the history shows, joining it through the call's rendezvous topic, and leaving
// that topic (and letting its links go) once the call is over for this device.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BigRoomCalls, callTopic, OPEN_CALL_MS } from '../../static/app/calls/call-rendezvous.js';
import { IDLE } from '../../static/app/calls/call-state.js';
import './hand-built.js'; // libsodium ready

const CALL = 'AAAAAAAAAAAAAAAAAAAAAA';
const KEY = new Uint8Array(32).fill(5);
const NOW = 1_800_000_000_000;

function scene({ big = true, summary = { call: CALL, video: true, starter: 'ada', startedAt: NOW - 60_000, joined: ['bob'], ended: false } } = {}) {
  const calls = Object.assign(new EventTarget(), {
    state: IDLE, entered: false, roster: null, joined: [],
    running(topic) {
      return this.roster?.topic === topic ? this.roster : null;
    },
    async join(topic) {
      this.joined.push(topic);
      this.state = { phase: 'active', id: CALL, topic, video: true };
      this.entered = true;
      this.dispatchEvent(new Event('change'));
    },
  });
  const signaling = Object.assign(new EventTarget(), {
    topics: [],
    join(topic) {
      this.topics.push(['join', topic]);
    },
    leave(topic) {
      this.topics.push(['leave', topic]);
    },
  });
  const swarm = {
    dialled: [], awaited: [], released: [],
    linkForCall(id, key, { dial }) {
      (dial ? this.dialled : this.awaited).push([id, key]);
    },
    releaseCallLinks(ids) {
      this.released.push(...ids);
    },
  };
  const session = { isBig: () => big, view: { messages: summary ? [{ call: summary }] : [] } };
  const rooms = new BigRoomCalls({ calls, signaling });
  rooms.attach('room', { swarm, session, membershipKey: KEY });
  return { calls, signaling, swarm, session, rooms };
}

test('a big room shows the call its history says is going on; a small one, an ended or an old one, no', () => {
  assert.deepEqual(scene().rooms.openCall('room', NOW), { id: CALL, video: true, count: 2 });
  assert.equal(scene({ big: false }).rooms.openCall('room', NOW), null, 'a small room hears of calls on its links');
  assert.equal(scene({ summary: null }).rooms.openCall('room', NOW), null);
  const ended = { call: CALL, video: false, starter: 'ada', startedAt: NOW, joined: [], ended: true };
  assert.equal(scene({ summary: ended }).rooms.openCall('room', NOW), null);
  assert.equal(scene().rooms.openCall('room', NOW + OPEN_CALL_MS), null, 'its last member may have gone without a word');
  const heard = scene();
  heard.calls.roster = { topic: 'room', id: CALL, video: true, count: 2 };
  assert.equal(heard.rooms.openCall('room', NOW), null, 'known from a link: the usual Join');
});

test('joining dials whoever the call\'s topic names, joins once a member of it says so, and leaves the topic after the call', async () => {
  const { calls, signaling, swarm, rooms } = scene();
  const topic = callTopic(KEY, CALL);
  const joining = rooms.join('room');
  assert.deepEqual(signaling.topics, [['join', topic]]);
  signaling.dispatchEvent(new CustomEvent('peers', { detail: { topic: 'another', peers: [{ id: 'x', key: 'k' }] } }));
  signaling.dispatchEvent(new CustomEvent('peers', { detail: { topic, peers: [{ id: 'ada-device', key: 'ka' }, { id: 'bob-device', key: 'kb' }] } }));
  assert.deepEqual(swarm.dialled, [['ada-device', 'ka'], ['bob-device', 'kb']]);
  // One who comes after this device is awaited: its offer comes, its link is the call's.
  signaling.dispatchEvent(new CustomEvent('joined', { detail: { topic, peer: { id: 'cy-device', key: 'kc' } } }));
  assert.deepEqual(swarm.awaited, [['cy-device', 'kc']]);
  assert.deepEqual(calls.joined, [], 'not before a member of the call is linked and says so');
  calls.roster = { topic: 'room', id: CALL, video: true, count: 2 }; // Ada's `present` came
  calls.dispatchEvent(new Event('change'));
  await joining;
  assert.deepEqual(calls.joined, ['room']);
  assert.deepEqual(signaling.topics, [['join', topic]], 'in the call: still at its topic');
  calls.state = { ...IDLE, phase: 'ended' };
  calls.entered = false;
  calls.dispatchEvent(new Event('change'));
  assert.deepEqual(signaling.topics.at(-1), ['leave', topic]);
  assert.deepEqual(swarm.released, ['ada-device', 'bob-device', 'cy-device'], 'the overlay may prune them again');
});

test('each call of each room has a topic of its own, which names neither', () => {
  const other = new Uint8Array(32).fill(6);
  const topics = new Set([callTopic(KEY, CALL), callTopic(other, CALL), callTopic(KEY, 'BBBBBBBBBBBBBBBBBBBBBA')]);
  assert.equal(topics.size, 3);
  for (const topic of topics) assert.match(topic, /^[A-Za-z0-9_-]{43}$/);
});
