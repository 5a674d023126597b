// AppUpdates (static/app/pwa/service-worker-client.js) against a fake ServiceWorkerContainer:
// a new version is offered only when one waits behind a controlling worker, and applying
// it reloads the page into that version exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppUpdates, UPDATE_CHECK_EVERY_MS } from '../../static/app/pwa/service-worker-client.js';

class FakeWorker extends EventTarget {
  constructor(state) { super(); this.state = state; this.messages = []; }
  postMessage(message) { this.messages.push(message); }
  become(state) { this.state = state; this.dispatchEvent(new Event('statechange')); }
}

class FakeRegistration extends EventTarget {
  constructor({ waiting = null, installing = null } = {}) {
    super();
    this.waiting = waiting;
    this.installing = installing;
    this.updates = 0;
    this.updateFails = false;
  }
  async update() {
    this.updates++;
    if (this.updateFails) throw new Error('offline');
  }
  find(worker) {
    this.installing = worker;
    this.dispatchEvent(new Event('updatefound'));
  }
}

class FakeContainer extends EventTarget {
  constructor({ controller = null, registration = new FakeRegistration() } = {}) {
    super();
    this.controller = controller;
    this.registration = registration;
    this.registered = [];
  }
  async register(url, options) {
    this.registered.push({ url, options });
    return this.registration;
  }
  changeController(worker) {
    this.controller = worker;
    this.dispatchEvent(new Event('controllerchange'));
  }
}

async function started(container, extra = {}) {
  const reloads = [];
  const timers = [];
  const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  const updates = AppUpdates.start({
    container, doc, reload: () => reloads.push(1), every: (fn, ms) => timers.push({ fn, ms }), ...extra,
  });
  await updates.ready;
  return { updates, reloads, timers, doc };
}

test('the worker is registered as a module at the root, its imports checked past the HTTP cache', async () => {
  const container = new FakeContainer();
  await started(container);
  assert.deepEqual(container.registered, [
    { url: '/sw.js', options: { type: 'module', scope: '/', updateViaCache: 'none' } },
  ]);
});

test('without service workers there is nothing to start', () => {
  assert.equal(AppUpdates.start({ container: undefined }), null);
});

test('the first install is not an update', async () => {
  const installing = new FakeWorker('installing');
  const container = new FakeContainer({ registration: new FakeRegistration({ installing }) });
  const { updates, reloads } = await started(container);
  installing.become('installed');
  installing.become('activated');
  container.changeController(installing); // clients.claim()
  assert.equal(updates.updateReady, false);
  assert.deepEqual(reloads, []);
});

test('a version already waiting behind the page\'s worker is offered at once', async () => {
  const waiting = new FakeWorker('installed');
  const container = new FakeContainer({
    controller: new FakeWorker('activated'), registration: new FakeRegistration({ waiting }),
  });
  const { updates } = await started(container);
  assert.equal(updates.updateReady, true);
});

test('a version found later is offered once installed, and applying it reloads once it controls', async () => {
  const old = new FakeWorker('activated');
  const container = new FakeContainer({ controller: old });
  const { updates, reloads } = await started(container);
  let changes = 0;
  updates.addEventListener('change', () => changes++);

  const fresh = new FakeWorker('installing');
  container.registration.find(fresh);
  assert.equal(updates.updateReady, false, 'not before its files are cached');
  fresh.become('installed');
  assert.equal(updates.updateReady, true);
  assert.equal(changes, 1);

  updates.applyUpdate();
  assert.deepEqual(fresh.messages, [{ type: 'skip-waiting' }]);
  assert.deepEqual(reloads, [], 'the page keeps running its version until the new one controls');
  container.changeController(fresh);
  assert.deepEqual(reloads, [1]);
});

test('a version another tab applied is offered too, and applying it just reloads', async () => {
  const container = new FakeContainer({ controller: new FakeWorker('activated') });
  const { updates, reloads } = await started(container);
  const fresh = new FakeWorker('activated');
  container.changeController(fresh);
  assert.equal(updates.updateReady, true);
  updates.applyUpdate();
  assert.deepEqual(fresh.messages, []);
  assert.deepEqual(reloads, [1]);
});

test('updates are checked on start, every hour, and when the tab is shown again', async () => {
  const container = new FakeContainer({ controller: new FakeWorker('activated') });
  const { updates, timers, doc } = await started(container);
  const registration = container.registration;
  assert.equal(registration.updates, 1);
  assert.deepEqual(timers.map((t) => t.ms), [UPDATE_CHECK_EVERY_MS]);
  await timers[0].fn();
  assert.equal(registration.updates, 2);

  doc.dispatchEvent(new Event('visibilitychange'));
  assert.equal(registration.updates, 2, 'not again right after a check');
  updates.lastCheck = 0;
  doc.visibilityState = 'hidden';
  doc.dispatchEvent(new Event('visibilitychange'));
  assert.equal(registration.updates, 2, 'not while hidden');
  doc.visibilityState = 'visible';
  doc.dispatchEvent(new Event('visibilitychange'));
  assert.equal(registration.updates, 3);

  registration.updateFails = true;
  await updates.checkForUpdate(); // offline: quietly waits for the next check
  assert.equal(registration.updates, 4);
});
