// Fake RTCPeerConnections for PeerLink tests (static/app/peers/peer-link.js): the part of
// the WebRTC API a link uses, with no network. The offer/answer state machine is the
// browser's (an offer in have-local-offer rolls back implicitly), descriptions name a
// certificate fingerprint as real SDP does, and the SCTP transport presents the peer's
// certificate to the §6 certificate check.
//
//   class Ada extends FakePeerConnection {
//     static localCertificate = certificateOf('ada');    // named in our descriptions
//     static remoteCertificate = certificateOf('bob');   // what the peer presents
//   }
//   new PeerLink({ ..., RTCPeerConnectionImpl: Ada })
//   pc.connect()                 connectionState 'connected', as once DTLS is up
//   pc.announce(channel)         the peer's data channel arrives ('datachannel', then 'open')
//   pc.setIce('disconnected')    an ICE state change
//   pc.useUfrag('u2')            negotiated with this ICE ufrag (at first, or restarted)
//   pc.fail()                    connectionState 'failed' (ICE found no path, or lost it)
//   pc.selectPair('relay', 'srflx')  the pair getStats() reports as selected (ours for
//                                the ufrag in use)
//   pc.configurations            what setConfiguration() was given
//   pc.created, pc.candidates    channels it made, candidates it was given
//
// Test files subclass it for what is theirs (which channel `createDataChannel` returns).
import { createHash } from 'node:crypto';

export const certificateOf = (name) => new TextEncoder().encode(`certificate of ${name}`).buffer;
export const fingerprintOf = (der) => createHash('sha256').update(new Uint8Array(der)).digest('hex');

// An SDP whose fingerprint line names `fingerprint` (hex, no colons), as a browser writes it.
export const sdpNaming = (fingerprint, type = '') =>
  `v=0\r\na=fingerprint:sha-256 ${fingerprint.match(/../g).join(':').toUpperCase()}\r\ns=${type}\r\n`;

// One end of a data channel that keeps what is sent on it (JSON, as on `parley`).
export class FakeChannel extends EventTarget {
  constructor(label = 'parley', readyState = 'connecting') {
    super();
    this.label = label;
    this.readyState = readyState;
    this.bufferedAmount = 0;
    this.sent = [];
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 'closed'; }
  open() {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  receive(frame) { this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(frame) })); }
}

export class FakePeerConnection extends EventTarget {
  static localCertificate = certificateOf('this end');
  static remoteCertificate = certificateOf('the peer');

  constructor(configuration = {}) {
    super();
    this.configuration = configuration;
    this.configurations = [];
    this.stats = [];
    const { localCertificate, remoteCertificate } = this.constructor;
    this.ownFingerprint = fingerprintOf(localCertificate);
    this.signalingState = 'stable';
    this.connectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.created = [];
    this.candidates = [];
    this.sctp = {
      transport: Object.assign(new EventTarget(), {
        state: 'connected', getRemoteCertificates: () => [remoteCertificate],
      }),
    };
  }
  createDataChannel(label) {
    const channel = new FakeChannel(label);
    this.created.push(channel);
    return channel;
  }
  async setLocalDescription() {
    const type = this.signalingState === 'have-remote-offer' ? 'answer' : 'offer';
    this.localDescription = { type, sdp: sdpNaming(this.ownFingerprint, type) };
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable';
  }
  // As the browser does with an offer in have-local-offer: an implicit rollback first.
  async setRemoteDescription(description) {
    this.remoteDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  async addIceCandidate(candidate) { this.candidates.push(candidate); }
  close() { this.signalingState = 'closed'; }
  connect() {
    this.connectionState = 'connected';
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  // As the browser announces the peer's channel: 'datachannel' with the channel already
  // `open`, then (unless the handler closed it) the channel's own 'open' event.
  announce(channel) {
    this.dispatchEvent(Object.assign(new Event('datachannel'), { channel }));
    if (channel.readyState === 'open') channel.dispatchEvent(new Event('open'));
  }
  // As the browser does: an ICE restart needs a negotiation.
  restartIce() {
    this.restarts = (this.restarts ?? 0) + 1;
    this.dispatchEvent(new Event('negotiationneeded'));
  }
  setConfiguration(configuration) {
    this.configuration = configuration;
    this.configurations.push(configuration);
  }
  async getStats() {
    return new Map(this.stats.map((report) => [report.id, report]));
  }
  selectPair(localType, remoteType) {
    this.stats = [
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1' },
      { id: 'L1', type: 'local-candidate', candidateType: localType, usernameFragment: this.ufrag },
      { id: 'R1', type: 'remote-candidate', candidateType: remoteType },
    ];
  }
  fail() {
    this.connectionState = 'failed';
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  // Negotiated with ICE ufrag `ufrag` (at first, or by an ICE restart): our local
  // description names it, and our candidates are gathered for it.
  useUfrag(ufrag) {
    this.ufrag = ufrag;
    this.localDescription = { type: 'offer', sdp: `${sdpNaming(this.ownFingerprint, 'offer')}a=ice-ufrag:${ufrag}\r\n` };
  }
  setIce(state) {
    this.iceConnectionState = state;
    this.dispatchEvent(new Event('iceconnectionstatechange'));
  }
}
