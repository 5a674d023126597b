// PeerLink: when both ends dial at once (an offer reaches a link still waiting for the
// answer to its own), one `parley` channel must carry the link. The impolite end keeps
// its offer and its channel; the polite end gives its own channel up and takes the one
// the impolite end's offer brought. Before, the polite end kept its own: each end greeted
// on its own channel, which the other never listened to, and the link timed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLink } from '../../static/app/peers/peer-link.js';
import { FakeChannel, FakePeerConnection, fingerprintOf, sdpNaming } from './fake-peer-connection.js';

// The certificate the peer presents, and the SDP that names it (§6, certificate check).
const PEER_FP = fingerprintOf(FakePeerConnection.remoteCertificate);

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
  await link.certificateCheck;
  assert.ok(link.certificateOk);
  assert.deepEqual(events, [], 'on the peer\'s channel, the link opens once the peer sent on it');
  const heard = [];
  link.addEventListener('message', ({ detail }) => heard.push(detail.frame));
  theirs.receive({ t: 'typing', active: false });
  assert.deepEqual(events, [['open', undefined]]);
  assert.deepEqual(heard, [{ t: 'typing', active: false }]);
  assert.ok(link.send({ t: 'typing', active: true }));
  assert.deepEqual(theirs.sent, [{ t: 'typing', active: true }], 'what we send goes where the peer listens');
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
  await link.certificateCheck;
  assert.deepEqual(events, [['open', undefined]]);
  pc.dispatchEvent(new Event('negotiationneeded')); // a call adds a track, say
  await settle();
  await link.signal({ description: { type: 'offer', sdp: sdpNaming(PEER_FP, 'offer') } });
  assert.equal(link.channel, own);
  assert.equal(own.readyState, 'open');
  assert.deepEqual(events, [['open', undefined]]);
  link.close();
});
