// RoomSwarm: the peer links of one room. It turns the rendezvous server's topic events
// into PeerLinks, seals every outgoing signal to the peer's connection key, opens every
// incoming one with all the checks of docs/protocol.md §4, and makes a link `ready` only
// after the peer proved its identity at its end of the DTLS connection (§6).
//
//   const swarm = new RoomSwarm({ room, identity, signaling, localName: () => name })
//   swarm.addEventListener('peer', e => e.detail.peer)               // any peer state change
//   swarm.addEventListener('frame', e => ({ peer, frame } = e.detail))  // from ready peers
//   swarm.addEventListener('rejected', e => ({ code, peer } = e.detail))
//   swarm.addEventListener('twins', ...)   swarm.twins.superseded changed without a peer event
//   swarm.start(); swarm.broadcast(frame); swarm.sendTo(peer, frame); swarm.stop()
//   await swarm.dialled   the first `peers` answer's offers are out (or it named nobody)
//   swarm.linksToFew(n)   a room of n members is big: links to a few of them (the overlay)
//
// A peer is one remote connection, a SwarmPeer (peers/swarm-peer.js): the swarm moves it
// through its states, others only read it (connectionId, identity, name, state, reason)
// and report its misbehaviour to it (peer.strike(code)), which is where the one strike
// policy lives. A link that fails while its peer is still in the room is dialled again
// by one of the two ends (peers/redial.js).
//
// Which members it links to is the overlay's choice (peers/overlay.js): everyone in a
// small room, a bounded number in a big one, chosen from the server's samples and from
// the `members` its links tell it of, and made room for when someone dials in.
//
// With an `iceConfig` (peers/ice-config.js), no link is made before it is ready: the
// peers to dial and the signals to answer wait for the ICE servers (at most the client's
// 5 s), or the first links would gather no STUN or TURN candidates.
//   swarm.applyIceConfiguration()   renewed servers for the live links
//   swarm.redialAll()               close every link and dial again (relay-only turned on)
import { compareBytes, equalBytes } from '../crypto/bytes.js';
import { EnvelopeError, openEnvelope, ReplayGuard, sealEnvelope } from '../signaling/envelope.js';
import { helloFrame, helloProves } from './link-proof.js';
import { IceGate } from './ice-gate.js';
import { PeerLink } from './peer-link.js';
import { DeviceTwins } from './device-twins.js';
import { Neighbours } from './neighbours.js';
import { OVERLAY_DEGREE, overlayDegreeOf, slowestOf } from './overlay.js';
import { isFailure, isFreshOffer, Redials } from './redial.js';
import { isPerson, SwarmPeer } from './swarm-peer.js';

const MAX_FROM_PEERS_FRAME = 32;
// How often, on average, a member of a big room swaps one link for a random one (±50 %):
// a room cut in two by members leaving at once is joined again within a few rounds.
const SHUFFLE_MS = 30_000;
const STARVED_MS = 10_000;
const MAX_STARVED_MS = 300_000;

export class RoomSwarm extends EventTarget {
  constructor({
    room, identity, signaling, localName = () => '', rtcConfig = {}, iceConfig = null,
    makeLink = (options) => new PeerLink(options), random = Math.random, trustsMirror = () => false,
    degree = null, shuffleMs = SHUFFLE_MS,
  }) {
    super();
    this.room = room; // { topic (base64url), keys: { discoveryKey, membershipKey } }
    this.identity = identity;
    this.signaling = signaling;
    this.localName = localName;
    // Whether an identity is the server's blind mirror (docs/protocol.md §12): only then
    // does a hello's role make a peer a mirror rather than a person.
    this.trustsMirror = trustsMirror;
    this.rtcConfig = rtcConfig;
    this.iceConfig = iceConfig;
    this.iceGate = new IceGate(iceConfig); // work that makes links waits for the ICE servers
    this.makeLink = makeLink;
    this.random = random;
    this.redials = new Redials({ random }); // failed links in a row, dialled again later
    this.stopped = false;
    this.replayGuard = new ReplayGuard({ windowMs: 150_000 });
    this.peers = new Map(); // connectionId -> peer
    // Whom it knows of, with their connection keys, and whom it links to. A degree given
    // here holds; else the server's suggestion (welcome), else the default.
    this.fixedDegree = degree;
    const isOwnConnection = (id) => id === signaling.connectionId || signaling.ownConnectionIds?.includes(id);
    this.neighbours = new Neighbours({ degree: degree ?? this.#suggestedDegree(), random, isOwnConnection });
    this.planQueued = false;
    this.shuffleMs = shuffleMs;
    this.shuffleTimer = null;
    this.starvedTimer = null;
    this.starvedMs = STARVED_MS;
    this.twins = new DeviceTwins(); // our identity, or a member's, open on two devices
    this.listeners = [];
    this.firstDialSeen = false; // `dialled` follows the first `peers` answer only
    this.dialled = new Promise((resolve) => {
      this.#dialledNow = resolve;
    });
  }

  #dialledNow;

  #suggestedDegree() {
    return overlayDegreeOf(this.signaling.limits?.overlay) ?? OVERLAY_DEGREE;
  }

  start() {
    // The joiner dials (those of the server's sample the overlay picks: in a small room,
    // everyone); the members told of it by `joined` wait for its offer.
    this.#listen('peers', ({ peers }) => {
      const known = peers.slice(0, MAX_FROM_PEERS_FRAME).filter(({ id, key }) => this.neighbours.learn(id, key));
      if (!known.length) this.#firstDial([]);
      this.#afterIce(() => this.#firstDial(this.#followPlan()));
    });
    // A member with too few links in a big room dials a newcomer it is told of; in a
    // small one the newcomer dials.
    this.#listen('joined', ({ peer }) => {
      this.neighbours.learn(peer.id, peer.key);
      if (this.neighbours.wantsMore()) this.#planSoon();
      this.#shuffleLater();
    });
    this.#listen('left', ({ id }) => this.#gone(id));
    // In a big topic not every member is told of a leave (§3): a signal the server could
    // not deliver says the same.
    this.#listen('server-error', ({ code, ref, to }) => {
      if (code === 'unreachable' && ref === 'signal' && typeof to === 'string') this.#gone(to);
    });
    this.#listen('signal', (frame) => {
      // The server names the sender's key: in a big room a member may be dialled by one
      // it was never told of.
      if (!this.neighbours.has(frame.from)) this.neighbours.announce(frame.from, frame.key);
      // A sender that left (or came back with another key) while its signal waited is
      // gone, not a server swapping senders: its signal is dropped without a warning.
      const sender = this.neighbours.keyOf(frame.from);
      this.#afterIce(() => {
        if (!sender || this.neighbours.keyOf(frame.from) === sender) this.#onSignal(frame);
      });
    });
    // A new rendezvous connection has a new key and id: links still negotiating through
    // the old one cannot finish, and the old announcements are void.
    this.#listen('welcome', () => {
      this.iceGate.reset();
      this.neighbours.forgetCandidates();
      this.neighbours.degree = this.fixedDegree ?? this.#suggestedDegree();
      this.redials.forgetAll();
      for (const peer of this.peers.values()) if (peer.state !== 'ready') peer.link.close('reconnected');
    }, { anyTopic: true });
    this.signaling.join(this.room.topic);
    this.iceConfig?.prefetch();
  }

  stop() {
    this.stopped = true;
    this.iceGate.stop();
    clearTimeout(this.shuffleTimer);
    clearTimeout(this.starvedTimer);
    this.#dialledNow();
    for (const [type, fn] of this.listeners) this.signaling.removeEventListener(type, fn);
    this.listeners = [];
    this.redials.forgetAll();
    this.signaling.leave(this.room.topic);
    for (const peer of this.peers.values()) peer.link.close('left');
  }

  applyIceConfiguration() {
    if (!this.iceConfig) return;
    const rtcConfig = this.iceConfig.rtcConfiguration();
    for (const peer of this.peers.values()) peer.link.updateConfiguration(rtcConfig);
  }

  // Every link closes and the peers still in the room are dialled again at once, with
  // the configuration as it is now: no path of an old link survives.
  redialAll() {
    const ids = [...this.peers.keys()];
    for (const id of ids) this.peers.get(id)?.link.close('redialled');
    this.#afterIce(() => {
      for (const id of ids) if (!this.stopped && this.neighbours.has(id)) this.#link(id, { initiator: true });
    });
  }

  // Whether a room of this many members is too big for a full mesh here: its links
  // reach a few of them (the overlay's high mark).
  linksToFew(memberCount) {
    return memberCount - 1 > this.neighbours.degree.high;
  }

  // A link that carries a call is kept whatever the overlay plans (docs/protocol.md §6).
  setBusy(peer, busy) {
    this.neighbours.setBusy(peer.connectionId, busy);
  }

  // A member of this device's call in a big room (calls/call-rendezvous.js): dialled
  // even at the high mark (`dial`: the newcomer dials, those in the call wait for its
  // offer), and kept from the start until the call lets it go.
  linkForCall(connectionId, key, { dial = true } = {}) {
    if (this.stopped || !this.neighbours.learn(connectionId, key)) return;
    this.neighbours.setBusy(connectionId, true);
    if (!dial) return;
    this.#afterIce(() => {
      if (!this.stopped && !this.peers.has(connectionId)) this.#link(connectionId, { initiator: true, anyway: true });
    });
  }

  releaseCallLinks(connectionIds) {
    for (const id of connectionIds) this.neighbours.setBusy(id, false);
    this.#planSoon();
  }

  readyPeers() {
    return [...this.peers.values()].filter((peer) => peer.state === 'ready');
  }

  broadcast(frame) {
    let sent = 0;
    for (const peer of this.readyPeers()) if (peer.link.send(frame)) sent += 1;
    return sent;
  }

  sendTo(peer, frame) {
    return peer.state === 'ready' && peer.link.send(frame);
  }

  #listen(type, handler, { anyTopic = false } = {}) {
    const fn = (event) => {
      if (anyTopic || event.detail.topic === this.room.topic) handler(event.detail);
    };
    this.signaling.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  #afterIce(work) {
    return this.iceGate.run(work);
  }

  // `dialled` settles once each link the first `peers` answer made has sent its offer
  // or closed: a page opening an invite draws after that (app-start.js).
  #firstDial(peers) {
    if (this.firstDialSeen) return;
    this.firstDialSeen = true;
    const offered = (peer) => new Promise((resolve) => {
      peer.link.addEventListener('signal', resolve, { once: true });
      peer.link.addEventListener('closed', resolve, { once: true });
    });
    Promise.all(peers.map(offered)).then(this.#dialledNow);
  }

  // The member left the room (or the server could not reach it).
  #gone(id) {
    this.neighbours.gone(id);
    this.redials.forget(id);
    // A member that preferred our other device and left the server prefers nothing now.
    if (this.twins.forget(id)) this.dispatchEvent(new Event('twins'));
    const peer = this.peers.get(id);
    // A link that is up does not need the server any more; one still negotiating does.
    if (peer && peer.state !== 'ready') peer.link.close('left');
    this.#planSoon();
  }

  // Does what the overlay plans now: the links it dials (new peers), and those it prunes.
  #followPlan() {
    if (this.stopped) return [];
    this.#shuffleLater();
    const { dial, prune } = this.neighbours.plan();
    for (const id of prune) this.#prune(id);
    this.#askForMoreLater();
    return dial.map((id) => this.#link(id, { initiator: true })).filter(Boolean);
  }

  // Once, after whatever else happens in this turn (a closed link's replacement, say).
  #planSoon() {
    if (this.planQueued || this.stopped) return;
    this.planQueued = true;
    queueMicrotask(() => {
      this.planQueued = false;
      this.#afterIce(() => this.#followPlan());
    });
  }

  // A member left without links asks the server for a fresh sample (joining its topic
  // again answers with one, §3): after 10 s, then twice as long each time it still finds
  // nobody, up to 5 minutes (a room this device is alone in costs a frame now and then).
  #askForMoreLater() {
    if (this.starvedTimer || this.stopped || !this.neighbours.isStarved()) return;
    this.starvedTimer = setTimeout(() => {
      this.starvedTimer = null;
      if (this.stopped) return;
      if (!this.neighbours.isStarved()) {
        this.starvedMs = STARVED_MS;
        return;
      }
      this.signaling.join(this.room.topic);
      this.starvedMs = Math.min(this.starvedMs * 2, MAX_STARVED_MS);
    }, this.starvedMs);
  }

  // Only while the room is big: a small one is a full mesh already.
  #shuffleLater() {
    if (this.shuffleTimer !== null || this.stopped || !this.neighbours.isBig()) return;
    this.shuffleTimer = setTimeout(() => {
      this.shuffleTimer = null;
      if (this.stopped) return;
      this.#afterIce(async () => {
        const slow = slowestOf(await this.#roundTrips());
        if (this.stopped) return;
        const { dial, prune } = this.neighbours.shuffle({ slow });
        for (const id of prune) this.#prune(id);
        for (const id of dial) this.#link(id, { initiator: true });
      });
      this.#shuffleLater();
    }, this.shuffleMs * (0.5 + this.random()));
  }

  // Each ready person's link and its round trip now (a slow one is swapped first).
  async #roundTrips() {
    const ready = this.readyPeers().filter(isPerson);
    const times = await Promise.all(ready.map((peer) => peer.link.roundTripMs?.() ?? null));
    return new Map(ready.map((peer, i) => [peer.connectionId, times[i]]));
  }

  // The peer is told, so it neither waits for the link nor dials it again: on the link's
  // channel if it is open, else through the server.
  #prune(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    if (peer.link.state !== 'open') this.#sendSignal(peer, { bye: 'pruned' });
    peer.link.close('pruned', null, { lastWord: { t: 'bye', reason: 'pruned' } });
  }

  #link(connectionId, { initiator, anyway = false }) {
    const connectionKey = this.neighbours.keyOf(connectionId);
    if (!connectionKey || this.peers.has(connectionId)) return this.peers.get(connectionId) ?? null;
    // Our own dials stay under the high mark (but for a call's); one that dials in was
    // made room for.
    if (initiator && !anyway && !this.neighbours.mayDial()) return null;
    const localConnectionKey = this.signaling.connectionKeypair.publicKey;
    const link = this.makeLink({
      polite: compareBytes(localConnectionKey, connectionKey) < 0,
      initiator,
      rtcConfig: this.iceConfig?.rtcConfiguration() ?? this.rtcConfig,
    });
    const peer = new SwarmPeer({
      connectionId, connectionKey, localConnectionKey, link, trustsMirror: this.trustsMirror,
      onStrike: (code) => this.#reject(connectionId, code, peer),
    });
    this.peers.set(connectionId, peer);
    this.neighbours.dialling(connectionId, { ours: initiator });
    link.addEventListener('signal', ({ detail }) => this.#sendSignal(peer, detail.payload));
    link.addEventListener('open', () => this.#sendHello(peer));
    link.addEventListener('closed', ({ detail }) => {
      const wasReady = peer.state === 'ready';
      // For whoever looks into a connection problem (devtools, the e2e failure messages).
      const why = detail.reason === 'unauthenticated' && detail.error ? `: ${detail.error.message}` : '';
      console.info(`parley: link to ${connectionId.slice(0, 8)} closed (${detail.reason}${why}${wasReady ? '' : ', never ready'})`);
      if (this.peers.get(connectionId) === peer) {
        this.peers.delete(connectionId);
        this.neighbours.closed(connectionId, { lost: wasReady && isFailure(detail.reason) });
        this.#planSoon();
      }
      if (peer.closed(detail.reason)) this.#changed(peer);
      this.#maybeRedial(peer, detail.reason);
      if (wasReady && detail.reason !== 'duplicate') this.#dialRetiredTwins(peer);
    });
    link.addEventListener('message', ({ detail }) => this.#onLinkFrame(peer, detail.frame));
    link.addEventListener('bad-frame', ({ detail }) => peer.strike(detail.code));
    link.addEventListener('route', () => this.#changed(peer));
    this.#changed(peer);
    return peer;
  }

  #sendSignal(peer, payload) {
    try {
      const blob = sealEnvelope({
        identity: this.identity,
        senderConnectionKey: peer.localConnectionKey,
        recipientConnectionKey: peer.connectionKey,
        topic: this.room.keys.discoveryKey,
        membershipKey: this.room.keys.membershipKey,
        payload,
      });
      this.signaling.sendSignal(this.room.topic, peer.connectionId, blob);
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      peer.link.close('signal_too_large');
    }
  }

  #onSignal({ from, blob }) {
    const expectedSenderConnectionKey = this.neighbours.keyOf(from);
    if (!expectedSenderConnectionKey) return this.#reject(from, 'wrong_sender');
    let envelope;
    try {
      envelope = openEnvelope(blob, {
        connectionKeypair: this.signaling.connectionKeypair,
        topic: this.room.keys.discoveryKey,
        expectedSenderConnectionKey,
        membershipKey: this.room.keys.membershipKey,
        replayGuard: this.replayGuard,
      });
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      return this.#reject(from, error.code);
    }
    if (equalBytes(envelope.senderIdentity, this.identity.publicKey)) return; // our own other device
    let peer = this.peers.get(from);
    if (envelope.payload.bye) {
      this.redials.forget(from); // its channel may have closed first: no redial either
      if (peer && !peer.isSomeoneElse(envelope.senderIdentity)) peer.link.close('pruned');
      return undefined;
    }
    if (peer?.isSomeoneElse(envelope.senderIdentity)) {
      peer.link.close('identity_changed');
      return this.#reject(from, 'identity_changed', peer);
    }
    if (peer && isFreshOffer(envelope.payload, peer.link.verifiedRemoteSdp)) {
      // The other end dialled again, unless this offer is older than what the link has
      // already heard (held back by the server, from an earlier dial): then it is void.
      if (peer.hasHeardSignalSince(envelope.timestamp)) return undefined;
      peer.link.close('redialled'); // a new link answers it
      peer = null;
    }
    if (!peer) {
      // Only an offer starts a link: a late candidate of a link already given up does not.
      if (envelope.payload.description?.type !== 'offer') return undefined;
      for (const id of this.neighbours.makeRoom(from)) this.#prune(id);
      peer = this.#link(from, { initiator: false });
    }
    if (!peer) return undefined;
    if (peer.learnIdentity(envelope.senderIdentity)) this.#changed(peer);
    peer.heardSignal(envelope.timestamp);
    peer.link.signal(envelope.payload);
  }

  #sendHello(peer) {
    const { link } = peer;
    // The mirror is nobody to greet by name: it has no use for it.
    const name = peer.identity && this.trustsMirror(peer.identity) ? '' : this.localName();
    const hello = helloFrame({ identity: this.identity, discoveryKey: this.room.keys.discoveryKey, link, name });
    // A hello that could not go out would leave the peer to refuse our next frame.
    if (!link.send(hello)) link.close('negotiation_failed');
  }

  #onLinkFrame(peer, frame) {
    if (peer.state === 'ready') {
      if (frame.t === 'hello') return this.#reject(peer.connectionId, 'malformed', peer);
      if (frame.t === 'bye' && frame.reason === 'pruned') return peer.link.close('pruned');
      if (frame.t === 'bye') return this.#supersededBy(peer);
      if (frame.t === 'members') return this.#heardOfMembers(frame.peers);
      this.dispatchEvent(new CustomEvent('frame', { detail: { peer, frame } }));
      return undefined;
    }
    // Until the peer's hello proves its identity, nothing else it sends counts. What came
    // instead is kept with the reason, for the console line: between honest browsers it
    // was a hello Chromium had dropped (peer-link.js now greets on the peer's channel
    // only once a frame came on it), and anything new should tell its story as plainly.
    if (frame.t !== 'hello' || !peer.identity) {
      const came = frame.t === 'hello' ? 'a hello before any envelope named the peer' : `'${frame.t}' before the hello`;
      return peer.link.close('unauthenticated', new Error(came));
    }
    const { discoveryKey } = this.room.keys;
    if (!helloProves(frame, { peerIdentity: peer.identity, discoveryKey, link: peer.link })) {
      return peer.link.close('bad_link_proof');
    }
    // A peer that cannot become ready (its link closed meanwhile) changes nothing: it
    // must not retire a ready twin or be announced.
    if (!peer.authenticated(frame.name, frame.role ?? null)) return undefined;
    peer.link.authenticated();
    // The mirror keeps the room for members who are away: it is not one of the overlay's
    // links, never pruned or counted (docs/protocol.md §12).
    if (peer.isMirror) this.neighbours.untracked(peer.connectionId);
    else this.neighbours.linked(peer.connectionId);
    this.#tellOfMembers(peer);
    this.redials.forget(peer.connectionId);
    this.#retireTwins(peer);
    this.twins.restore(peer.identity);
    this.#changed(peer);
    return undefined;
  }

  // In a big room a new neighbour hears of some of our others, to link to when it needs
  // more (peer exchange); in a small one everyone hears of everyone from the server.
  #tellOfMembers(peer) {
    if (!this.neighbours.isBig()) return;
    const told = this.neighbours.membersFor(this.readyPeers().filter((other) => other !== peer && isPerson(other)));
    if (told.length) peer.link.send({ t: 'members', peers: told });
  }

  #heardOfMembers(members) {
    for (const { id, key } of members) this.neighbours.hearOf(id, key);
    this.#planSoon();
    this.#shuffleLater();
  }

  // After a reconnect (of either side) the same person can be reached through two links.
  // The older one is usually dead without knowing it yet (its peer quit or lost the
  // network), so the newest link wins, on both ends alike.
  // The older device is told (`bye`), so it does not dial back and win in turn.
  #retireTwins(peer) {
    for (const other of this.peers.values()) {
      if (other !== peer && other.state === 'ready' && other.isSamePersonAs(peer)) {
        this.twins.retire(other.connectionId, other.identity);
        other.link.close('duplicate', null, { lastWord: { t: 'bye', reason: 'duplicate' } });
      }
    }
  }

  // A member keeps our other device, open with our identity, instead of this one. Until
  // it links to us again (when that device goes), this one must not write to the room.
  // (A `bye` on an old link while a newer one to the same member is up or coming up is
  // this device's own reconnect, not another device: nothing to step back from.)
  #supersededBy(peer) {
    const newer = [...this.peers.values()].some((other) => other !== peer && other.state !== 'closed' && other.isSamePersonAs(peer));
    if (!newer) this.twins.supersede(peer.identity, peer.connectionId);
    peer.link.close(newer ? 'duplicate' : 'superseded');
  }

  // The newest device of an identity has gone: the older ones we dropped for it, if
  // still in the room, are dialled again. They wait for it: they were told `bye`.
  #dialRetiredTwins(gone) {
    if (this.stopped || this.readyPeers().some((other) => other.isSamePersonAs(gone))) return;
    for (const connectionId of this.twins.takeRetired(gone.identity)) {
      this.#afterIce(() => {
        if (!this.stopped && this.neighbours.has(connectionId) && !this.peers.has(connectionId)) {
          this.#link(connectionId, { initiator: true });
        }
      });
    }
  }

  // A failure that may pass, while the peer is in the room: one end dials again later
  // (peers/redial.js), through the ICE configuration like a first dial (a credential
  // that expired while no link held it, or an ask that failed, is asked for again first).
  #maybeRedial(peer, reason) {
    if (this.stopped) return;
    const { connectionId } = peer;
    const announced = this.neighbours.has(connectionId);
    const twinReady = this.readyPeers().some((other) => other !== peer && other.isSamePersonAs(peer));
    this.redials.after(peer, reason, { announced, twinReady }, () => this.#afterIce(() => {
      if (!this.stopped && this.neighbours.has(connectionId) && !this.peers.has(connectionId)) {
        this.#link(connectionId, { initiator: true });
      }
    }));
  }

  #reject(connectionId, code, peer = this.peers.get(connectionId)) {
    this.dispatchEvent(new CustomEvent('rejected', { detail: { connectionId, code, peer } }));
  }

  #changed(peer) {
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer } }));
  }
}
