// DeviceNotifications: this device's push notifications, on or off, and where that
// stands (docs/protocol.md §10). It keeps the mailbox keys and the settings in the
// device store, asks the browser for permission, and registers the push subscription;
// the app tells the rooms (`mailbox` entries) from `announcement(room)`.
//
//   const notifications = new DeviceNotifications({ store })
//   await notifications.load(); notifications.start()   (retries registering on each start)
//   await notifications.enable() / disable() / setPreview(on)
//   notifications.state      -> see STATES
//   notifications.settings   -> { enabled, preview }
//   notifications.announcement(room) -> { mailbox, notify } | null
//   notifications.addEventListener('change', ...)      state or settings changed
//   notifications.addEventListener('mailbox', ...)     what rooms should be told changed
import { toBase64Url } from '../crypto/bytes.js';
import { createMailboxKeys, isMailboxKeys, MAILBOX_SETTING } from './mailbox-keys.js';
import { notifyLevelOf } from './notify-levels.js';
import {
  forgetEndpoints, loadNotificationSettings, rememberEndpoint, saveNotificationSettings,
} from './push-settings.js';
import {
  deleteSubscription, fetchVapidKey, postSubscription, PushRegistrationError, subscribeToPush,
  subscriptionFields, withTimeout,
} from './push-registration.js';

export const STATES = Object.freeze([
  'unsupported', // this browser has no service workers, push or notifications
  'off',
  'asking', // the browser's permission prompt is open
  'dismissed', // the prompt was closed without an answer
  'blocked', // notifications are denied for this site in the browser's settings
  'registering', // talking to the browser's push service and to the server
  'unreachable', // the browser's push service did not answer: retried on the next start
  'unavailable', // this server sends no push (no VAPID key): known before it is turned on
  'failed', // no service worker, or the server refused the registration: `problem` says which
  'on',
]);

// Without a running service worker there is nothing to subscribe with.
const SERVICE_WORKER_TIMEOUT_MS = 10_000;

function browserEnvironment() {
  const supported = typeof Notification !== 'undefined' && 'serviceWorker' in navigator
    && typeof PushManager !== 'undefined';
  return {
    supported,
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    serviceWorkerReady: () => navigator.serviceWorker.ready,
  };
}

export class DeviceNotifications extends EventTarget {
  constructor({ store, environment = browserEnvironment(), log = console }) {
    super();
    this.store = store;
    this.environment = environment;
    this.log = log;
    this.settings = { enabled: false, preview: false };
    this.mailbox = null;
    this.state = 'off';
    this.problem = null; // the code behind `failed`
    this.registering = null;
  }

  async load() {
    this.settings = await loadNotificationSettings(this.store);
    const mailbox = await this.store.loadSetting(MAILBOX_SETTING);
    this.mailbox = isMailboxKeys(mailbox) ? mailbox : null;
    if (!this.environment.supported) this.state = 'unsupported';
    else if (!this.settings.enabled) this.state = 'off';
    else if (this.environment.permission() === 'denied') this.state = 'blocked';
    else if (this.environment.permission() !== 'granted') this.state = 'dismissed';
    else this.state = 'registering';
  }

  // Registering again on every start: the browser may have renewed the subscription,
  // and a push service that was unreachable last time may answer now.
  start() {
    if (this.state === 'registering') this.#register();
    if (this.state === 'off') {
      this.#serverOffersPush().then((offers) => {
        if (!offers && this.state === 'off') this.#setState('unavailable');
      });
    }
  }

  // Whether the server sends push at all (it has a VAPID key), asked once: a server
  // without it is said before anyone turns notifications on, and the browser's
  // permission is never asked for nothing. Anything but a clear "no" counts as yes: the
  // registration says what went wrong.
  #serverOffersPush() {
    return this.#serverKey().then(() => true, (error) => error?.code !== 'push_unavailable');
  }

  // The server's VAPID key, kept for the page's life once it came; a failure is asked
  // again the next time.
  #serverKey() {
    if (!this.keyRequest) {
      const request = fetchVapidKey();
      this.keyRequest = request;
      request.catch(() => {
        if (this.keyRequest === request) this.keyRequest = null;
      });
    }
    return this.keyRequest;
  }

  // What this device's latest `mailbox` entry in `room` should say, or null when the
  // room never needs to hear about a mailbox (none was ever made).
  announcement(room) {
    if (!this.mailbox) return null;
    const on = this.settings.enabled && this.state !== 'blocked' && this.state !== 'dismissed';
    return { mailbox: toBase64Url(this.mailbox.publicKey), notify: on ? notifyLevelOf(room) : 'none' };
  }

  async enable() {
    if (this.state === 'unsupported' || this.state === 'asking') return;
    if (!(await this.#serverOffersPush())) return this.#setState('unavailable');
    this.#setState('asking');
    let permission;
    try {
      permission = await this.environment.requestPermission();
    } catch {
      permission = this.environment.permission();
    }
    if (permission === 'denied') return this.#setState('blocked');
    if (permission !== 'granted') return this.#setState('dismissed');
    if (!this.mailbox) {
      this.mailbox = createMailboxKeys();
      await this.store.saveSetting(MAILBOX_SETTING, this.mailbox);
    }
    this.settings = { ...this.settings, enabled: true };
    await saveNotificationSettings(this.store, this.settings);
    this.#setState('registering');
    // Rooms hear about the mailbox now; the subscription may take long or never come.
    this.dispatchEvent(new CustomEvent('mailbox'));
    await this.#register();
  }

  async disable() {
    if (this.state === 'unsupported') return;
    this.settings = { ...this.settings, enabled: false };
    await saveNotificationSettings(this.store, this.settings);
    this.#setState('off');
    this.dispatchEvent(new CustomEvent('mailbox'));
    await this.#unregister();
  }

  async setPreview(on) {
    this.settings = { ...this.settings, preview: Boolean(on) };
    await saveNotificationSettings(this.store, this.settings);
    this.#changed();
  }

  #register() {
    this.registering ??= this.#registerOnce().finally(() => { this.registering = null; });
    return this.registering;
  }

  async #registerOnce() {
    const mailbox = this.mailbox;
    if (!mailbox) return;
    try {
      const registration = await withTimeout(
        this.environment.serviceWorkerReady(), SERVICE_WORKER_TIMEOUT_MS, 'no_service_worker');
      const key = await this.#serverKey();
      const subscription = await subscribeToPush(registration, key);
      const json = subscription.toJSON();
      await postSubscription(mailbox, json);
      if (!this.settings.enabled) {
        // Turned off while this was under way: take it back at once.
        await deleteSubscription(mailbox, subscriptionFields(json).endpoint);
        return;
      }
      await rememberEndpoint(this.store, subscriptionFields(json).endpoint);
      this.#setState('on');
    } catch (error) {
      if (!(error instanceof PushRegistrationError)) this.log.warn('push registration failed', error);
      if (!this.settings.enabled) return; // turned off meanwhile: nothing to report
      this.problem = error.code ?? 'failed';
      if (error.code === 'push_service_unreachable') this.#setState('unreachable');
      else if (error.code === 'push_unavailable') this.#setState('unavailable');
      else this.#setState('failed');
    }
  }

  // Best effort: the server forgets the endpoints, the browser the subscription. The
  // rooms were already told `none`, so nobody wakes this device even if this fails.
  async #unregister() {
    const mailbox = this.mailbox;
    const endpoints = await forgetEndpoints(this.store);
    for (const endpoint of endpoints) {
      try {
        await deleteSubscription(mailbox, endpoint);
      } catch (error) {
        this.log.warn('push subscription not removed', error.code ?? error);
      }
    }
    try {
      const registration = await withTimeout(
        this.environment.serviceWorkerReady(), SERVICE_WORKER_TIMEOUT_MS, 'no_service_worker');
      const subscription = await withTimeout(
        registration.pushManager.getSubscription(), SERVICE_WORKER_TIMEOUT_MS, 'push_service_unreachable');
      await subscription?.unsubscribe();
    } catch {
      // No service worker or push service: there is no browser subscription to drop.
    }
  }

  #setState(state) {
    this.state = state;
    if (state !== 'failed') this.problem = null;
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
