// When a link fails, dial again (docs/protocol.md §6, "Dialling again"). Pure rules, used
// alike by the browser's room swarm and mirrored by parley_peer/swarm.py.
//
//   shouldRedial({ reason, weDial, announced, twinReady, attempts }) -> boolean
//   redialDelayMs(attempts, random)     1, 2, 4 s, each ±25 %
//   dialsAgain(localKey, remoteKey)     whether this end is the one that dials again
//   isFreshOffer(payload, remoteSdp)    an offer from a new connection at the other end
//   isFailure(reason)                   a reason no end chose (a link that may come back)
//   new Redials({ random })             the swarm's pending redials, one per connection:
//     redials.after(peer, reason, { announced, twinReady }, dial)  dial() later, if due
//     redials.forget(id); redials.forgetAll()
import { compareBytes } from '../crypto/bytes.js';
import { sdpFingerprint } from './dtls-fingerprint.js';

export const MAX_REDIALS = 3; // in a row; a link that becomes ready starts the count again

// Reasons that may pass: the network, a slow machine, a lost signal, the other end giving
// up (its channel closed) or a frame before the hello (`unauthenticated`: an honest peer
// whose browser dropped its hello, as Chromium did before peer-link.js waited for the
// peer's channel to carry; docs/protocol.md §6). What the peer did wrong beyond doubt (a
// bad proof, a certificate mismatch, misbehaving) or chose (left, duplicate) is not
// dialled again. ICE that found no path (`no_relay`, `relay_failed`) may find one after
// a network change, and a relay-only link without a relay (`relay_missing`) may have
// lacked only a credential (an ask that failed, one that expired): the redial asks first.
const PASSING_FAILURES = new Set([
  'timeout', 'connection_failed', 'negotiation_failed', 'certificate_unavailable', 'channel_closed',
  'unauthenticated', 'no_relay', 'relay_failed', 'relay_missing',
]);

// A failure, not a choice of either end: on a ready link, its member may have gone.
export function isFailure(reason) {
  return PASSING_FAILURES.has(reason);
}

// Only one end dials again, so the two never offer at once (a Python peer cannot roll an
// offer back): the end whose connection key sorts first, the polite end.
export function dialsAgain(localConnectionKey, remoteConnectionKey) {
  return compareBytes(localConnectionKey, remoteConnectionKey) < 0;
}

// Not while another ready link reaches the same person (`twinReady`): one link per
// identity is kept (§6, duplicates), and a channel that closed because its peer retired
// it as a duplicate is not to be undone.
export function shouldRedial({ reason, weDial, announced, twinReady, attempts }) {
  if (!weDial || !announced || twinReady || attempts >= MAX_REDIALS) return false;
  return PASSING_FAILURES.has(reason);
}

export function redialDelayMs(attempts, random = Math.random) {
  return 1000 * 2 ** attempts * (0.75 + random() / 2);
}

// An offer whose DTLS certificate is not the one this link negotiated comes from a new
// RTCPeerConnection at the other end: it dialled again, and the old link is finished.
export function isFreshOffer(payload, remoteSdp) {
  if (payload?.description?.type !== 'offer') return false;
  const known = sdpFingerprint(remoteSdp);
  return known !== null && sdpFingerprint(payload.description.sdp) !== known;
}

// A connection's failed links in a row, and the timer of its next dial.
export class Redials {
  #pending = new Map(); // connectionId -> { attempts, timer }
  #random;

  constructor({ random = Math.random } = {}) {
    this.#random = random;
  }

  // The peer is still in the room (the server has not said it left) and the failure may
  // pass: `dial` after a while, unless the other end does it first.
  after(peer, reason, { announced, twinReady }, dial) {
    const { connectionId } = peer;
    const redial = this.#pending.get(connectionId) ?? { attempts: 0, timer: null };
    const weDial = dialsAgain(peer.localConnectionKey, peer.connectionKey);
    if (!shouldRedial({ reason, weDial, announced, twinReady, attempts: redial.attempts })) return;
    clearTimeout(redial.timer);
    redial.timer = setTimeout(() => {
      redial.timer = null;
      dial();
    }, redialDelayMs(redial.attempts, this.#random));
    redial.attempts += 1;
    this.#pending.set(connectionId, redial);
  }

  forget(connectionId) {
    clearTimeout(this.#pending.get(connectionId)?.timer);
    this.#pending.delete(connectionId);
  }

  forgetAll() {
    for (const connectionId of [...this.#pending.keys()]) this.forget(connectionId);
  }
}
