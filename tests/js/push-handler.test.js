// The service worker's push half (sw/push-handler.js) with a fake worker scope: what a
// notification click does, and that a push that is no wake shows nothing. The full path
// (IndexedDB, a real wake, a real notification) runs in e2e/test_push.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handlePushes } from '../../static/app/sw/push-handler.js';

class FakeScope extends EventTarget {
  constructor(windows = []) {
    super();
    this.location = new URL('https://parley.test/sw.js');
    this.opened = [];
    this.shown = [];
    this.clients = {
      matchAll: async () => windows,
      openWindow: async (url) => this.opened.push(url),
    };
    this.registration = { showNotification: async (title, options) => this.shown.push({ title, options }) };
  }

  async fire(type, fields) {
    const pending = [];
    const event = Object.assign(new Event(type), { waitUntil: (promise) => pending.push(promise), ...fields });
    this.dispatchEvent(event);
    await Promise.all(pending);
  }
}

function fakeWindow(url, { focused = false, visibilityState = 'hidden' } = {}) {
  return {
    url, focused, visibilityState, messages: [], focusedNow: false,
    async focus() { this.focusedNow = true; },
    postMessage(message) { this.messages.push(message); },
  };
}

const TOPIC = `${'A'.repeat(42)}E`;
const clickOn = (room) => ({ notification: { data: { room }, close() { this.closed = true; } } });

test('a click opens the room in a new window when none is open', async () => {
  const scope = new FakeScope();
  handlePushes(scope);
  await scope.fire('notificationclick', clickOn(TOPIC));
  assert.deepEqual(scope.opened, [`/#open=${TOPIC}`]);
});

test('a click focuses an open window and asks it to select the room', async () => {
  const open = fakeWindow('https://parley.test/');
  const scope = new FakeScope([open]);
  handlePushes(scope);
  await scope.fire('notificationclick', clickOn(TOPIC));
  assert.deepEqual(scope.opened, []);
  assert.ok(open.focusedNow);
  assert.deepEqual(open.messages, [{ type: 'open-room', room: TOPIC }]);
});

test('a push that is not a wake, or that arrives while the app is in front, shows nothing', async () => {
  const originalWarn = console.warn;
  console.warn = () => {};
  try {
    for (const text of ['', 'hello', 'A'.repeat(5000)]) {
      const scope = new FakeScope();
      handlePushes(scope);
      await scope.fire('push', { data: { text: () => text } });
      assert.deepEqual(scope.shown, [], text.slice(0, 10));
    }
    const front = new FakeScope([fakeWindow('https://parley.test/', { focused: true, visibilityState: 'visible' })]);
    handlePushes(front);
    await front.fire('push', { data: { text: () => 'A'.repeat(1430) } });
    assert.deepEqual(front.shown, []);
  } finally {
    console.warn = originalWarn;
  }
});

// Past the "app in front" check the worker opens the device store, which node lacks: the
// push is then dropped with a warning, which is how this test sees the check let it by.
test('another page of the origin in front is not the app: the push goes on to be read', async () => {
  const originalWarn = console.warn;
  const warned = [];
  console.warn = (text) => warned.push(text);
  try {
    for (const [url, readOn] of [['https://parley.test/?x=1#room', false], ['https://parley.test/push/vapid', true]]) {
      warned.length = 0;
      const scope = new FakeScope([fakeWindow(url, { focused: true, visibilityState: 'visible' })]);
      handlePushes(scope);
      await scope.fire('push', { data: { text: () => 'A'.repeat(1430) } });
      assert.deepEqual(scope.shown, []);
      assert.equal(warned.length, readOn ? 1 : 0, url);
    }
  } finally {
    console.warn = originalWarn;
  }
});
