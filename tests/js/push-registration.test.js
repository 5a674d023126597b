// Registering this device for push (docs/protocol.md §10): signed bodies the server can
// check, a browser push service that never answers, and the states the UI shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../static/app/crypto/bytes.js';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { DeviceNotifications } from '../../static/app/push/device-notifications.js';
import { createMailboxKeys, MAILBOX_SETTING } from '../../static/app/push/mailbox-keys.js';
import {
  fetchVapidKey, registrationBody, subscribeToPush, subscriptionFields, unregistrationBody,
} from '../../static/app/push/push-registration.js';
import { ENDPOINTS_SETTING, NOTIFICATIONS_SETTING } from '../../static/app/push/push-settings.js';

const sodium = await sodiumReady;
const VAPID = new Uint8Array(65).fill(4);
const SUBSCRIPTION = {
  endpoint: 'https://push.example/send/abc',
  expirationTime: null,
  keys: { p256dh: toBase64Url(new Uint8Array(65).fill(4)), auth: `${toBase64Url(new Uint8Array(16).fill(9))}==` },
};

const verifies = (mailbox, text, sig) => sodium.crypto_sign_verify_detached(
  fromBase64Url(sig, 64), utf8Encode(text), mailbox.publicKey);

test('the registration body is exactly the documented fields, signed by the mailbox key', () => {
  const mailbox = createMailboxKeys();
  const body = registrationBody(mailbox, SUBSCRIPTION, 1_763_900_000_000);
  const mailboxText = toBase64Url(mailbox.publicKey);
  const auth = toBase64Url(new Uint8Array(16).fill(9));
  assert.deepEqual(Object.keys(body).sort(), ['mailbox', 'sig', 'subscription', 'ts']);
  assert.deepEqual(body.subscription, { endpoint: SUBSCRIPTION.endpoint, keys: { p256dh: SUBSCRIPTION.keys.p256dh, auth } });
  assert.equal(body.mailbox, mailboxText);
  assert.ok(verifies(mailbox,
    `parley-push-v1|register|${mailboxText}|${SUBSCRIPTION.endpoint}|${SUBSCRIPTION.keys.p256dh}|${auth}|1763900000000`, body.sig));
  const removal = unregistrationBody(mailbox, SUBSCRIPTION.endpoint, 5);
  assert.deepEqual(Object.keys(removal).sort(), ['endpoint', 'mailbox', 'sig', 'ts']);
  assert.ok(verifies(mailbox, `parley-push-v1|unregister|${mailboxText}|${SUBSCRIPTION.endpoint}|5`, removal.sig));
});

test('subscription keys come back as base64url without padding', () => {
  const fields = subscriptionFields({ endpoint: 'https://x', keys: { p256dh: 'ab+/cd==', auth: 'xy' } });
  assert.deepEqual(fields, { endpoint: 'https://x', keys: { p256dh: 'ab-_cd', auth: 'xy' } });
});

function answering(routes) {
  const calls = [];
  const fetchImpl = async (path, init) => {
    calls.push({ path, method: init.method, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const [status, answer] = routes[`${init.method} ${path}`] ?? [404, {}];
    return { status, text: async () => JSON.stringify(answer) };
  };
  return { calls, fetchImpl };
}

test('the VAPID key must be a 65-byte P-256 point; a null key or 503 says the server has no push', async () => {
  const ok = answering({ 'GET /push/vapid': [200, { public_key: toBase64Url(VAPID) }] });
  assert.deepEqual(await fetchVapidKey({ fetchImpl: ok.fetchImpl }), VAPID);
  const none = answering({ 'GET /push/vapid': [200, { public_key: null }] });
  await assert.rejects(fetchVapidKey({ fetchImpl: none.fetchImpl }), { code: 'push_unavailable' });
  const unusable = answering({ 'GET /push/vapid': [503, { error: 'push_unavailable' }] });
  await assert.rejects(fetchVapidKey({ fetchImpl: unusable.fetchImpl }), { code: 'push_unavailable' });
  const short = answering({ 'GET /push/vapid': [200, { public_key: toBase64Url(new Uint8Array(33)) }] });
  await assert.rejects(fetchVapidKey({ fetchImpl: short.fetchImpl }), { code: 'server_error' });
});

const neverSettles = new Promise(() => {});

test('a push service that never answers is reported, not waited on', async () => {
  const registration = { pushManager: { getSubscription: async () => null, subscribe: () => neverSettles } };
  await assert.rejects(subscribeToPush(registration, VAPID, { timeoutMs: 1 }), { code: 'push_service_unreachable' });
});

test('a subscription made with the same server key is reused, one with another key replaced', async () => {
  const events = [];
  const existing = (key) => ({
    options: { applicationServerKey: key.buffer }, unsubscribe: async () => events.push('unsubscribe'),
  });
  const same = existing(VAPID.slice());
  const reused = await subscribeToPush({ pushManager: { getSubscription: async () => same, subscribe: () => neverSettles } }, VAPID);
  assert.equal(reused, same);
  const fresh = { endpoint: 'new' };
  const made = await subscribeToPush({
    pushManager: { getSubscription: async () => existing(new Uint8Array(65)), subscribe: async () => fresh },
  }, VAPID);
  assert.equal(made, fresh);
  assert.deepEqual(events, ['unsubscribe']);
});

class SettingsStore {
  constructor() { this.settings = new Map(); }
  async loadSetting(key) { return structuredClone(this.settings.get(key)); }
  async saveSetting(key, value) { this.settings.set(key, structuredClone(value)); }
  async deleteSetting(key) { this.settings.delete(key); }
}

function environment({ permission = 'default', answer = 'granted', subscription = null } = {}) {
  const env = {
    supported: true,
    current: permission,
    permission: () => env.current,
    requestPermission: async () => { env.current = answer; return answer; },
    serviceWorkerReady: async () => ({
      pushManager: {
        getSubscription: async () => null,
        subscribe: () => (subscription ? Promise.resolve(subscription) : neverSettles),
      },
    }),
  };
  return env;
}

async function withFetch(routes, fn) {
  const original = globalThis.fetch;
  const fake = answering(routes);
  globalThis.fetch = fake.fetchImpl;
  try {
    await fn(fake.calls);
  } finally {
    globalThis.fetch = original;
  }
}

const SERVER = {
  'GET /push/vapid': [200, { public_key: toBase64Url(VAPID) }],
  'POST /push/subscription': [201, { mailbox_id: 'x' }],
  'DELETE /push/subscription': [200, {}],
};

test('turning on: permission, a mailbox for the rooms at once, then the subscription', async () => {
  const store = new SettingsStore();
  const subscription = { toJSON: () => SUBSCRIPTION };
  const notifications = new DeviceNotifications({ store, environment: environment({ subscription }) });
  await notifications.load();
  assert.equal(notifications.state, 'off');
  assert.equal(notifications.announcement({ topic: 't' }), null, 'no mailbox yet: rooms hear nothing');
  const states = [];
  let announcedWhile = null;
  notifications.addEventListener('change', () => states.push(notifications.state));
  notifications.addEventListener('mailbox', () => { announcedWhile = notifications.state; });
  await withFetch(SERVER, async (calls) => {
    await notifications.enable();
    assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ['GET /push/vapid', 'POST /push/subscription']);
    assert.equal(calls[1].body.subscription.endpoint, SUBSCRIPTION.endpoint);
  });
  assert.deepEqual(states, ['asking', 'registering', 'on']);
  assert.equal(announcedWhile, 'registering', 'rooms are told before the subscription exists');
  const mailbox = store.settings.get(MAILBOX_SETTING);
  assert.equal(mailbox.publicKey.length, 32);
  assert.deepEqual(store.settings.get(NOTIFICATIONS_SETTING), { enabled: true, preview: false });
  assert.deepEqual(store.settings.get(ENDPOINTS_SETTING), [SUBSCRIPTION.endpoint]);
  assert.deepEqual(notifications.announcement({ notify: 'mentions' }), { mailbox: toBase64Url(mailbox.publicKey), notify: 'mentions' });
  assert.deepEqual(notifications.announcement({}), { mailbox: toBase64Url(mailbox.publicKey), notify: 'all' });

  await notifications.setPreview(true);
  assert.deepEqual(store.settings.get(NOTIFICATIONS_SETTING), { enabled: true, preview: true });

  await withFetch(SERVER, async (calls) => {
    await notifications.disable();
    assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ['DELETE /push/subscription']);
    assert.equal(calls[0].body.endpoint, SUBSCRIPTION.endpoint);
  });
  assert.equal(notifications.state, 'off');
  assert.equal(notifications.announcement({}).notify, 'none', 'rooms are told to stop waking');
  assert.equal(store.settings.get(ENDPOINTS_SETTING), undefined);
});

test('an unreachable push service leaves notifications on, to retry on the next start', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = new SettingsStore();
  const notifications = new DeviceNotifications({ store, environment: environment() });
  await notifications.load();
  await withFetch(SERVER, async () => {
    const enabling = notifications.enable();
    for (let i = 0; i < 20 && notifications.state !== 'registering'; i++) await new Promise(setImmediate);
    for (let i = 0; i < 20; i++) await new Promise(setImmediate); // the VAPID key arrives
    t.mock.timers.tick(10_000);
    await enabling;
  });
  assert.equal(notifications.state, 'unreachable');
  assert.equal(notifications.announcement({}).notify, 'all', 'the rooms still know where to wake us');
  const later = new DeviceNotifications({ store, environment: environment({ permission: 'granted' }) });
  await later.load();
  assert.equal(later.state, 'registering', 'the next start tries again');
});

test('permission denied or dismissed: nothing is turned on', async () => {
  for (const [answer, state] of [['denied', 'blocked'], ['default', 'dismissed']]) {
    const store = new SettingsStore();
    const notifications = new DeviceNotifications({ store, environment: environment({ answer }) });
    await notifications.load();
    await notifications.enable();
    assert.equal(notifications.state, state);
    assert.equal(store.settings.get(MAILBOX_SETTING), undefined);
    assert.equal(notifications.settings.enabled, false);
  }
  const unsupported = new DeviceNotifications({ store: new SettingsStore(), environment: { supported: false } });
  await unsupported.load();
  assert.equal(unsupported.state, 'unsupported');
});

test('a server without push says so before anyone turns notifications on, and no permission is asked', async () => {
  const env = environment();
  let asked = 0;
  const request = env.requestPermission;
  env.requestPermission = () => { asked += 1; return request(); };
  const notifications = new DeviceNotifications({ store: new SettingsStore(), environment: env });
  await notifications.load();
  await withFetch({ 'GET /push/vapid': [200, { public_key: null }] }, async () => {
    const changed = new Promise((resolve) => notifications.addEventListener('change', resolve, { once: true }));
    notifications.start();
    await changed;
    assert.equal(notifications.state, 'unavailable', 'said on start, with the switch off');
    await notifications.enable();
  });
  assert.equal(notifications.state, 'unavailable');
  assert.equal(asked, 0, 'the browser was not asked for a permission that serves nothing');
  assert.equal(notifications.settings.enabled, false);
});

test('a server without push keys says so', async () => {
  const notifications = new DeviceNotifications({
    store: new SettingsStore(), environment: environment({ subscription: { toJSON: () => SUBSCRIPTION } }),
  });
  await notifications.load();
  await withFetch({ 'GET /push/vapid': [503, { error: 'push_unavailable' }] }, () => notifications.enable());
  assert.equal(notifications.state, 'unavailable');
});
