// The CallManager tests' shared set-up (call-manager-*.test.js): a device with one room
// over a fake swarm, a caller whose peers accepted, a callee being rung.
import { CallManager } from '../../static/app/calls/call-manager.js';
import { FakeMedia, FakeSwarm } from './call-fixture.js';
export const TOPIC = 'room-topic';
export const OTHER_TOPIC = 'other-topic';
export const CALL_ID = 'A'.repeat(21) + 'w';
export const OTHER_ID = 'B'.repeat(22);
export const ENDED_SHOWN_MS = 2500;

// A device with one room whose swarm has these peers ready.
export function device(t, peers = [], { timers = true } = {}) {
  if (timers) t.mock.timers.enable({ apis: ['setTimeout'] });
  const media = new FakeMedia();
  const calls = new CallManager({ getUserMedia: media.getUserMedia, getDisplayMedia: media.getDisplayMedia });
  const swarm = new FakeSwarm(peers);
  calls.attach(TOPIC, swarm);
  const history = [];
  calls.addEventListener('history', ({ detail }) => history.push(detail));
  const call = (action, id = calls.state.id, video = calls.state.video) => ({ t: 'call', id, action, video });
  return { calls, swarm, media, history, call };
}

export const live = (tracks) => tracks.filter((track) => track.readyState === 'live');
export const kinds = (pc) => pc.added.map(({ track }) => track.kind).sort();

// Caller with `peers` rung and the ones in `accepting` having accepted.
export async function callWith(t, peers, accepting = peers, { video = true } = {}) {
  const d = device(t, peers);
  await d.calls.start(TOPIC, { video });
  for (const peer of accepting) d.swarm.receive(peer, d.call('accept'));
  return d;
}

// A callee rung by `inviter` in call CALL_ID.
export function rung(t, inviter, others = [], { video = false } = {}) {
  const d = device(t, [inviter, ...others]);
  d.swarm.receive(inviter, { t: 'call', id: CALL_ID, action: 'invite', video });
  return d;
}

