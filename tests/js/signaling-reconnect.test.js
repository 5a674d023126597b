// SignalingClient reconnects at once when the network comes back, instead of waiting out
// a backoff that grew while there was no network.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalingClient } from '../../static/app/signaling/client.js';
import { FakeSocket } from './fake-socket.js';

const windowEvents = new EventTarget();

beforeEach(() => {
  FakeSocket.opened = [];
  // The client listens on the global scope, which is the window in a browser.
  globalThis.addEventListener = windowEvents.addEventListener.bind(windowEvents);
  globalThis.removeEventListener = windowEvents.removeEventListener.bind(windowEvents);
});

afterEach(() => {
  delete globalThis.addEventListener;
  delete globalThis.removeEventListener;
});

function newClient() {
  return new SignalingClient({
    url: 'ws://parley.test/ws/signal',
    createConnectionKeypair: () => ({ publicKey: new Uint8Array(32) }),
    WebSocketImpl: FakeSocket,
  });
}

test('the network coming back reconnects at once and starts the backoff over', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const client = newClient();
  t.after(() => client.stop());
  client.start();
  for (let i = 0; i < 6; i++) {
    FakeSocket.opened.at(-1).fail();
    t.mock.timers.tick(60_000); // longer than any backoff: the retry opens a socket
  }
  FakeSocket.opened.at(-1).fail();
  assert.equal(FakeSocket.opened.length, 7);
  assert.equal(client.state, 'offline');
  assert.equal(client.attempt, 7, 'the backoff grew while offline');
  windowEvents.dispatchEvent(new Event('online'));
  assert.equal(FakeSocket.opened.length, 8, 'no waiting for the retry timer');
  assert.equal(client.state, 'connecting');
  assert.equal(client.attempt, 0);
  t.mock.timers.tick(60_000);
  assert.equal(FakeSocket.opened.length, 8, 'the pending retry was cancelled');
});

test('the network event opens no second socket while one is connecting, nor after stop', () => {
  const client = newClient();
  client.start();
  windowEvents.dispatchEvent(new Event('online'));
  assert.equal(FakeSocket.opened.length, 1);
  client.stop();
  windowEvents.dispatchEvent(new Event('online'));
  assert.equal(FakeSocket.opened.length, 1);
});

test('the network going away drops the socket at once; its late close changes nothing', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const client = newClient();
  t.after(() => client.stop());
  const states = [];
  client.addEventListener('state', ({ detail }) => states.push(detail.state));
  client.start();
  const socket = FakeSocket.opened[0];
  socket.readyState = 1;
  socket.dispatchEvent(new Event('open'));
  socket.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify({ type: 'welcome', id: 'x', limits: {} }) }));
  assert.equal(client.state, 'online');
  windowEvents.dispatchEvent(new Event('offline'));
  assert.equal(client.state, 'offline', 'no waiting for a close handshake that cannot get through');
  assert.equal(socket.readyState, 3, 'the old socket was closed');
  assert.equal(client.socket, null);
  socket.fail(1006); // the browser reports the close late
  assert.deepEqual(states, ['connecting', 'online', 'offline'], 'the late close made no second state change');
  windowEvents.dispatchEvent(new Event('online'));
  assert.equal(FakeSocket.opened.length, 2);
  t.mock.timers.tick(60_000);
  assert.equal(FakeSocket.opened.length, 2, 'one socket at a time: the backoff retry was cancelled');
});
