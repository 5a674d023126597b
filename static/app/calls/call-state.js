// The phase of this device's one call, as a pure function: nextCallState(state, event)
// returns the next state, or null when the event does not apply (it is then ignored).
// Who else is in the call is the roster's business (call-roster.js); this machine only
// hears how many others there are. docs/protocol.md §6 (calls).
//
//   idle ─start→ outgoing ─someone joined→ active ─hangup, or everyone else left→ ended
//   idle ─invite→ incoming ─accept→ active
//   idle ─join (a call already running)→ active
//   outgoing ─every invitee declined or was busy / cancel / timeout→ ended
//   incoming ─decline / timeout / nobody left in the call→ ended
//
// State: { phase, id, topic, video, direction: 'out' | 'in', reason }.
export const CALL_PHASES = Object.freeze(['idle', 'outgoing', 'incoming', 'active', 'ended']);
export const RING_TIMEOUT_MS = 45_000;

export const IDLE = Object.freeze({ phase: 'idle', id: null, topic: null, video: false, direction: null, reason: null });

export const isLive = (state) => state.phase === 'outgoing' || state.phase === 'incoming' || state.phase === 'active';
// In the call: sending media to the others (a ringing callee is not yet).
export const isInCall = (state) => state.phase === 'outgoing' || state.phase === 'active';
// Why a ringing call ended that nobody answered: 'gone' is every invitee's link closing.
const REFUSALS = { decline: 'declined', busy: 'busy', gone: 'connection_lost' };
const ended = (state, reason) => ({ ...state, phase: 'ended', reason });
const fresh = (phase, direction, { id, topic, video }) =>
  ({ phase, id, topic, video: Boolean(video), direction, reason: null });

// event: { type: 'start' | 'invited' | 'join', id, topic, video }
//      | { type: 'accept' } | { type: 'decline' } | { type: 'hangup' }
//      | { type: 'others', count, reason }   the call's other members changed
//      | { type: 'refused', reason }         nobody left to answer: 'decline' | 'busy' | 'gone'
//      | { type: 'timeout' } | { type: 'no_devices' } | { type: 'reset' }
export function nextCallState(state, event) {
  switch (event.type) {
    case 'start':
      return isLive(state) ? null : fresh('outgoing', 'out', event);
    case 'invited':
      return isLive(state) ? null : fresh('incoming', 'in', event);
    case 'join':
      return isLive(state) ? null : fresh('active', 'in', event);
    case 'accept':
      return state.phase === 'incoming' ? { ...state, phase: 'active' } : null;
    case 'decline':
      return state.phase === 'incoming' ? ended(state, 'declined') : null;
    case 'hangup':
      return isLive(state) ? ended(state, state.phase === 'outgoing' ? 'cancelled' : 'hung_up') : null;
    case 'no_devices':
      return isLive(state) ? ended(state, 'no_devices') : null;
    case 'timeout':
      if (state.phase === 'outgoing') return ended(state, 'no_answer');
      return state.phase === 'incoming' ? ended(state, 'missed') : null;
    case 'refused':
      return state.phase === 'outgoing' ? ended(state, REFUSALS[event.reason] ?? 'declined') : null;
    case 'others':
      return onOthers(state, event);
    case 'reset':
      return state.phase === 'ended' ? IDLE : null;
    default:
      return null;
  }
}

// The count is of the others in the call; `reason` says why it last dropped
// ('hung_up' or 'connection_lost').
function onOthers(state, { count, reason = 'hung_up' }) {
  if (state.phase === 'outgoing' && count > 0) return { ...state, phase: 'active' };
  if (state.phase === 'active' && count === 0) return ended(state, reason);
  if (state.phase === 'incoming' && count === 0) return ended(state, 'missed');
  return null;
}
