// The `ice-servers` frame (docs/protocol.md §3) on the browser's side: the schema of the
// answer (static/app/signaling/ice-servers.js) and SignalingClient.requestIceServers(),
// which resolves with the answer or rejects with a code, and never waits past 5 s.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ICE_SERVERS_TIMEOUT_MS, SignalingClient } from '../../static/app/signaling/client.js';
import { CLIENT_FRAME_TYPES, SERVER_FRAME_TYPES } from '../../static/app/signaling/frames.js';
import {
  hasRelay, IceServersSchemaError, MAX_ICE_SERVERS, parseIceServersAnswer,
} from '../../static/app/signaling/ice-servers.js';

const STUN = { urls: ['stun:stun.example.org:3478'] };
const TURN = {
  urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'],
  username: '1767225600:q1w2e3r4t5y6u7i8o9p0aa',
  credential: 'c2VjcmV0LWhtYWMtc2hhMS1ieXRlcw==',
};

test('ice-servers is a frame type both ways', () => {
  assert.ok(CLIENT_FRAME_TYPES.includes('ice-servers'));
  assert.ok(SERVER_FRAME_TYPES.includes('ice-servers'));
});

test('a well-formed answer is taken, field by field', () => {
  const answer = parseIceServersAnswer({
    type: 'ice-servers', servers: [{ ...STUN, extra: 1 }, { ...TURN, credentialType: 'oauth' }], expires: 1767225600,
  });
  assert.deepEqual(answer, { servers: [STUN, TURN], expires: 1767225600 });
  assert.equal(hasRelay(answer.servers), true);
  assert.deepEqual(parseIceServersAnswer({ servers: [], expires: null }), { servers: [], expires: null });
  assert.deepEqual(parseIceServersAnswer({ servers: [{ urls: 'stun:s:3478' }], expires: null }).servers,
    [{ urls: ['stun:s:3478'] }], 'a single url string is a list of one');
  assert.equal(hasRelay([STUN]), false);
});

test('answers outside the schema are refused', () => {
  const bad = [
    { servers: 'stun:s', expires: null },
    { servers: Array(MAX_ICE_SERVERS + 1).fill(STUN), expires: null },
    { servers: [{ urls: ['http://example.org'] }], expires: null },
    { servers: [{ urls: ['javascript:alert(1)'] }], expires: null },
    { servers: [{ urls: [] }], expires: null },
    { servers: [{ urls: Array(9).fill('stun:s:1') }], expires: null },
    { servers: [{ urls: [`stun:${'a'.repeat(600)}`] }], expires: null },
    { servers: [{ urls: [7] }], expires: null },
    // Not the URL grammar (RTCPeerConnection's constructor would throw on them).
    { servers: [{ urls: ['stun:host:3478:9'] }], expires: null },
    { servers: [{ urls: ['stun:host?foo=bar'] }], expires: null },
    { servers: [{ urls: ['stun:usér@host'] }], expires: null },
    { servers: [{ urls: ['stun:[not-v6]:3478'] }], expires: null },
    { servers: [null], expires: null },
    { servers: [{ urls: ['turn:t:3478'] }], expires: 1767225600 }, // TURN without credentials
    { servers: [{ ...TURN, username: 'u'.repeat(300) }], expires: 1767225600 },
    { servers: [TURN], expires: null }, // a credential must say when it expires
    { servers: [STUN], expires: '1767225600' },
    { servers: [STUN], expires: 1.5 },
    {},
  ];
  for (const frame of bad) {
    assert.throws(() => parseIceServersAnswer(frame), IceServersSchemaError, JSON.stringify(frame).slice(0, 80));
  }
});

// --- SignalingClient.requestIceServers, over a fake WebSocket ---

class FakeSocket extends EventTarget {
  static last = null;
  constructor() {
    super();
    this.readyState = 1;
    this.sent = [];
    FakeSocket.last = this;
    queueMicrotask(() => this.dispatchEvent(new Event('open')));
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 3; }
  receive(frame) { this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(frame) })); }
}

let client;
beforeEach(async () => {
  client = new SignalingClient({
    url: 'ws://parley.test/ws/signal', createConnectionKeypair: () => ({ publicKey: new Uint8Array(32) }),
    WebSocketImpl: FakeSocket,
  });
  client.start();
  await Promise.resolve();
  FakeSocket.last.receive({ type: 'welcome', id: 'me', limits: { rate_per_second: 1000, burst: 1000 } });
});
afterEach(() => client.stop());

const sentTypes = () => FakeSocket.last.sent.map((frame) => frame.type);

test('the answer resolves the request; a second caller shares it', async () => {
  const first = client.requestIceServers();
  const second = client.requestIceServers();
  assert.equal(first, second);
  assert.deepEqual(sentTypes().filter((type) => type === 'ice-servers'), ['ice-servers']);
  FakeSocket.last.receive({ type: 'ice-servers', servers: [STUN, TURN], expires: 1767225600 });
  assert.deepEqual(await first, { servers: [STUN, TURN], expires: 1767225600 });
});

test('an error naming the frame, or unknown_type from an older server, rejects with its code', async () => {
  const limited = client.requestIceServers();
  FakeSocket.last.receive({ type: 'error', code: 'ice_rate_limited', message: 'slow down', ref: 'ice-servers' });
  await assert.rejects(limited, { name: 'IceServersFailed', code: 'ice_rate_limited' });
  const old = client.requestIceServers();
  FakeSocket.last.receive({ type: 'error', code: 'unknown_type', message: 'type is not a client frame type' });
  await assert.rejects(old, { code: 'unknown_type' });
});

test('a malformed answer is ignored with a console line and rejects, never throws', async (t) => {
  const warnings = t.mock.method(console, 'warn', () => {});
  const request = client.requestIceServers();
  FakeSocket.last.receive({ type: 'ice-servers', servers: [{ urls: ['https://evil.example'] }], expires: null });
  await assert.rejects(request, { code: 'bad_answer' });
  assert.equal(warnings.mock.callCount(), 1);
  assert.match(warnings.mock.calls[0].arguments[0], /ice-servers answer was ignored/);
  // An answer nobody asked for changes nothing.
  FakeSocket.last.receive({ type: 'ice-servers', servers: [], expires: null });
});

test('no answer within 5 s rejects with timeout', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const request = client.requestIceServers();
  t.mock.timers.tick(ICE_SERVERS_TIMEOUT_MS - 1);
  let settled = false;
  request.catch(() => { settled = true; });
  await Promise.resolve();
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  await assert.rejects(request, { code: 'timeout' });
});

test('offline, or the connection lost while waiting, rejects with offline', async () => {
  const waiting = client.requestIceServers();
  FakeSocket.last.readyState = 3;
  FakeSocket.last.dispatchEvent(Object.assign(new Event('close'), { code: 1006 }));
  await assert.rejects(waiting, { code: 'offline' });
  await assert.rejects(client.requestIceServers(), { code: 'offline' });
});
