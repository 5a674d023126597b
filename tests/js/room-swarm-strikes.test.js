// The strike policy as a RoomSwarm applies it (peers/swarm-peer.js): frames that fail
// their schema on a peer's link are strikes against that peer, reported as `rejected`,
// and the strike after the sixteenth closes the link for good.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { RoomSwarm } from '../../static/app/peers/room-swarm.js';
import { MAX_STRIKES } from '../../static/app/peers/swarm-peer.js';
import './hand-built.js'; // libsodium ready

// A link that only closes, once, when told to.
class InertLink extends EventTarget {
  state = 'connecting';

  signal() {}

  send() {
    return true;
  }

  close(reason) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason } }));
  }
}

// One swarm that the server tells about one other connection, which it dials. Its
// connection key sorts first, so it is also the end that dials again (peers/redial.js).
function swarmWithOnePeer(t) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(console, 'info', () => {});
  const signaling = Object.assign(new EventTarget(), {
    connectionKeypair: { publicKey: new Uint8Array(32).fill(1) }, join() {}, leave() {}, sendSignal() {},
  });
  const room = { topic: 'topic', keys: deriveRoomKeys(newRoomSecret()) };
  const links = [];
  const swarm = new RoomSwarm({
    room, identity: createIdentity(), signaling, random: () => 0.5,
    makeLink: () => links[links.push(new InertLink()) - 1],
  });
  const events = { rejected: [], closed: [] };
  swarm.addEventListener('rejected', ({ detail }) => events.rejected.push(detail));
  swarm.addEventListener('peer', ({ detail: { peer } }) => {
    if (peer.state === 'closed') events.closed.push([peer.reason, peer.quiet]);
  });
  swarm.start();
  const key = toBase64Url(new Uint8Array(32).fill(2));
  signaling.dispatchEvent(new CustomEvent('peers', { detail: { topic: 'topic', peers: [{ id: 'other', key }] } }));
  return { swarm, links, events };
}

const badFrame = (link, code) => link.dispatchEvent(new CustomEvent('bad-frame', { detail: { code } }));

test('each bad frame is a reported strike; the one after the sixteenth closes the link as misbehaving', (t) => {
  const { swarm, links, events } = swarmWithOnePeer(t);
  const [link] = links;
  const peer = swarm.peers.get('other');
  for (let i = 0; i < MAX_STRIKES; i++) badFrame(link, 'malformed');
  assert.equal(link.state, 'connecting');
  assert.equal(peer.strikes, MAX_STRIKES);
  badFrame(link, 'too_large');
  assert.equal(link.state, 'closed');
  assert.deepEqual(events.closed, [['misbehaving', false]], 'the user hears why');
  assert.equal(events.rejected.length, MAX_STRIKES + 1);
  assert.deepEqual(events.rejected.at(-1), { connectionId: 'other', code: 'too_large', peer });
  assert.equal(swarm.peers.has('other'), false);
  t.mock.timers.tick(60_000);
  assert.equal(links.length, 1, 'a misbehaving peer is not dialled again');
});

test('strikes are counted per link: a new link to the same connection starts at none', (t) => {
  const { swarm, links, events } = swarmWithOnePeer(t);
  for (let i = 0; i < MAX_STRIKES; i++) badFrame(links[0], 'malformed');
  links[0].close('timeout'); // a failure that may pass: this end dials again
  t.mock.timers.tick(60_000);
  assert.equal(links.length, 2);
  badFrame(links[1], 'malformed');
  assert.equal(swarm.peers.get('other').strikes, 1);
  assert.equal(links[1].state, 'connecting');
  assert.deepEqual(events.closed, [['timeout', false]]);
});
