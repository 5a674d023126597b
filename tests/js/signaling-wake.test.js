// SignalingClient.wake (docs/protocol.md §3 `wake`/`woken`): one wake in flight at a
// time, answered by `woken`, refused by an error that refers to it, or given up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalingClient } from '../../static/app/signaling/client.js';

class FakeSocket extends EventTarget {
  static last = null;
  constructor() {
    super();
    this.readyState = 1;
    this.sent = [];
    FakeSocket.last = this;
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() {}
  receive(frame) {
    this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(frame) }));
  }
}

const MAILBOX = 'M'.repeat(42) + 'A';
const OTHER = 'N'.repeat(42) + 'A';

function onlineClient() {
  const client = new SignalingClient({
    url: 'ws://parley.test/ws/signal',
    createConnectionKeypair: () => ({ publicKey: new Uint8Array(32) }),
    WebSocketImpl: FakeSocket,
  });
  client.start();
  FakeSocket.last.dispatchEvent(new Event('open'));
  FakeSocket.last.receive({ type: 'welcome', v: 1, id: 'c'.repeat(22), limits: { rate_per_second: 1000, burst: 1000 } });
  return { client, socket: FakeSocket.last };
}

const wakesSent = (socket) => socket.sent.filter((frame) => frame.type === 'wake');
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('a wake resolves with its woken answer, and the next waits for it', async () => {
  const { client, socket } = onlineClient();
  const first = client.wake(MAILBOX, 'blob-1');
  const second = client.wake(OTHER, 'blob-2');
  await tick();
  assert.deepEqual(wakesSent(socket), [{ type: 'wake', mailbox: MAILBOX, blob: 'blob-1' }]);
  socket.receive({ type: 'woken', mailbox: OTHER, delivered: 9 }); // not the one in flight
  socket.receive({ type: 'woken', mailbox: MAILBOX, delivered: 2 });
  assert.deepEqual(await first, { mailbox: MAILBOX, delivered: 2 });
  await tick();
  assert.equal(wakesSent(socket).length, 2);
  socket.receive({ type: 'woken', mailbox: OTHER, delivered: 0 });
  assert.deepEqual(await second, { mailbox: OTHER, delivered: 0 });
  client.stop();
});

test('an error about a wake rejects it with its code; other errors go on as before', async () => {
  const { client, socket } = onlineClient();
  const errors = [];
  client.addEventListener('server-error', ({ detail }) => errors.push(detail.code));
  const wake = client.wake(MAILBOX, 'blob');
  await tick();
  socket.receive({ type: 'error', code: 'not_joined', message: '', ref: 'leave' });
  socket.receive({ type: 'error', code: 'wake_rate_limited', message: '', ref: 'wake' });
  await assert.rejects(wake, { code: 'wake_rate_limited' });
  assert.deepEqual(errors, ['not_joined']);
  client.stop();
});

test('offline, a wake fails at once; a connection that drops fails the one in flight', async () => {
  const { client, socket } = onlineClient();
  const inFlight = client.wake(MAILBOX, 'blob');
  await tick();
  socket.dispatchEvent(Object.assign(new Event('close'), { code: 1006 }));
  await assert.rejects(inFlight, { code: 'offline' });
  await assert.rejects(client.wake(MAILBOX, 'blob'), { code: 'offline' });
  client.stop();
});

test('a wake nobody answers times out', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const { client } = onlineClient();
  const wake = client.wake(MAILBOX, 'blob');
  await Promise.resolve();
  await Promise.resolve();
  t.mock.timers.tick(20_000);
  await assert.rejects(wake, { code: 'timeout' });
  client.stop();
});
