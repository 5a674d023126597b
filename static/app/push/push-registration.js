// Registering this device's push subscription with the server (docs/protocol.md §10
// "Registering a subscription"): the VAPID key, the browser's push subscription, and
// the signed POST/DELETE of /push/subscription. No DOM and no words for the screen:
// failures are PushRegistrationError with a `code`.
//
//   await fetchVapidKey()                                  -> 65-byte Uint8Array
//   await subscribeToPush(serviceWorkerRegistration, key)  -> PushSubscription (times out)
//   await postSubscription(mailbox, subscriptionJson)      -> { mailbox_id }
//   await deleteSubscription(mailbox, endpoint)            -> true | false (not registered)
//   await registerSubscriptionForThisDevice(subscriptionJson)
//        the same POST with the mailbox this device keeps in IndexedDB (used by the e2e
//        test with a subscription at a fake push service)
import { toBase64Url, utf8Encode } from '../crypto/bytes.js';
import { sodiumReady } from '../crypto/sodium.js';
import { ParleyStore } from '../storage/db.js';
import { isMailboxKeys, MAILBOX_SETTING } from './mailbox-keys.js';
import { rememberEndpoint } from './push-settings.js';

const sodium = await sodiumReady;

// pushManager.subscribe never settles when the browser cannot reach its push service:
// past this, the UI says so instead of waiting forever.
export const SUBSCRIBE_TIMEOUT_MS = 10_000;
const SERVER_TIMEOUT_MS = 15_000;
const VAPID_KEY_BYTES = 65;
const MAX_ANSWER_BYTES = 4096;

export class PushRegistrationError extends Error {
  constructor(code, detail = code) {
    super(detail);
    this.name = 'PushRegistrationError';
    this.code = code;
  }
}

// Rejects with `code` when `promise` takes longer than `ms`.
export function withTimeout(promise, ms, code) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new PushRegistrationError(code)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function request(path, { method = 'GET', body = undefined, fetchImpl = globalThis.fetch } = {}) {
  let response;
  try {
    response = await withTimeout(fetchImpl(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    }), SERVER_TIMEOUT_MS, 'server_unreachable');
  } catch (error) {
    if (error instanceof PushRegistrationError) throw error;
    throw new PushRegistrationError('server_unreachable', String(error));
  }
  const text = await response.text();
  let answer = null;
  if (text.length <= MAX_ANSWER_BYTES) {
    try {
      answer = JSON.parse(text);
    } catch {
      answer = null;
    }
  }
  return { status: response.status, answer: answer && typeof answer === 'object' ? answer : {} };
}

export async function fetchVapidKey({ fetchImpl } = {}) {
  const { status, answer } = await request('/push/vapid', { fetchImpl });
  // No key: this server sends no push (200 with null), or its key is unusable (503).
  if (status === 503 || (status === 200 && answer.public_key === null)) throw new PushRegistrationError('push_unavailable');
  if (status !== 200 || typeof answer.public_key !== 'string') throw new PushRegistrationError('server_error');
  let key;
  try {
    key = sodium.from_base64(answer.public_key, sodium.base64_variants.URLSAFE_NO_PADDING);
  } catch {
    throw new PushRegistrationError('server_error', 'VAPID key is not base64url');
  }
  if (key.length !== VAPID_KEY_BYTES || key[0] !== 0x04) throw new PushRegistrationError('server_error', 'not a P-256 key');
  return key;
}

// Reuses a subscription made with the same server key; one made with another key (the
// server's VAPID key changed) is dropped first, or subscribe() would refuse.
export async function subscribeToPush(registration, applicationServerKey, { timeoutMs = SUBSCRIBE_TIMEOUT_MS } = {}) {
  const subscribe = async () => {
    const existing = await registration.pushManager.getSubscription();
    if (existing) {
      const existingKey = existing.options?.applicationServerKey;
      if (existingKey && sodium.compare(new Uint8Array(existingKey), applicationServerKey) === 0) return existing;
      await existing.unsubscribe();
    }
    try {
      return await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
    } catch (error) {
      // E.g. Chromium's private windows: no push at all, and no way to tell beforehand.
      throw new PushRegistrationError('push_refused', String(error?.message ?? error));
    }
  };
  return withTimeout(subscribe(), timeoutMs, 'push_service_unreachable');
}

// PushSubscription.toJSON() carries more (expirationTime) and may pad its base64: the
// server accepts exactly { endpoint, keys: { p256dh, auth } } in base64url.
export function subscriptionFields(subscriptionJson) {
  const unpad = (value) => String(value ?? '').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const endpoint = String(subscriptionJson?.endpoint ?? '');
  return { endpoint, keys: { p256dh: unpad(subscriptionJson?.keys?.p256dh), auth: unpad(subscriptionJson?.keys?.auth) } };
}

function sign(mailbox, text) {
  return toBase64Url(sodium.crypto_sign_detached(utf8Encode(text), mailbox.secretKey));
}

export function registrationBody(mailbox, subscriptionJson, now = Date.now()) {
  const subscription = subscriptionFields(subscriptionJson);
  const mailboxText = toBase64Url(mailbox.publicKey);
  const signed = ['parley-push-v1', 'register', mailboxText, subscription.endpoint,
    subscription.keys.p256dh, subscription.keys.auth, String(now)].join('|');
  return { mailbox: mailboxText, subscription, ts: now, sig: sign(mailbox, signed) };
}

export function unregistrationBody(mailbox, endpoint, now = Date.now()) {
  const mailboxText = toBase64Url(mailbox.publicKey);
  const signed = ['parley-push-v1', 'unregister', mailboxText, endpoint, String(now)].join('|');
  return { mailbox: mailboxText, endpoint, ts: now, sig: sign(mailbox, signed) };
}

export async function postSubscription(mailbox, subscriptionJson, { fetchImpl, now } = {}) {
  const body = registrationBody(mailbox, subscriptionJson, now);
  const { status, answer } = await request('/push/subscription', { method: 'POST', body, fetchImpl });
  if (status !== 201) {
    throw new PushRegistrationError(typeof answer.error === 'string' ? answer.error : 'server_error', `HTTP ${status}`);
  }
  return answer;
}

export async function deleteSubscription(mailbox, endpoint, { fetchImpl, now } = {}) {
  const body = unregistrationBody(mailbox, endpoint, now);
  const { status, answer } = await request('/push/subscription', { method: 'DELETE', body, fetchImpl });
  if (status === 404) return false;
  if (status !== 200) {
    throw new PushRegistrationError(typeof answer.error === 'string' ? answer.error : 'server_error', `HTTP ${status}`);
  }
  return true;
}

export async function registerSubscriptionForThisDevice(subscriptionJson) {
  const store = await ParleyStore.open();
  try {
    const mailbox = await store.loadSetting(MAILBOX_SETTING);
    if (!isMailboxKeys(mailbox)) throw new PushRegistrationError('no_mailbox');
    const answer = await postSubscription(mailbox, subscriptionJson);
    await rememberEndpoint(store, subscriptionFields(subscriptionJson).endpoint);
    return answer;
  } finally {
    store.db.close();
  }
}
