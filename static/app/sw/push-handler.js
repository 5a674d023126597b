// The push half of the service worker (docs/protocol.md §10 "Receiving"): a push
// carries one sealed wake as base64url text. The worker opens it with this device's
// mailbox key from IndexedDB, checks it against what the device knows (the room, its
// notification level, the sender's membership), and shows a notification that names
// the room and the sender — the message text only when the user opted in. Clicking the
// notification opens that room.
//
//   handlePushes(self)
//
// Everything imported here avoids top-level await: Chromium refuses to start a module
// service worker whose graph uses it.
import { toBase64Url } from '../crypto/encoding.js';
import { sodiumReady } from '../crypto/sodium.js';
import { isMailboxKeys, MAILBOX_SETTING } from '../push/mailbox-keys.js';
import { loadNotificationSettings } from '../push/push-settings.js';
import { openWake, WAKE_BLOB_CHARACTERS } from '../push/wake.js';
import { wakeNotification } from '../push/wake-notification.js';
import { ParleyStore } from '../storage/db.js';

export function handlePushes(scope) {
  scope.addEventListener('push', (event) => {
    event.waitUntil(onPush(scope, event.data).catch((error) => {
      // Nothing to show: a wake that fails a check is dropped, as the protocol says.
      console.warn(`push dropped: ${error.code ?? error.message}`);
    }));
  });
  scope.addEventListener('notificationclick', (event) => {
    event.notification.close();
    event.waitUntil(openRoom(scope, event.notification.data?.room));
  });
}

async function onPush(scope, data) {
  // Read as text, bounded: a wake is exactly 1,430 characters of base64url.
  const text = data ? data.text() : '';
  if (text.length !== WAKE_BLOB_CHARACTERS) throw Object.assign(new Error('not a wake'), { code: 'malformed' });
  if (await appIsInFront(scope)) return; // the open page shows it already
  await sodiumReady;
  const store = await ParleyStore.open();
  try {
    const shown = await notificationFor(store, text);
    if (shown) await scope.registration.showNotification(shown.title, shown.options);
  } finally {
    store.db.close();
  }
}

async function notificationFor(store, text) {
  const [mailbox, identity] = await Promise.all([store.loadSetting(MAILBOX_SETTING), store.loadIdentity()]);
  if (!isMailboxKeys(mailbox)) return null; // notifications were never turned on here
  const wake = openWake(text, { mailbox });
  const [room, settings, contact, isMember] = await Promise.all([
    store.getRoom(wake.room),
    loadNotificationSettings(store),
    store.getContact(wake.from),
    // The mailbox key is the same in every room: a member of one room could otherwise
    // sign a wake that claims another room of ours.
    store.hasEntriesBy(wake.room, wake.from),
  ]);
  if (!settings.enabled || !isMember) return null;
  // Identity ids are the base64url public key (identity.js, which the worker cannot import).
  if (identity && wake.from === toBase64Url(identity.publicKey)) return null; // our own wake
  // A room this device left (ParleyApp.leaveRoom) counts as one it does not hold.
  const held = room && !room.left ? room : null;
  return wakeNotification({ wake, room: held, senderName: contact?.name, preview: settings.preview });
}

// The app is the page at the worker's folder ("/"): another page of the origin in front
// (a JSON endpoint, say) shows no messages, so it does not count.
async function appIsInFront(scope) {
  const app = new URL('./', scope.location.href).pathname;
  const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.some((client) => client.focused && client.visibilityState === 'visible' && new URL(client.url).pathname === app);
}

// An open window of the app selects the room; otherwise a new one opens on it. The
// room travels in the fragment, which never reaches the server.
async function openRoom(scope, room) {
  const topic = typeof room === 'string' ? room : '';
  const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const existing = windows.find((client) => new URL(client.url).origin === scope.location.origin);
  if (existing) {
    await existing.focus();
    existing.postMessage({ type: 'open-room', room: topic });
    return;
  }
  await scope.clients.openWindow(topic ? `/#open=${encodeURIComponent(topic)}` : '/');
}
