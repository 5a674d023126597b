// The app-shell service worker (static/app/sw/app-shell.js) against a fake worker scope:
// what it precaches, which cache answers, what it leaves to the network, and when a new
// version takes over.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAppShell } from '../../static/app/sw/app-shell.js';

const ORIGIN = 'https://parley.example';
const ASSETS = ['/static/app/main.js', '/static/app/style.css', '/static/vendor/libsodium.js'];

class FakeCache {
  constructor() { this.entries = new Map(); }
  async put(url, response) { this.entries.set(url, response); }
  async match(url) { return this.entries.get(url); }
}

class FakeCacheStorage {
  constructor() { this.caches = new Map(); }
  async open(name) {
    if (!this.caches.has(name)) this.caches.set(name, new FakeCache());
    return this.caches.get(name);
  }
  async keys() { return [...this.caches.keys()]; }
  async delete(name) { return this.caches.delete(name); }
}

function fakeWorker() {
  const worker = new EventTarget();
  worker.location = new URL(`${ORIGIN}/sw.js`);
  worker.caches = new FakeCacheStorage();
  worker.claimed = 0;
  worker.skippedWaiting = 0;
  worker.clients = { claim: async () => { worker.claimed++; } };
  worker.skipWaiting = async () => { worker.skippedWaiting++; };
  return worker;
}

// Extendable events: what the worker passes to waitUntil / respondWith.
async function lifecycle(worker, type) {
  const event = new Event(type);
  let done = Promise.resolve();
  event.waitUntil = (promise) => { done = promise; };
  worker.dispatchEvent(event);
  return done;
}

function fetchEvent(worker, url, init = {}) {
  const event = new Event('fetch');
  event.request = { url: new URL(url, ORIGIN).href, method: init.method ?? 'GET', mode: init.mode ?? 'cors' };
  event.response = null;
  event.respondWith = (response) => { event.response = response; };
  worker.dispatchEvent(event);
  return event.response;
}

let fetched;
let failing;
const realFetch = globalThis.fetch;

beforeEach(() => {
  fetched = [];
  failing = new Set();
  globalThis.fetch = async (request) => {
    fetched.push({ url: request.url, cache: request.cache, integrity: request.integrity });
    const path = new URL(request.url).pathname;
    return new Response(`network ${path}`, { status: failing.has(path) ? 404 : 200 });
  };
});

afterEach(() => { globalThis.fetch = realFetch; });

function installed(version = 'v1') {
  const worker = fakeWorker();
  serveAppShell(worker, { version, shell: '/', assets: ASSETS });
  return worker;
}

test('install puts the shell and every asset in this version\'s cache, past the HTTP cache', async () => {
  const worker = installed('v1');
  await lifecycle(worker, 'install');
  const cache = worker.caches.caches.get('parley-shell-v1');
  assert.deepEqual([...cache.entries.keys()].sort(), [`${ORIGIN}/`, ...ASSETS.map((a) => ORIGIN + a)].sort());
  assert.ok(fetched.every((request) => request.cache === 'reload'));
  assert.equal(worker.skippedWaiting, 0, 'a new version waits until the page asks');
});

test('each asset is fetched with the integrity hash /sw.js gave for it', async () => {
  const worker = fakeWorker();
  const integrity = { '/static/app/main.js': 'sha384-AAAA', '/static/vendor/libsodium.js': 'sha384-BBBB' };
  serveAppShell(worker, { version: 'v1', shell: '/', assets: ASSETS, integrity });
  await lifecycle(worker, 'install');
  const byPath = Object.fromEntries(fetched.map((request) => [new URL(request.url).pathname, request.integrity]));
  assert.equal(byPath['/static/app/main.js'], 'sha384-AAAA');
  assert.equal(byPath['/static/vendor/libsodium.js'], 'sha384-BBBB');
  assert.equal(byPath['/static/app/style.css'], '', 'no hash given, none asked for');
  assert.equal(byPath['/'], '', 'the page is rendered by the server and has no fixed hash');
});

// The Static Routing API: the browser answers the app's files from this version's cache
// without running the worker's script.
async function installWithRoutes(addRoutes) {
  const worker = installed('v3');
  const event = new Event('install');
  let done = Promise.resolve();
  event.waitUntil = (promise) => { done = promise; };
  event.addRoutes = addRoutes;
  worker.dispatchEvent(event);
  await done;
  return worker;
}

test('where the browser routes from a cache, every static file goes to this version\'s cache; the page does not', async () => {
  const rules = [];
  const worker = await installWithRoutes(async (rule) => { rules.push(rule); });
  assert.deepEqual(rules, [{
    condition: { urlPattern: { pathname: '/static/*' }, requestMethod: 'GET' },
    source: { cacheName: 'parley-shell-v3' },
  }]);
  assert.ok(worker.caches.caches.get('parley-shell-v3').entries.has(`${ORIGIN}/static/app/main.js`));
});

test('a browser that refuses the route still installs, and the fetch handler serves', async (t) => {
  const warned = t.mock.method(console, 'warn', () => {});
  const worker = await installWithRoutes(async () => { throw new TypeError('unsupported source'); });
  assert.equal(warned.mock.callCount(), 1);
  const url = `${ORIGIN}/static/app/main.js`;
  await worker.caches.caches.get('parley-shell-v3').put(url, new Response('cached /static/app/main.js'));
  assert.equal(await (await fetchEvent(worker, '/static/app/main.js')).text(), 'cached /static/app/main.js');
});

test('one missing file fails the install instead of activating a partial shell', async () => {
  failing.add('/static/app/style.css');
  const worker = installed('v1');
  await assert.rejects(lifecycle(worker, 'install'), /style\.css answered 404/);
});

test('activate drops the other versions\' caches, keeps its own and foreign ones, and claims pages', async () => {
  const worker = installed('v2');
  for (const name of ['parley-shell-v1', 'parley-shell-v0', 'parley-shell-v2', 'somebody-else']) await worker.caches.open(name);
  await lifecycle(worker, 'activate');
  assert.deepEqual((await worker.caches.keys()).sort(), ['parley-shell-v2', 'somebody-else']);
  assert.equal(worker.claimed, 1);
});

test('a page load gets the shell of this version, whatever the query', async () => {
  const worker = installed('v2');
  await lifecycle(worker, 'install');
  const old = await worker.caches.open('parley-shell-v1');
  await old.put(`${ORIGIN}/`, new Response('old shell'));
  fetched = [];
  const response = await fetchEvent(worker, '/?source=pwa', { mode: 'navigate' });
  assert.equal(await response.text(), 'network /');
  assert.equal(await worker.caches.caches.get('parley-shell-v2').entries.get(`${ORIGIN}/`), response);
  assert.deepEqual(fetched, [], 'offline-capable: no network needed');
});

test('precached files come from this version\'s cache; a file the cache lost comes from the network', async () => {
  const worker = installed('v1');
  await lifecycle(worker, 'install');
  const cache = worker.caches.caches.get('parley-shell-v1');
  await cache.put(`${ORIGIN}/static/app/main.js`, new Response('cached main'));
  cache.entries.delete(`${ORIGIN}/static/app/style.css`);
  fetched = [];
  assert.equal(await (await fetchEvent(worker, '/static/app/main.js')).text(), 'cached main');
  assert.equal(await (await fetchEvent(worker, '/static/app/style.css')).text(), 'network /static/app/style.css');
  assert.deepEqual(fetched.map((request) => request.url), [`${ORIGIN}/static/app/style.css`]);
});

test('everything else is left to the network', async () => {
  const worker = installed('v1');
  await lifecycle(worker, 'install');
  for (const [url, init] of [
    ['/ws/signal', {}],
    ['/push/subscription', {}],
    ['/sw.js', {}],
    ['/manifest.webmanifest', {}],
    ['/static/app/not-in-the-shell.js', {}],
    ['/static/app/main.js', { method: 'POST' }],
    ['/push/subscription', { mode: 'navigate' }],
    ['/some/other/page', { mode: 'navigate' }],
    ['https://elsewhere.example/static/app/main.js', {}],
  ]) {
    assert.equal(fetchEvent(worker, url, init), null, `${init.method ?? 'GET'} ${url}`);
  }
});

test('the waiting version takes over when the page asks, and says which version it is', async () => {
  const worker = installed('v7');
  const skip = new Event('message');
  skip.data = { type: 'skip-waiting' };
  worker.dispatchEvent(skip);
  assert.equal(worker.skippedWaiting, 1);

  const { port1, port2 } = new MessageChannel();
  const answer = new Promise((resolve) => { port1.onmessage = (event) => resolve(event.data); });
  const ask = new Event('message');
  ask.data = { type: 'version' };
  ask.ports = [port2];
  worker.dispatchEvent(ask);
  assert.deepEqual(await answer, { version: 'v7' });
  port1.close();
});
