// After a reconnect the server may still list this client's previous connection (its
// socket died on this side first: a network change, a router restart; the server drops
// it only at its keep-alive timeout). The client must not pass it on as a peer: the
// room would dial itself, show "Unknown peer · connecting…" and then "A peer did not
// answer in time" (found in the NAT lab, e2e/lab/test_nat_journeys.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalingClient } from '../../static/app/signaling/client.js';
import { FakeSocket } from './fake-socket.js';

// A client on fake sockets and mock timers, stopped when the test ends.
function newClient(t) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.opened = [];
  const client = new SignalingClient({
    url: 'ws://parley.test/ws/signal',
    createConnectionKeypair: () => ({ publicKey: new Uint8Array(32) }),
    WebSocketImpl: FakeSocket,
  });
  t.after(() => client.stop());
  return client;
}

function connect(client, id) {
  const socket = FakeSocket.opened.at(-1);
  socket.readyState = 1;
  socket.dispatchEvent(new Event('open'));
  socket.receive({ type: 'welcome', v: 1, id, limits: {} });
  return socket;
}

function heard(client) {
  const events = [];
  for (const type of ['peers', 'joined']) {
    client.addEventListener(type, ({ detail }) => events.push([type, detail]));
  }
  return events;
}

test('the next connection never hears of its own earlier connections as peers', (t) => {
  const client = newClient(t);
  const events = heard(client);
  client.start();
  connect(client, 'first');
  FakeSocket.opened.at(-1).fail(); // the network went away under the socket
  t.mock.timers.tick(60_000);
  const socket = connect(client, 'second');

  const bo = { id: 'bo', key: 'k-bo' };
  socket.receive({ type: 'peers', topic: 't', peers: [{ id: 'first', key: 'k-first' }, bo] });
  socket.receive({ type: 'joined', topic: 't', peer: { id: 'first', key: 'k-first' } });
  socket.receive({ type: 'joined', topic: 't', peer: { id: 'cy', key: 'k-cy' } });

  assert.deepEqual(events, [
    ['peers', { type: 'peers', topic: 't', peers: [bo] }],
    ['joined', { type: 'joined', topic: 't', peer: { id: 'cy', key: 'k-cy' } }],
  ]);
});

test('it remembers its last eight connections, this one included, not every one', (t) => {
  const client = newClient(t);
  const events = heard(client);
  client.start();
  for (let i = 0; i < 10; i++) {
    connect(client, `c${i}`);
    FakeSocket.opened.at(-1).fail();
    t.mock.timers.tick(60_000);
  }
  const socket = connect(client, 'now');
  const listed = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, key: `k${i}` }));
  socket.receive({ type: 'peers', topic: 't', peers: listed });
  assert.deepEqual(events.map(([, detail]) => detail.peers.map((p) => p.id)), [['c0', 'c1', 'c2']]);
});
