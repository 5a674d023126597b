// PeerLink and ICE (docs/protocol.md §6, "ICE configuration" and "Recovery"): a ready
// link whose ICE fails is restarted by its impolite end before anything is given up;
// a link that never connected says why in words a person can act on; the route shown
// in a peer's details comes from the selected candidate pair; renewed servers reach a
// live link. With the fake peer connection and mock timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ICE_RECOVERY_MS, PeerLink } from '../../static/app/peers/peer-link.js';
import { selectedRoute } from '../../static/app/peers/link-route.js';
import { FakeChannel, FakePeerConnection } from './fake-peer-connection.js';

class OpenChannelPeerConnection extends FakePeerConnection {
  channel = new FakeChannel('parley', 'open');
  createDataChannel() { return this.channel; }
}

const TURN = { urls: ['turn:turn.example:3478'], username: '1:x', credential: 'c' };
const STUN = { urls: ['stun:stun.example:3478'] };

function newLink({ polite = false, rtcConfig = {} } = {}) {
  const link = new PeerLink({ polite, initiator: true, rtcConfig, RTCPeerConnectionImpl: OpenChannelPeerConnection });
  const closed = [];
  link.addEventListener('closed', ({ detail }) => closed.push(detail.reason));
  return { link, pc: link.pc, closed };
}

// As after the certificate check and the peer's hello.
function readyLink(options) {
  const made = newLink(options);
  made.link.state = 'open';
  made.link.authenticated();
  return made;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('ICE failing on a ready link: the impolite end restarts it, and the link waits', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { link, pc, closed } = readyLink({ polite: false });
  pc.setIce('failed');
  pc.fail();
  assert.equal(pc.restarts, 1, 'one restart, however many failure events');
  t.mock.timers.tick(ICE_RECOVERY_MS - 1);
  pc.setIce('connected');
  t.mock.timers.tick(ICE_RECOVERY_MS);
  assert.deepEqual(closed, [], 'back within the wait: the link lives on');
  assert.equal(link.state, 'open');
  // A second failure later gets its own restart.
  pc.setIce('failed');
  assert.equal(pc.restarts, 2);
  link.close();
});

test('the polite end does not restart (no collision) but waits all the same', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { pc, closed } = readyLink({ polite: true });
  pc.fail();
  assert.equal(pc.restarts, undefined);
  t.mock.timers.tick(ICE_RECOVERY_MS - 1);
  assert.deepEqual(closed, []);
  t.mock.timers.tick(1);
  assert.deepEqual(closed, ['connection_failed'], 'then the swarm dials again (peers/redial.js)');
});

test('a restart that does not bring ICE back closes the link for the redial', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { pc, closed } = readyLink({ polite: false });
  pc.setIce('failed');
  pc.setIce('checking'); // the restart is trying
  t.mock.timers.tick(ICE_RECOVERY_MS);
  assert.equal(pc.restarts, 1);
  assert.deepEqual(closed, ['connection_failed']);
});

test('a link that never connected says why: no relay, the relay failed, relay-only without relay', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cases = [
    [{ iceServers: [STUN] }, 'no_relay'],
    [{}, 'no_relay'],
    [{ iceServers: [STUN, TURN] }, 'relay_failed'],
    [{ iceServers: [STUN], iceTransportPolicy: 'relay' }, 'relay_missing'],
  ];
  for (const [rtcConfig, reason] of cases) {
    const { pc, closed } = newLink({ rtcConfig });
    pc.setIce('failed');
    pc.fail();
    assert.deepEqual(closed, [reason], JSON.stringify(rtcConfig));
    assert.equal(pc.restarts, undefined, 'nothing to restart before the link was ready');
  }
  // Chromium: the connection fails while ICE, which never connected, says `disconnected`.
  const neverConnected = newLink({ rtcConfig: { iceServers: [STUN] } });
  neverConnected.pc.setIce('checking');
  neverConnected.pc.setIce('disconnected');
  neverConnected.pc.fail();
  assert.deepEqual(neverConnected.closed, ['no_relay']);
  // ICE that had connected and then dropped before the link was ready: not "no path".
  const dropped = newLink({ rtcConfig: { iceServers: [STUN] } });
  dropped.pc.setIce('connected');
  dropped.pc.setIce('disconnected');
  dropped.pc.fail();
  assert.deepEqual(dropped.closed, ['connection_failed']);
  // DTLS failing over a working ICE path is not the network's fault.
  const dtls = newLink({ rtcConfig: { iceServers: [STUN] } });
  dtls.pc.setIce('connected');
  dtls.pc.fail();
  assert.deepEqual(dtls.closed, ['connection_failed']);
});

test('the connect timeout: the peer answered but ICE never connected, or the peer never answered', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const answered = newLink({ rtcConfig: { iceServers: [STUN] } });
  await answered.link.signal({ description: { type: 'answer', sdp: 'v=0\r\n' } });
  answered.pc.setIce('checking');
  const silent = newLink({ rtcConfig: { iceServers: [STUN] } });
  t.mock.timers.tick(20_000);
  assert.deepEqual(answered.closed, ['no_relay']);
  assert.deepEqual(silent.closed, ['timeout']);
});

test('the route comes from the selected candidate pair, when ready and on ICE changes', async () => {
  const { link, pc } = newLink();
  const routes = [];
  link.addEventListener('route', ({ detail }) => routes.push(detail.route));
  pc.selectPair('srflx', 'host');
  pc.setIce('connected');
  await settle();
  assert.equal(link.route, 'direct');
  pc.selectPair('srflx', 'relay');
  pc.setIce('completed');
  await settle();
  assert.equal(link.route, 'relayed');
  pc.setIce('connected'); // the same pair: no event
  await settle();
  assert.deepEqual(routes, ['direct', 'relayed']);
  link.close();
});

test('selectedRoute reads Chromium and Firefox reports, and knows when nothing is selected', async () => {
  const pc = new FakePeerConnection();
  assert.equal(await selectedRoute(pc), null);
  pc.selectPair('relay', 'host');
  assert.equal(await selectedRoute(pc), 'relayed');
  pc.selectPair('host', 'prflx');
  assert.equal(await selectedRoute(pc), 'direct');
  pc.stats = [
    { id: 'P1', type: 'candidate-pair', selected: true, localCandidateId: 'L1', remoteCandidateId: 'R1' },
    { id: 'L1', type: 'local-candidate', candidateType: 'host' },
    { id: 'R1', type: 'remote-candidate', candidateType: 'relay' },
  ];
  assert.equal(await selectedRoute(pc), 'relayed');
});

test('renewed servers: setConfiguration on the live link, and a relayed link restarts ICE, either end', async () => {
  const renewed = { iceServers: [TURN], iceTransportPolicy: 'all' };
  const cases = [
    [false, 'relay', 'host', 1],
    [true, 'relay', 'relay', 1], // each end renews its own credential, on its own schedule
    [false, 'prflx', 'relay', 1], // our end may still be the peer's relay in its own view
    [true, 'srflx', 'srflx', undefined], // direct: no allocation to move
  ];
  for (const [polite, localType, remoteType, restarts] of cases) {
    const { link, pc } = readyLink({ polite });
    pc.useUfrag('u1');
    pc.selectPair(localType, remoteType);
    pc.setIce('connected');
    await settle();
    link.updateConfiguration(renewed);
    await settle();
    assert.deepEqual(pc.configurations, [renewed]);
    assert.equal(pc.restarts, restarts, `polite ${polite}, ${localType} to ${remoteType}`);
    link.close();
  }
});

test('renewed servers: a relayed pair gathered before the renewal is restarted, once per ufrag', async () => {
  const renewed = { iceServers: [TURN], iceTransportPolicy: 'all' };
  const { link, pc } = readyLink({ polite: true });
  const iceTransport = new EventTarget();
  pc.sctp.transport.iceTransport = iceTransport;
  const selects = async (localType, remoteType) => {
    pc.selectPair(localType, remoteType);
    iceTransport.dispatchEvent(new Event('selectedcandidatepairchange'));
    await settle();
  };
  pc.useUfrag('u1');
  pc.setIce('connected');
  await selects('srflx', 'srflx'); // direct
  link.updateConfiguration(renewed);
  await settle();
  assert.equal(pc.restarts, undefined, 'direct: no allocation to move');
  // The pair moves onto a relay while our end is still of u1, from before the renewal.
  await selects('prflx', 'relay');
  assert.equal(pc.restarts, 1);
  await selects('relay', 'prflx');
  assert.equal(pc.restarts, 1, 'one request per stale ufrag: the browser keeps it pending');
  // Restarted: u2 was gathered under the renewed credential.
  pc.useUfrag('u2');
  await selects('relay', 'prflx');
  assert.equal(pc.restarts, 1);
  // A second renewal: u2 is old now, and the relayed link restarts once more.
  link.updateConfiguration(renewed);
  await settle();
  assert.equal(pc.restarts, 2);
  link.close();
});

test('the route follows a new selected pair while ICE stays connected', async () => {
  const { link, pc } = newLink();
  const iceTransport = new EventTarget();
  pc.sctp.transport.iceTransport = iceTransport;
  pc.selectPair('relay', 'srflx'); // the relay's pair succeeded first
  pc.setIce('connected');
  await settle();
  assert.equal(link.route, 'relayed');
  pc.selectPair('srflx', 'srflx'); // the direct pair's checks caught up: no ICE state change
  iceTransport.dispatchEvent(new Event('selectedcandidatepairchange'));
  await settle();
  assert.equal(link.route, 'direct');
  link.close();
});
