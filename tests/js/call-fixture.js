// Fakes for the call manager's tests: only the browser APIs node lacks (media devices,
// RTCPeerConnection) and a room swarm that records what it is asked to send. Its peers
// are real SwarmPeers (frozen), so a call module that wrote into one would fail here as
// it would in the browser.
import { SwarmPeer } from '../../static/app/peers/swarm-peer.js';

let serial = 0;
const nextId = (prefix) => `${prefix}-${(serial += 1)}`;

// A MediaStreamTrack: stop() ends it (no 'ended' event, as in browsers); end() is the
// browser ending it by itself (the "Stop sharing" button), which does fire 'ended'.
export class FakeTrack extends EventTarget {
  constructor(kind, deviceId = 'default') {
    super();
    this.id = nextId(kind);
    this.kind = kind;
    this.enabled = true;
    this.readyState = 'live';
    this.deviceId = deviceId;
  }

  stop() {
    this.readyState = 'ended';
  }

  end() {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }

  getSettings() {
    return { deviceId: this.deviceId };
  }
}

export class FakeStream extends EventTarget {
  constructor(tracks = [], id = nextId('stream')) {
    super();
    this.id = id;
    this.tracks = [...tracks];
  }

  getTracks() {
    return [...this.tracks];
  }

  getAudioTracks() {
    return this.tracks.filter((track) => track.kind === 'audio');
  }

  getVideoTracks() {
    return this.tracks.filter((track) => track.kind === 'video');
  }

  addTrack(track) {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }

  removeTrack(track) {
    this.tracks = this.tracks.filter((each) => each !== track);
  }
}

// navigator.mediaDevices: every call and every track handed out is recorded. `fail` makes
// the next getUserMedia reject; `hold()` keeps the next ones pending until released.
export class FakeMedia {
  constructor() {
    this.requests = []; // getUserMedia constraints
    this.displayRequests = [];
    this.tracks = []; // every track ever handed out
    this.fail = null;
    this.gate = null;
    this.getUserMedia = async (constraints) => {
      this.requests.push(constraints);
      if (this.gate) await this.gate;
      if (this.fail) {
        const error = this.fail;
        this.fail = null;
        throw error;
      }
      const tracks = [];
      if (constraints.audio) tracks.push(new FakeTrack('audio', constraints.audio.deviceId?.exact));
      if (constraints.video) tracks.push(new FakeTrack('video', constraints.video.deviceId?.exact));
      this.tracks.push(...tracks);
      return new FakeStream(tracks);
    };
    this.getDisplayMedia = async (constraints) => {
      this.displayRequests.push(constraints);
      const track = new FakeTrack('video', 'screen');
      this.tracks.push(track);
      return new FakeStream([track]);
    };
  }

  hold() {
    let release;
    this.gate = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = null;
      release();
    };
  }
}

// RTCPeerConnection, as far as LinkMedia uses it.
export class FakePC extends EventTarget {
  constructor() {
    super();
    this.signalingState = 'stable';
    this.transceivers = [];
    this.added = []; // { track, stream, sender }
    this.removed = []; // senders
  }

  addTrack(track, stream) {
    const sender = {
      track,
      replaceTrack: async (next) => {
        sender.track = next;
      },
    };
    this.transceivers.push({ sender, direction: 'sendrecv' });
    this.added.push({ track, stream, sender });
    return sender;
  }

  removeTrack(sender) {
    this.removed.push(sender);
    sender.track = null;
    const transceiver = this.transceivers.find((each) => each.sender === sender);
    if (transceiver) transceiver.direction = 'recvonly';
  }

  getTransceivers() {
    return [...this.transceivers];
  }

  // What the peer sends arriving: a 'track' event, always with its stream.
  fireTrack(track, stream) {
    this.dispatchEvent(Object.assign(new Event('track'), { track, streams: [stream] }));
  }

  senderOf(track) {
    return this.added.find((each) => each.track === track)?.sender ?? null;
  }
}

// A ready peer, moved there the way peers/room-swarm.js moves one: its envelopes named
// an identity, its hello carried `name`.
export function fakePeer(name, { polite = false } = {}) {
  const peer = new SwarmPeer({ connectionId: nextId(`conn-${name}`), link: { polite, pc: new FakePC() } });
  peer.learnIdentity(new Uint8Array(32).fill(serial % 256));
  peer.authenticated(name);
  return peer;
}

// A room's swarm: what the call manager sends, and frames and link changes to feed it.
export class FakeSwarm extends EventTarget {
  constructor(peers = []) {
    super();
    this.peers = [...peers];
    this.sent = []; // { peer, frame } from sendTo
    this.broadcasts = []; // frames
    this.busy = new Set(); // peers whose links the overlay must keep (a call's)
  }

  setBusy(peer, busy) {
    if (busy) this.busy.add(peer);
    else this.busy.delete(peer);
  }

  readyPeers() {
    return this.peers.filter((peer) => peer.state === 'ready');
  }

  sendTo(peer, frame) {
    this.sent.push({ peer, frame });
    return true;
  }

  broadcast(frame) {
    this.broadcasts.push(frame);
    return this.readyPeers().length;
  }

  receive(peer, frame) {
    this.dispatchEvent(new CustomEvent('frame', { detail: { peer, frame } }));
  }

  connect(peer) {
    if (!this.peers.includes(peer)) this.peers.push(peer);
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer } }));
  }

  close(peer, reason = 'closed') {
    peer.closed(reason);
    this.dispatchEvent(new CustomEvent('peer', { detail: { peer } }));
  }

  // Frames sent to one peer, optionally of one type (`call` action or `call-media`).
  to(peer, what = null) {
    return this.sent
      .filter((each) => each.peer === peer)
      .map((each) => each.frame)
      .filter((frame) => what === null || frame.action === what || frame.t === what);
  }

  clear() {
    this.sent = [];
    this.broadcasts = [];
  }
}

// Lets pending promise callbacks and microtasks run (setImmediate is not mocked).
export const flush = () => new Promise((resolve) => setImmediate(resolve));
