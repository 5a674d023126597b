// RoomSwarm: the peer links of one room. It turns the rendezvous server's topic events
// into PeerLinks, seals every outgoing signal to the peer's connection key and opens
// every incoming one with all the checks of docs/protocol.md §4.
//
//   const swarm = new RoomSwarm({ room, identity, signaling })
//   swarm.addEventListener('peer', e => e.detail.peer)          // any peer state change
//   swarm.addEventListener('frame', e => ({ peer, frame } = e.detail))
//   swarm.addEventListener('rejected', e => ({ code } = e.detail))  // an envelope failed a check
//   swarm.start(); swarm.broadcast(frame); swarm.sendTo(peer, frame); swarm.stop()
//
// A peer here is one remote connection: { connectionId, connectionKey, identity, name,
// state: 'connecting' | 'ready' | 'closed', reason }.
import { compareBytes, equalBytes, fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { EnvelopeError, openEnvelope, sealEnvelope } from '../signaling/envelope.js';
import { PeerLink } from './peer-link.js';

export class RoomSwarm extends EventTarget {
  constructor({ room, identity, signaling, replayGuard, rtcConfig = {} }) {
    super();
    this.room = room; // { topic (base64url), keys: { discoveryKey, membershipKey } }
    this.identity = identity;
    this.signaling = signaling;
    this.replayGuard = replayGuard;
    this.rtcConfig = rtcConfig;
    this.peers = new Map(); // connectionId -> peer
    this.announced = new Map(); // connectionId -> connection key bytes, from peers/joined
    this.listeners = [];
  }

  start() {
    this.#listen('peers', ({ peers }) => {
      for (const { id, key } of peers) {
        this.#announce(id, key);
        this.#link(id, { initiator: true });
      }
    });
    this.#listen('joined', ({ peer }) => this.#announce(peer.id, peer.key));
    this.#listen('left', ({ id }) => {
      this.announced.delete(id);
      const peer = this.peers.get(id);
      // A link that is up does not need the server any more; one still negotiating does.
      if (peer && peer.state !== 'ready') peer.link.close('left');
    });
    this.#listen('signal', (frame) => this.#onSignal(frame));
    this.signaling.join(this.room.topic);
  }

  stop() {
    for (const [type, fn] of this.listeners) this.signaling.removeEventListener(type, fn);
    this.listeners = [];
    this.signaling.leave(this.room.topic);
    for (const peer of this.peers.values()) peer.link.close('left');
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

  #listen(type, handler) {
    const fn = (event) => {
      if (event.detail.topic === this.room.topic) handler(event.detail);
    };
    this.signaling.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  #announce(connectionId, key) {
    try {
      this.announced.set(connectionId, fromBase64Url(key, 32));
    } catch {
      // a server that announces a malformed key gets no link for it
    }
  }

  #link(connectionId, { initiator }) {
    const connectionKey = this.announced.get(connectionId);
    if (!connectionKey || this.peers.has(connectionId)) return this.peers.get(connectionId);
    const ownKey = this.signaling.connectionKeypair.publicKey;
    const link = new PeerLink({
      polite: compareBytes(ownKey, connectionKey) < 0,
      initiator,
      rtcConfig: this.rtcConfig,
    });
    const peer = {
      connectionId, connectionKey, link, identity: null, name: null,
      state: 'connecting', reason: null, since: Date.now(),
    };
    this.peers.set(connectionId, peer);
    link.addEventListener('signal', ({ detail }) => this.#sendSignal(peer, detail.payload));
    link.addEventListener('ready', () => this.#setState(peer, 'ready'));
    link.addEventListener('closed', ({ detail }) => {
      this.peers.delete(connectionId);
      this.#setState(peer, 'closed', detail.reason);
    });
    link.addEventListener('message', ({ detail }) => {
      this.dispatchEvent(new CustomEvent('frame', { detail: { peer, frame: detail.frame } }));
    });
    link.addEventListener('bad-frame', ({ detail }) => this.#reject(peer.connectionId, detail.code, peer));
    this.#setState(peer, 'connecting');
    return peer;
  }

  #sendSignal(peer, payload) {
    try {
      const blob = sealEnvelope({
        identity: this.identity,
        senderConnectionKey: this.signaling.connectionKeypair.publicKey,
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
    const expectedSenderConnectionKey = this.announced.get(from);
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
    if (equalBytes(envelope.senderIdentity, this.identity.publicKey)) return; // our own other tab
    const peer = this.peers.get(from) ?? this.#link(from, { initiator: false });
    if (peer.identity && !equalBytes(peer.identity, envelope.senderIdentity)) {
      peer.link.close('identity_changed');
      return this.#reject(from, 'identity_changed', peer);
    }
    if (!peer.identity) {
      peer.identity = envelope.senderIdentity;
      this.#setState(peer, peer.state);
    }
    peer.link.signal(envelope.payload);
  }

  #reject(connectionId, code, peer = this.peers.get(connectionId)) {
    this.dispatchEvent(new CustomEvent('rejected', { detail: { connectionId, code, peer } }));
  }

  #setState(peer, state, reason = null) {
    peer.state = state;
    peer.reason = reason;
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer } }));
  }
}

export function identityKeyOf(peer) {
  return peer.identity ? toBase64Url(peer.identity) : null;
}
