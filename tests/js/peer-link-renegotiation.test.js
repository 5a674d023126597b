// PeerLink: once authenticated, renegotiation travels on the `parley` channel as `sdp`
// and `ice` frames, never as 'signal' events for the rendezvous server (§6, calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLink } from '../../static/app/peers/peer-link.js';
import { FakeChannel, FakePeerConnection, sdpNaming } from './fake-peer-connection.js';

const FP = 'ab'.repeat(32);

// Its `parley` channel is open from the start (the tests begin on an open link).
class OpenChannelPeerConnection extends FakePeerConnection {
  channel = new FakeChannel('parley', 'open');
  createDataChannel() { return this.channel; }
}

function openLink({ polite = true, iceRestartAfterMs = 3000 } = {}) {
  const link = new PeerLink({ polite, initiator: true, RTCPeerConnectionImpl: OpenChannelPeerConnection, iceRestartAfterMs });
  const signals = [];
  link.addEventListener('signal', ({ detail }) => signals.push(detail.payload));
  const closed = [];
  link.addEventListener('closed', ({ detail }) => closed.push(detail.reason));
  // As after the certificate check: the link is open and knows the peer's certificate.
  link.state = 'open';
  link.remoteFingerprint = FP;
  return { link, pc: link.pc, channel: link.pc.channel, signals, closed };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test('before authentication, negotiation goes out as signal events', async () => {
  const { link, pc, channel, signals } = openLink();
  pc.dispatchEvent(new Event('negotiationneeded'));
  await settle();
  assert.equal(signals.length, 1);
  assert.equal(signals[0].description.type, 'offer');
  assert.deepEqual(channel.sent, []);
  link.close();
});

test('after authentication, offers, answers and candidates travel on the channel', async () => {
  const { link, pc, channel, signals, closed } = openLink();
  link.authenticated();
  pc.dispatchEvent(new Event('negotiationneeded'));
  await settle();
  assert.deepEqual(channel.sent.map((f) => [f.t, f.type]), [['sdp', 'offer']]);
  pc.dispatchEvent(Object.assign(new Event('icecandidate'), {
    candidate: { toJSON: () => ({ candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '1', sdpMLineIndex: 1 }) },
  }));
  assert.deepEqual(channel.sent[1], { t: 'ice', candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', mid: '1', index: 1 });

  // The peer answers, then offers again itself: handled on the link, not emitted.
  const messages = [];
  link.addEventListener('message', ({ detail }) => messages.push(detail.frame));
  channel.receive({ t: 'sdp', type: 'answer', sdp: sdpNaming(FP, 'answer') });
  await settle();
  assert.equal(pc.remoteDescription.type, 'answer');
  channel.receive({ t: 'sdp', type: 'offer', sdp: sdpNaming(FP, 'offer') });
  await settle();
  assert.deepEqual(channel.sent.at(-1).type, 'answer');
  channel.receive({ t: 'ice', candidate: 'candidate:2', mid: null, index: 0 });
  await settle();
  assert.deepEqual(pc.candidates, [{ candidate: 'candidate:2', sdpMid: null, sdpMLineIndex: 0 }]);
  assert.deepEqual(messages, []);
  assert.deepEqual(signals, [], 'nothing for the rendezvous server');
  assert.deepEqual(closed, []);
  link.close();
});

test('a description on the channel for another certificate closes the link', async () => {
  const { link, channel, closed } = openLink();
  link.authenticated();
  channel.receive({ t: 'sdp', type: 'offer', sdp: sdpNaming('ef'.repeat(32)) });
  await settle();
  assert.deepEqual(closed, ['negotiation_failed']);
});

test('sdp frames before authentication are left to the owner (who closes the link)', async () => {
  const { link, pc, channel } = openLink();
  const messages = [];
  link.addEventListener('message', ({ detail }) => messages.push(detail.frame.t));
  channel.receive({ t: 'sdp', type: 'offer', sdp: sdpNaming(FP) });
  await settle();
  assert.deepEqual(messages, ['sdp']);
  assert.equal(pc.remoteDescription, null);
  link.close();
});

test('ICE that stays disconnected is restarted by the impolite end, on the channel', async () => {
  const { link, pc, channel, signals, closed } = openLink({ polite: false, iceRestartAfterMs: 5 });
  link.authenticated();
  pc.setIce('disconnected');
  pc.setIce('connected'); // back by itself: nothing to do
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pc.restarts, undefined);
  pc.setIce('disconnected');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pc.restarts, 1);
  assert.deepEqual(channel.sent.map((f) => [f.t, f.type]), [['sdp', 'offer']], 'the restart offer is on the channel');
  assert.deepEqual(signals, [], 'nothing for the rendezvous server');
  assert.deepEqual(closed, []);
  link.close();
});

test('the polite end, or a link not yet authenticated, does not restart ICE', async () => {
  for (const [polite, authenticated] of [[true, true], [false, false]]) {
    const { link, pc } = openLink({ polite, iceRestartAfterMs: 5 });
    if (authenticated) link.authenticated();
    pc.setIce('disconnected');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(pc.restarts, undefined, `polite ${polite}, authenticated ${authenticated}`);
    link.close();
  }
});
