// The offline indicator's source (pwa/connectivity.js) and the install offer
// (pwa/install-prompt.js), against fake windows and a fake signaling client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connectivity } from '../../static/app/pwa/connectivity.js';
import { InstallPrompt } from '../../static/app/pwa/install-prompt.js';

function fakeWindow({ onLine = true, standalone = false } = {}) {
  const win = new EventTarget();
  win.navigator = { onLine };
  win.matchMedia = (query) => ({ matches: standalone && query === '(display-mode: standalone)' });
  return win;
}

function fakeSignaling(state = 'connecting') {
  const signaling = new EventTarget();
  signaling.state = state;
  signaling.stopped = false;
  signaling.set = (next) => {
    signaling.state = next;
    signaling.dispatchEvent(new CustomEvent('state', { detail: { state: next } }));
  };
  return signaling;
}

test('a first connection attempt is not reported as trouble', () => {
  const connectivity = new Connectivity({ signaling: fakeSignaling('connecting'), win: fakeWindow() });
  assert.equal(connectivity.state, 'online');
});

test('the browser going offline is reported at once, and its return clears it', () => {
  const win = fakeWindow();
  const signaling = fakeSignaling('online');
  const connectivity = new Connectivity({ signaling, win });
  const seen = [];
  connectivity.addEventListener('change', () => seen.push(connectivity.state));
  win.navigator.onLine = false;
  win.dispatchEvent(new Event('offline'));
  win.navigator.onLine = true;
  win.dispatchEvent(new Event('online'));
  assert.deepEqual(seen, ['offline', 'online']);
});

test('an unreachable server stays reported while the client retries, until it is back', () => {
  const signaling = fakeSignaling('online');
  const connectivity = new Connectivity({ signaling, win: fakeWindow() });
  const seen = [];
  connectivity.addEventListener('change', () => seen.push(connectivity.state));
  for (const state of ['offline', 'connecting', 'offline', 'connecting']) signaling.set(state);
  assert.equal(connectivity.state, 'unreachable');
  signaling.set('online');
  assert.deepEqual(seen, ['unreachable', 'online'], 'no flicker between retries');
});

test('a page whose connection was stopped on purpose (another tab took over) reports nothing', () => {
  const signaling = fakeSignaling('online');
  const connectivity = new Connectivity({ signaling, win: fakeWindow() });
  signaling.stopped = true;
  signaling.set('offline');
  assert.equal(connectivity.state, 'stopped');
});

function installOffer(outcome) {
  const event = new Event('beforeinstallprompt', { cancelable: true });
  event.prompted = 0;
  event.prompt = async () => { event.prompted++; };
  event.userChoice = Promise.resolve({ outcome });
  return event;
}

test('the browser\'s install offer is kept for the app\'s own button and used once', async () => {
  const win = fakeWindow();
  const install = new InstallPrompt({ win });
  assert.equal(install.available, false);
  const offer = installOffer('accepted');
  win.dispatchEvent(offer);
  assert.equal(offer.defaultPrevented, true, 'no browser mini-infobar');
  assert.equal(install.available, true);
  assert.equal(await install.prompt(), 'accepted');
  assert.equal(offer.prompted, 1);
  assert.equal(install.available, false);
  assert.equal(await install.prompt(), 'unavailable');
});

test('once installed, or when running as the installed app, nothing is offered', () => {
  const win = fakeWindow();
  const install = new InstallPrompt({ win });
  win.dispatchEvent(installOffer('accepted'));
  win.dispatchEvent(new Event('appinstalled'));
  assert.equal(install.available, false);

  const standaloneWin = fakeWindow({ standalone: true });
  const standalone = new InstallPrompt({ win: standaloneWin });
  standaloneWin.dispatchEvent(installOffer('accepted'));
  assert.equal(standalone.available, false);
});
