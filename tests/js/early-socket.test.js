// EarlySocket (static/app/signaling/early-socket.js): the rendezvous WebSocket opened as
// the page starts becomes the signaling client's first socket, open or not by then; one
// that closed meanwhile is replaced, and reconnects open fresh sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarlySocket } from '../../static/app/signaling/early-socket.js';
import { SignalingClient } from '../../static/app/signaling/client.js';
import { FakeSocket } from './fake-socket.js';

const URL = 'ws://parley.test/ws/signal';

function opened(socket) {
  socket.readyState = 1;
  socket.dispatchEvent(new Event('open'));
}

function clientOn(t, early) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const client = new SignalingClient({
    url: URL,
    createConnectionKeypair: () => ({ publicKey: new Uint8Array(32) }),
    WebSocketImpl: early.WebSocketImpl,
  });
  t.after(() => client.stop());
  return client;
}

const types = (socket) => socket.sent.map((text) => JSON.parse(text).type);

test('a socket that opened before the client started says hello at once', (t) => {
  FakeSocket.opened = [];
  const early = EarlySocket.open(URL, FakeSocket);
  opened(FakeSocket.opened[0]);
  const client = clientOn(t, early);
  client.start();
  assert.equal(FakeSocket.opened.length, 1, 'no second socket');
  assert.equal(client.socket, FakeSocket.opened[0]);
  assert.deepEqual(types(FakeSocket.opened[0]), ['hello']);
});

test('a socket still connecting says hello when it opens', (t) => {
  FakeSocket.opened = [];
  const early = EarlySocket.open(URL, FakeSocket);
  const client = clientOn(t, early);
  client.start();
  assert.deepEqual(types(FakeSocket.opened[0]), []);
  opened(FakeSocket.opened[0]);
  assert.deepEqual(types(FakeSocket.opened[0]), ['hello']);
  assert.equal(FakeSocket.opened.length, 1);
});

test('a socket that closed before the client started is replaced; reconnects open their own', (t) => {
  FakeSocket.opened = [];
  const early = EarlySocket.open(URL, FakeSocket);
  FakeSocket.opened[0].fail();
  const client = clientOn(t, early);
  client.start();
  assert.equal(FakeSocket.opened.length, 2);
  opened(FakeSocket.opened[1]);
  assert.deepEqual(types(FakeSocket.opened[1]), ['hello']);
  assert.deepEqual(types(FakeSocket.opened[0]), []);
  FakeSocket.opened[1].fail();
  t.mock.timers.tick(60_000);
  assert.equal(FakeSocket.opened.length, 3, 'the backoff reconnects on a new socket');
});

test('a socket for another URL is closed, not handed over', () => {
  FakeSocket.opened = [];
  const early = EarlySocket.open(URL, FakeSocket);
  const socket = new early.WebSocketImpl('ws://elsewhere.test/ws/signal');
  assert.notEqual(socket, FakeSocket.opened[0]);
  assert.equal(FakeSocket.opened[0].readyState, 3);
  assert.equal(socket.url, 'ws://elsewhere.test/ws/signal');
});
