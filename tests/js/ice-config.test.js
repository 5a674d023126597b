// IceConfig (static/app/peers/ice-config.js): when it asks the server for ICE servers,
// what configuration links get, renewal before the TURN credential expires, and the
// "Hide my IP address" preference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ICE_SETTING, IceConfig, MIN_RENEW_AFTER_MS, RETRY_AFTER_MS,
} from '../../static/app/peers/ice-config.js';
import { FakeIceSignaling, MemoryStore, STUN, TURN } from './ice-fixtures.js';

const quiet = { info() {}, warn() {} };
const HOUR_S = 3600;

function setup({ answer, now = 1_000_000_000_000 } = {}) {
  const clock = { now };
  const signaling = new FakeIceSignaling({ answer });
  const store = new MemoryStore();
  const ice = new IceConfig({ signaling, store, now: () => clock.now, log: quiet });
  const changes = [];
  ice.addEventListener('change', ({ detail }) => changes.push(detail.why));
  return { clock, signaling, store, ice, changes };
}

test('the first link asks once; the configuration carries what the server offered', async () => {
  const expires = 1_000_000_000 + HOUR_S;
  const { ice, signaling, changes } = setup({ answer: { servers: [STUN, TURN], expires } });
  assert.deepEqual(ice.rtcConfiguration(), { iceServers: [], iceTransportPolicy: 'all' });
  await Promise.all([ice.whenReady(), ice.whenReady()]);
  await ice.whenReady();
  assert.equal(signaling.asked, 1);
  assert.deepEqual(ice.rtcConfiguration(), { iceServers: [STUN, TURN], iceTransportPolicy: 'all' });
  assert.equal(ice.hasRelay, true);
  assert.deepEqual(changes, ['servers']);
  ice.stop();
});

test('nothing is asked while the rendezvous connection is down', async () => {
  const { ice, signaling } = setup();
  signaling.state = 'connecting';
  await ice.whenReady();
  assert.equal(signaling.asked, 0);
});

test('a refused or unanswered ask lets links go on with nothing, and is not repeated on that connection', async () => {
  for (const code of ['ice_rate_limited', 'bad_answer', 'not_joined']) {
    const { ice, signaling, clock, changes } = setup({ answer: code });
    await ice.whenReady();
    assert.deepEqual(ice.rtcConfiguration().iceServers, []);
    assert.deepEqual(changes, ['unanswered']);
    await ice.whenReady();
    assert.equal(signaling.asked, 1, code);
    clock.now += RETRY_AFTER_MS;
    await ice.whenReady();
    assert.equal(signaling.asked, 2, `${code}: asked again after a minute`);
    signaling.reconnect();
    await ice.whenReady();
    assert.equal(signaling.asked, 3, `${code}: asked again on a new connection`);
  }
});

test('a server that does not know the frame is not asked again on that connection', async () => {
  const { ice, signaling, clock } = setup({ answer: 'unknown_type' });
  await ice.whenReady();
  clock.now += 10 * RETRY_AFTER_MS;
  await ice.whenReady();
  assert.equal(signaling.asked, 1, 'each unknown_type counts toward the server closing the connection');
  signaling.reconnect();
  await ice.whenReady();
  assert.equal(signaling.asked, 2, 'a new connection may reach an updated server');
});

test('a server that never answers holds links only until the client gives up', async () => {
  const { ice, signaling } = setup({ answer: 'timeout' });
  let ready = false;
  const waiting = ice.whenReady().then(() => { ready = true; });
  await Promise.resolve();
  assert.equal(ready, false);
  signaling.timeOut();
  await waiting;
  assert.equal(ready, true);
  assert.equal(ice.settled, true);
});

test('renewal at 3/4 of the lifetime, only while there are links; expired TURN is dropped', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock, changes } = setup({ answer: { servers: [STUN, TURN], expires: nowS + HOUR_S } });
  await ice.whenReady();
  let links = true;
  ice.hasLinks = () => links;
  const threeQuarters = 0.75 * HOUR_S * 1000;
  clock.now += threeQuarters - 1;
  t.mock.timers.tick(threeQuarters - 1);
  assert.equal(signaling.asked, 1);
  signaling.answer = { servers: [STUN, { ...TURN, username: 'renewed' }], expires: nowS + 2 * HOUR_S };
  clock.now += 1;
  t.mock.timers.tick(1);
  await ice.whenReady();
  assert.equal(signaling.asked, 2, 'renewed with links');
  assert.equal(ice.rtcConfiguration().iceServers[1].username, 'renewed');
  assert.deepEqual(changes, ['servers', 'servers']);

  // Without links the timer asks nothing; the next link asks first.
  links = false;
  const next = (nowS + 2 * HOUR_S) * 1000 - clock.now;
  clock.now += 0.75 * next;
  t.mock.timers.tick(0.75 * next);
  assert.equal(signaling.asked, 2);
  signaling.answer = 'ice_rate_limited';
  await ice.whenReady();
  assert.equal(signaling.asked, 3);
  // Refused: past its expiry the old credential is no longer handed to links.
  assert.equal(ice.rtcConfiguration().iceServers.length, 2);
  clock.now = (nowS + 2 * HOUR_S) * 1000;
  assert.deepEqual(ice.rtcConfiguration().iceServers, [STUN]);
  assert.equal(ice.hasRelay, false);
  ice.stop();
});

test('a renewal timer that fires a moment before the wall clock says it is due still renews', async (t) => {
  // setTimeout runs on a monotonic clock, Date.now() on the wall clock: the two drift.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock } = setup({ answer: { servers: [TURN], expires: nowS + HOUR_S } });
  await ice.whenReady();
  ice.hasLinks = () => true;
  signaling.answer = { servers: [{ ...TURN, username: 'renewed' }], expires: nowS + 2 * HOUR_S };
  const threeQuarters = 0.75 * HOUR_S * 1000;
  clock.now += threeQuarters - 3; // the wall clock lags the timer by 3 ms
  t.mock.timers.tick(threeQuarters);
  await ice.whenReady();
  assert.equal(signaling.asked, 2);
  assert.equal(ice.rtcConfiguration().iceServers[0].username, 'renewed');
  ice.stop();
});

test('a refused renewal of a short-lived credential is asked again before it expires', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock } = setup({ answer: { servers: [TURN], expires: nowS + 60 } });
  await ice.whenReady();
  ice.hasLinks = () => true;
  signaling.answer = 'ice_rate_limited';
  clock.now += 45_000;
  t.mock.timers.tick(45_000);
  await ice.whenReady();
  assert.equal(signaling.asked, 2, 'the renewal, refused');
  signaling.answer = { servers: [{ ...TURN, username: 'renewed' }], expires: nowS + 120 };
  // Half of the 15 s left is under the 10 s floor: 10 s, less a moment, is not yet.
  clock.now += 9_999;
  t.mock.timers.tick(9_999);
  await ice.whenReady();
  assert.equal(signaling.asked, 2);
  clock.now += 1;
  t.mock.timers.tick(1);
  await ice.whenReady();
  assert.equal(signaling.asked, 3, 'asked again 10 s later, with the credential still valid');
  assert.equal(ice.rtcConfiguration().iceServers[0].username, 'renewed');
  ice.stop();
});

test('the first ask goes out behind the joins, before anyone is dialled; once, and only in a topic', async () => {
  const { ice, signaling } = setup();
  signaling.topics.clear();
  signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  ice.prefetch();
  assert.equal(signaling.asked, 0, 'the server refuses an ask from a connection in no topic');
  signaling.topics.add('topic');
  signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  assert.equal(signaling.asked, 1, 'a welcome follows the joins: it asks');
  ice.prefetch();
  await ice.whenReady();
  assert.equal(signaling.asked, 1, 'one ask in flight at a time');
  assert.deepEqual(ice.rtcConfiguration().iceServers, [STUN]);
  ice.prefetch();
  signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  assert.equal(signaling.asked, 1, 'answered: nothing more until a renewal is due');
  ice.stop();
  const joinedLater = setup();
  joinedLater.ice.prefetch();
  assert.equal(joinedLater.signaling.asked, 1, 'a join after the welcome asks at once');
  await joinedLater.ice.whenReady();
  joinedLater.ice.stop();
});

test('a renewal that fell due while the rendezvous connection was down is asked on the next welcome', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock } = setup({ answer: { servers: [TURN], expires: nowS + HOUR_S } });
  await ice.whenReady();
  ice.hasLinks = () => true;
  signaling.state = 'offline';
  clock.now += 0.75 * HOUR_S * 1000;
  t.mock.timers.tick(0.75 * HOUR_S * 1000);
  assert.equal(signaling.asked, 1);
  signaling.state = 'online';
  signaling.reconnect();
  signaling.dispatchEvent(new CustomEvent('welcome', { detail: {} }));
  assert.equal(signaling.asked, 2);
  ice.stop();
});

test('an expiry already past, or very near, does not make renewals follow each other at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock } = setup({ answer: { servers: [TURN], expires: nowS - 1 } });
  ice.hasLinks = () => true;
  await ice.whenReady();
  clock.now += MIN_RENEW_AFTER_MS - 1;
  t.mock.timers.tick(MIN_RENEW_AFTER_MS - 1);
  await ice.whenReady();
  assert.equal(signaling.asked, 1);
  clock.now += 1;
  t.mock.timers.tick(1);
  await new Promise(setImmediate);
  assert.equal(signaling.asked, 2);
  ice.stop();
});

test('a refused renewal is tried again a minute later while the credential lasts', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const nowS = 1_000_000_000;
  const { ice, signaling, clock } = setup({ answer: { servers: [TURN], expires: nowS + HOUR_S } });
  await ice.whenReady();
  ice.hasLinks = () => true;
  signaling.answer = 'ice_rate_limited';
  clock.now += 0.75 * HOUR_S * 1000;
  t.mock.timers.tick(0.75 * HOUR_S * 1000);
  await new Promise(setImmediate);
  assert.equal(signaling.asked, 2);
  signaling.answer = { servers: [TURN], expires: nowS + 2 * HOUR_S };
  clock.now += RETRY_AFTER_MS;
  t.mock.timers.tick(RETRY_AFTER_MS);
  await new Promise(setImmediate);
  assert.equal(signaling.asked, 3);
  assert.equal(ice.expires, nowS + 2 * HOUR_S);
  ice.stop();
});

test('Hide my IP address: off by default, stored on the device, relay-only links', async () => {
  const { ice, store, changes } = setup({ answer: { servers: [STUN], expires: null } });
  await ice.load();
  assert.equal(ice.hideIp, false);
  await ice.setHideIp(true);
  assert.deepEqual(store.settings.get(ICE_SETTING), { hideIp: true });
  assert.equal(ice.rtcConfiguration().iceTransportPolicy, 'relay');
  assert.deepEqual(changes, ['hide-ip']);

  // Whether the relay is missing is known only once the server was asked.
  assert.equal(ice.relayMissing, false);
  await ice.whenReady();
  assert.equal(ice.relayMissing, true, 'STUN only: relay-only links cannot connect');

  const again = new IceConfig({ signaling: new FakeIceSignaling(), store, log: quiet });
  await again.load();
  assert.equal(again.hideIp, true, 'the preference survives a reload');
  await ice.setHideIp(false);
  assert.equal(ice.relayMissing, false);
  assert.equal(ice.rtcConfiguration().iceTransportPolicy, 'all');
});

test('an ask that failed does not say the server has no relay; an older server does', async () => {
  for (const [answer, missing] of [['ice_rate_limited', false], ['timeout', false], ['unknown_type', true]]) {
    const { ice, signaling } = setup({ answer });
    await ice.setHideIp(true);
    const ready = ice.whenReady();
    signaling.timeOut();
    await ready;
    assert.equal(ice.relayMissing, missing, answer);
  }
});

test('Hide my IP address takes effect before it is saved, and a failed save puts it back', async () => {
  const { ice, store, changes } = setup();
  let finishSave;
  store.saveSetting = () => new Promise((resolve, reject) => { finishSave = { resolve, reject }; });
  const turningOn = ice.setHideIp(true);
  assert.equal(ice.rtcConfiguration().iceTransportPolicy, 'relay', 'relay-only before the save ends');
  assert.deepEqual(changes, ['hide-ip']);
  finishSave.reject(new Error('storage full'));
  await assert.rejects(turningOn, /storage full/);
  assert.equal(ice.hideIp, false);
  assert.deepEqual(changes, ['hide-ip', 'hide-ip']);
});
