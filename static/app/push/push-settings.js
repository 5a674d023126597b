// This device's notification settings in IndexedDB (`settings` store), read by the page
// and by the service worker (docs/protocol.md §10 "Receiving").
//
//   await loadNotificationSettings(store) -> { enabled, preview }   (both off by default)
//   await saveNotificationSettings(store, { enabled, preview })
//   await rememberEndpoint(store, endpoint) / await forgetEndpoints(store) -> [endpoints]
//
// Registered endpoints are kept apart from the switches, so that a registration made
// from elsewhere (the e2e test's fake push service) is removed when the user turns
// notifications off too. No imports with top-level await: the service worker uses this.
export const NOTIFICATIONS_SETTING = 'notifications';
export const ENDPOINTS_SETTING = 'push-endpoints';
const MAX_ENDPOINTS = 8; // the server keeps at most 8 subscriptions per mailbox

export async function loadNotificationSettings(store) {
  const stored = await store.loadSetting(NOTIFICATIONS_SETTING);
  return { enabled: stored?.enabled === true, preview: stored?.preview === true };
}

export function saveNotificationSettings(store, { enabled, preview }) {
  return store.saveSetting(NOTIFICATIONS_SETTING, { enabled: Boolean(enabled), preview: Boolean(preview) });
}

export async function rememberEndpoint(store, endpoint) {
  const known = (await store.loadSetting(ENDPOINTS_SETTING)) ?? [];
  const endpoints = [...known.filter((e) => e !== endpoint), endpoint].slice(-MAX_ENDPOINTS);
  await store.saveSetting(ENDPOINTS_SETTING, endpoints);
}

export async function forgetEndpoints(store) {
  const known = (await store.loadSetting(ENDPOINTS_SETTING)) ?? [];
  await store.deleteSetting(ENDPOINTS_SETTING);
  return Array.isArray(known) ? known.filter((e) => typeof e === 'string') : [];
}
