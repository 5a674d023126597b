// PeerLink: when both ends dial at once (an offer reaches a link still waiting for the
// answer to its own), one `parley` channel must carry the link. The impolite end keeps
// its offer and its channel; the polite end gives its own channel up and takes the one
// the impolite end's offer brought. Before, the polite end kept its own: each end greeted
// on its own channel, which the other never listened to, and the link timed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PeerLink } from '../../static/app/peers/peer-link.js';

// The certificate the peer presents, and the SDP that names it (§6, certificate check).
const PEER_CERTIFICATE = new Uint8Array([1, 2, 3, 4]).buffer;
const PEER_FP = createHash('sha256').update(new Uint8Array(PEER_CERTIFICATE)).digest('hex');
const sdpNaming = (fingerprint, type) =>
  `v=0\r\na=fingerprint:sha-256 ${fingerprint.match(/../g).join(':').toUpperCase()}\r\ns=${type}\r\n`;

class FakeChannel extends EventTarget {
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

class FakePeerConnection extends EventTarget {
  constructor() {
    super();
    this.signalingState = 'stable';
    this.connectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.created = [];
    this.sctp = {
      transport: Object.assign(new EventTarget(), {
        state: 'connected', getRemoteCertificates: () => [PEER_CERTIFICATE],
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
    this.localDescription = { type, sdp: sdpNaming('cd'.repeat(32), type) };
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable';
  }
  // As the browser does with an offer in have-local-offer: an implicit rollback first.
  async setRemoteDescription(description) {
    this.remoteDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  async addIceCandidate() {}
  close() { this.signalingState = 'closed'; }
  connect() {
    this.connectionState = 'connected';
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  announce(channel) {
    this.dispatchEvent(Object.assign(new Event('datachannel'), { channel }));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

// A link that dialled (initiator) and has sent its offer.
async function dialling({ polite }) {
  const link = new PeerLink({ polite, initiator: true, RTCPeerConnectionImpl: FakePeerConnection });
  const events = [];
  for (const type of ['open', 'closed']) link.addEventListener(type, ({ detail }) => events.push([type, detail.reason]));
  link.pc.dispatchEvent(new Event('negotiationneeded'));
  await settle();
  assert.equal(link.pc.signalingState, 'have-local-offer');
  return { link, pc: link.pc, own: link.pc.created[0], events };
}

test('the polite end of a collision gives up its own parley channel and greets on the peer\'s', async () => {
  const { link, pc, own, events } = await dialling({ polite: true });
  await link.signal({ description: { type: 'offer', sdp: sdpNaming(PEER_FP, 'offer') } });
  assert.equal(pc.localDescription.type, 'answer', 'the peer\'s offer is answered');
  assert.equal(own.readyState, 'closed', 'our own channel, never opened, is given up');
  assert.equal(link.channel, null);

  const theirs = new FakeChannel('parley', 'open'); // the impolite end's, announced open
  pc.announce(theirs);
  assert.equal(link.channel, theirs);
  pc.connect();
  await settle();
  await settle();
  assert.deepEqual(events, [['open', undefined]]);
  assert.ok(link.send({ t: 'typing', active: true }));
  assert.deepEqual(theirs.sent, [{ t: 'typing', active: true }], 'what we send goes where the peer listens');
  const heard = [];
  link.addEventListener('message', ({ detail }) => heard.push(detail.frame));
  theirs.receive({ t: 'typing', active: false });
  assert.deepEqual(heard, [{ t: 'typing', active: false }]);
  link.close();
});

test('the impolite end of a collision keeps its offer and its channel, and ignores the peer\'s', async () => {
  const { link, pc, own } = await dialling({ polite: false });
  await link.signal({ description: { type: 'offer', sdp: sdpNaming(PEER_FP, 'offer') } });
  assert.equal(pc.signalingState, 'have-local-offer', 'the colliding offer is ignored');
  assert.equal(link.channel, own);
  assert.equal(own.readyState, 'connecting');
  pc.announce(new FakeChannel('parley', 'open'));
  assert.equal(link.channel, own);
  link.close();
});

test('a renegotiation that collides on an open link keeps the channel', async () => {
  const { link, pc, own, events } = await dialling({ polite: true });
  await link.signal({ description: { type: 'answer', sdp: sdpNaming(PEER_FP, 'answer') } });
  pc.connect();
  own.open();
  await settle();
  await settle();
  assert.deepEqual(events, [['open', undefined]]);
  pc.dispatchEvent(new Event('negotiationneeded')); // a call adds a track, say
  await settle();
  await link.signal({ description: { type: 'offer', sdp: sdpNaming(PEER_FP, 'offer') } });
  assert.equal(link.channel, own);
  assert.equal(own.readyState, 'open');
  assert.deepEqual(events, [['open', undefined]]);
  link.close();
});
