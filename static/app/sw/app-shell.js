// The app-shell half of the service worker: keeps one complete version of the app in a
// cache and serves pages from it, so Parley opens without a network and a page never
// mixes files of two versions.
//
//   serveAppShell(self, { version, shell: '/', assets: ['/static/app/main.js', ...],
//                         integrity: { '/static/app/main.js': 'sha384-…', ... } })
//
// /sw.js (signal_server/app_shell.py) passes the version, a hash over every listed
// file. A changed version is a new worker: it precaches the new files into its own cache
// and then waits. It takes over only when every page of the old version is gone, or
// when the page asks it to ({ type: 'skip-waiting' }, after the user chose "Reload").

export const CACHE_PREFIX = 'parley-shell-';

// Never from the cache: the rendezvous socket, push endpoints, and the files a browser
// uses to check for a new version.
const NETWORK_ONLY_PATHS = ['/ws/', '/push/'];
const NETWORK_ONLY_FILES = ['/sw.js', '/manifest.webmanifest'];

export function serveAppShell(worker, { version, shell, assets, integrity = {} }) {
  const cacheName = `${CACHE_PREFIX}${version}`;
  const origin = worker.location.origin;
  const shellUrl = new URL(shell, worker.location.href);
  const precached = new Set(assets.map((asset) => new URL(asset, worker.location.href).href));
  const hashes = new Map(Object.entries(integrity).map(([asset, hash]) => [new URL(asset, worker.location.href).href, hash]));

  worker.addEventListener('install', (event) => {
    event.waitUntil(Promise.all([
      precache(worker.caches, cacheName, [shellUrl.href, ...precached], hashes),
      routeFromCache(event, cacheName, precached),
    ]));
  });

  worker.addEventListener('activate', (event) => {
    event.waitUntil((async () => {
      await dropOtherVersions(worker.caches, cacheName);
      // Only matters on the first install: the page that registered the worker gets it
      // at once. A later version activates only after skip-waiting or a restart, and
      // the page that asked reloads as soon as the controller changes.
      await worker.clients.claim();
    })());
  });

  worker.addEventListener('message', (event) => {
    const type = event.data?.type;
    if (type === 'skip-waiting') worker.skipWaiting();
    if (type === 'version') event.ports[0]?.postMessage({ version });
  });

  worker.addEventListener('fetch', (event) => {
    const { request } = event;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== origin || isNetworkOnly(url.pathname)) return;
    if (request.mode === 'navigate' && url.pathname === shellUrl.pathname) {
      // The fragment (invite links) never reaches a worker; the query does not change
      // the shell.
      event.respondWith(fromCache(worker.caches, cacheName, shellUrl.href, request));
      return;
    }
    url.hash = '';
    if (precached.has(url.href)) event.respondWith(fromCache(worker.caches, cacheName, url.href, request));
  });
}

// Where the browser supports it (the Static Routing API), it answers the app's files
// from this version's cache without running this worker's script: a page asks for a
// hundred modules at once, and each would otherwise wait its turn in the worker. A miss
// goes to the network, as in fromCache.
// Browsers without it, or that refuse the rule, run the fetch handler as before.
async function routeFromCache(event, cacheName, urls) {
  if (typeof event.addRoutes !== 'function' || urls.size === 0) return;
  const folder = commonFolder([...urls].map((url) => new URL(url).pathname));
  if (folder === '/') return; // the page itself, and /sw.js, must stay with the handler
  try {
    await event.addRoutes({
      condition: { urlPattern: { pathname: `${folder}*` }, requestMethod: 'GET' },
      source: { cacheName },
    });
  } catch (error) {
    console.warn(`Parley: the service worker's files come through its fetch handler (${error.message})`);
  }
}

function commonFolder(paths) {
  let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
  for (const path of paths) {
    while (!path.startsWith(prefix)) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('/') + 1);
  }
  return prefix;
}

function isNetworkOnly(pathname) {
  return NETWORK_ONLY_FILES.includes(pathname) || NETWORK_ONLY_PATHS.some((prefix) => pathname.startsWith(prefix));
}

// Straight from the server (cache: 'reload' skips the HTTP cache, which may still hold
// files of the previous version), each checked against the hash /sw.js gave for it, so
// a file of another version (a deploy that lands mid-install) cannot slip in. One
// failed file fails the install, and the browser tries again on its next update check
// rather than activating an incomplete shell.
async function precache(caches, cacheName, urls, hashes) {
  const cache = await caches.open(cacheName);
  await Promise.all(urls.map(async (url) => {
    const integrity = hashes.get(url);
    const response = await fetch(new Request(url, { cache: 'reload', ...(integrity ? { integrity } : {}) }));
    if (!response.ok) throw new Error(`precache: ${url} answered ${response.status}`);
    await cache.put(url, response);
  }));
}

async function dropOtherVersions(caches, keep) {
  const names = await caches.keys();
  await Promise.all(names
    .filter((name) => name.startsWith(CACHE_PREFIX) && name !== keep)
    .map((name) => caches.delete(name)));
}

// Only this version's cache answers; the network is the fallback for a file the cache
// lost (storage pressure), never a different cached version.
async function fromCache(caches, cacheName, url, request) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(url);
  return cached ?? fetch(request);
}
