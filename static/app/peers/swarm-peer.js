// SwarmPeer: one remote connection of a room swarm (peers/room-swarm.js) and everything
// known about it: who it is, how far its link got, and how often it broke the rules.
// The swarm moves it through its states; every other module (the room session, calls,
// files, the UI) reads it and reports misbehaviour to it, and never writes into it.
//
//   const peer = new SwarmPeer({ connectionId, connectionKey, localConnectionKey, link, onStrike })
//   peer.connectionId, peer.connectionKey, peer.localConnectionKey, peer.link, peer.since
//   peer.identity        the identity key its envelopes are signed with (null until the first)
//   peer.name            the display name its hello carried (null until then, or if blank)
//   peer.isMirror        its hello said it is a blind mirror and its identity is the server's
//                        mirror key (docs/protocol.md §12): not a person
//   peer.state           'connecting' -> 'ready' -> 'closed', or 'connecting' -> 'closed'
//   peer.reason, peer.quiet   why it closed, and whether that is routine rather than news
//   peer.strike(code)    it broke a rule beyond doubt; peer.strikes counts them
//
// Only the swarm moves it: learnIdentity(key), heardSignal(timestamp), authenticated(name, role),
// closed(reason). Each refuses what cannot happen (a second identity, a closed peer
// becoming ready), so no caller can put a peer into a state its link never reached.
// Anyone may ask: isSomeoneElse(key), isSamePersonAs(otherPeer), hasHeardSignalSince(ts).
//
// The strike policy (docs/protocol.md §6 and §8), the only one for a peer link: a strike
// is something only the peer can have done, on the DTLS connection whose certificate its
// signed envelopes named — a data frame that fails its schema, an entry that fails its
// checks. Each strike is reported (onStrike, which the swarm turns into a `rejected`
// event) and the link closes (`misbehaving`) at the strike after MAX_STRIKES, whatever
// mix of kinds they were. What the rendezvous server could have forged or replayed (a
// bad envelope) is never a strike: the server must not be able to get an honest peer cut
// off. A new link to the same peer starts with no strikes, as a new PeerLink always has.
import { equalBytes } from '../crypto/bytes.js';

export const MAX_STRIKES = 16;

// A person, not a blind mirror (docs/protocol.md §12): a mirror replicates like any peer
// but is nobody to call, count or wake.
export const isPerson = (peer) => !peer.isMirror;
// Closes that are routine, not news: the peer left, a newer link replaced this one, the
// overlay of a big room gave it up, or the channel simply closed.
const QUIET_REASONS = new Set([
  'left', 'duplicate', 'superseded', 'reconnected', 'redialled', 'closed', 'channel_closed', 'pruned',
]);

export class SwarmPeer {
  #connectionId;
  #connectionKey;
  #localConnectionKey;
  #link;
  #since;
  #onStrike;
  #identity = null;
  #name = null;
  #role = null;
  #state = 'connecting';
  #reason = null;
  #strikes = 0;
  #lastSignalAt = 0;
  #trustsMirror;

  constructor({
    connectionId, connectionKey, localConnectionKey, link, onStrike = () => {}, now = Date.now(),
    trustsMirror = () => false,
  }) {
    this.#connectionId = connectionId;
    this.#connectionKey = connectionKey;
    this.#localConnectionKey = localConnectionKey;
    this.#link = link;
    this.#onStrike = onStrike;
    this.#trustsMirror = trustsMirror;
    this.#since = now;
    // Its state lives in private fields, which freezing leaves writable to its methods;
    // nothing else can be hung on it (what a module keeps per peer, it keeps itself).
    Object.freeze(this);
  }

  get connectionId() { return this.#connectionId; }
  get connectionKey() { return this.#connectionKey; }
  get localConnectionKey() { return this.#localConnectionKey; }
  get link() { return this.#link; }
  get since() { return this.#since; }
  get identity() { return this.#identity; }
  get name() { return this.#name; }
  // A claim alone is not enough: a member could say so to be left out of the counts and
  // be handed everyone's wakes.
  get isMirror() { return this.#role === 'mirror' && this.#identity !== null && this.#trustsMirror(this.#identity); }
  get state() { return this.#state; }
  get reason() { return this.#reason; }
  get quiet() { return QUIET_REASONS.has(this.#reason); }
  get strikes() { return this.#strikes; }
  get lastSignalAt() { return this.#lastSignalAt; }

  // The first verified envelope names the peer; true if this one did. A later envelope
  // signed by another key does not rename it (the swarm closes the link instead).
  learnIdentity(identity) {
    if (this.#identity) return false;
    this.#identity = identity;
    return true;
  }

  isSomeoneElse(identity) {
    return this.#identity !== null && !equalBytes(this.#identity, identity);
  }

  isSamePersonAs(other) {
    return this.#identity !== null && other.identity !== null && equalBytes(this.#identity, other.identity);
  }

  heardSignal(timestamp) {
    this.#lastSignalAt = Math.max(this.#lastSignalAt, timestamp);
  }

  // Whether the link already heard a signal sealed at or after `timestamp`: an offer
  // older than that was held back by the server and is void.
  hasHeardSignalSince(timestamp) {
    return timestamp <= this.#lastSignalAt;
  }

  // Its hello proved its identity at its end of the DTLS connection. False if it cannot
  // become ready: it is no longer connecting, or no envelope named it.
  authenticated(name, role = null) {
    if (this.#state !== 'connecting' || !this.#identity) return false;
    this.#name = name.trim() || null;
    this.#role = role;
    this.#state = 'ready';
    return true;
  }

  // False if it was closed already: a peer closes once, for its first reason.
  closed(reason) {
    if (this.#state === 'closed') return false;
    this.#state = 'closed';
    this.#reason = reason;
    return true;
  }

  // Every strike is reported, even past the limit or after the close, so the user hears
  // what the peer sent; the link closes once (PeerLink.close ignores a second call).
  strike(code) {
    this.#strikes += 1;
    this.#onStrike(code);
    if (this.#strikes > MAX_STRIKES) this.#link.close('misbehaving');
  }
}
