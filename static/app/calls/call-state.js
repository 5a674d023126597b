// The state of one 1:1 call, as a pure function: nextCallState(state, event) returns
// the next state, or null when the event does not apply (it is then ignored).
// docs/protocol.md §6 (call frames).
//
//   idle ─invite→ outgoing ─remote accept→ active ─hangup (either side)→ ended
//   idle ─remote invite→ incoming ─accept→ active
//   outgoing/incoming ─decline/busy/hangup/timeout/gone→ ended
//
// State: { phase, id, video, direction: 'out' | 'in', reason }.
export const CALL_PHASES = Object.freeze(['idle', 'outgoing', 'incoming', 'active', 'ended']);
export const RING_TIMEOUT_MS = 45_000;

export const IDLE = Object.freeze({ phase: 'idle', id: null, video: false, direction: null, reason: null });

const live = (state) => state.phase === 'outgoing' || state.phase === 'incoming' || state.phase === 'active';
const ended = (state, reason) => ({ ...state, phase: 'ended', reason });

// event: { type: 'start', id, video } | { type: 'frame', action, id, video }
//      | { type: 'accept' } | { type: 'decline' } | { type: 'hangup' }
//      | { type: 'timeout' } | { type: 'gone' } | { type: 'reset' }
export function nextCallState(state, event) {
  switch (event.type) {
    case 'start':
      if (live(state)) return null;
      return { phase: 'outgoing', id: event.id, video: Boolean(event.video), direction: 'out', reason: null };
    case 'accept':
      return state.phase === 'incoming' ? { ...state, phase: 'active' } : null;
    case 'decline':
      return state.phase === 'incoming' ? ended(state, 'declined') : null;
    case 'hangup':
      return live(state) ? ended(state, state.phase === 'outgoing' ? 'cancelled' : 'hung_up') : null;
    case 'timeout':
      return state.phase === 'outgoing' || state.phase === 'incoming' ? ended(state, 'no_answer') : null;
    case 'gone':
      return live(state) ? ended(state, 'connection_lost') : null;
    case 'reset':
      return state.phase === 'ended' ? IDLE : null;
    case 'frame':
      return onFrame(state, event);
    default:
      return null;
  }
}

function onFrame(state, { action, id, video }) {
  if (action === 'invite') {
    if (live(state)) return null; // busy: the caller is told so, this call goes on
    return { phase: 'incoming', id, video: Boolean(video), direction: 'in', reason: null };
  }
  if (!live(state) || id !== state.id) return null; // about another (old) call
  switch (action) {
    case 'accept':
      return state.phase === 'outgoing' ? { ...state, phase: 'active' } : null;
    case 'decline':
      return state.phase === 'outgoing' ? ended(state, 'declined') : null;
    case 'busy':
      return state.phase === 'outgoing' ? ended(state, 'busy') : null;
    case 'hangup':
      return ended(state, state.phase === 'incoming' ? 'missed' : 'hung_up');
    default:
      return null;
  }
}
