// Boot: take the device lock, open the rendezvous socket, then load the app (libsodium,
// the device store, the shell) and start it. Another tab that holds the lock leaves this
// one a "use here" screen.
//
// This module imports nothing that needs libsodium: modules that do wait for it at
// their top level, and so would hold this one back until it is ready. The app comes in
// with import() (app-start.js), started at once; the socket's handshake runs meanwhile.
import { InstallPrompt } from './pwa/install-prompt.js';
import { AppUpdates } from './pwa/service-worker-client.js';
import { EarlySocket } from './signaling/early-socket.js';
import { acquireDeviceLock } from './storage/device-lock.js';
import { otherTabView } from './ui/other-tab-view.js';
import { updateBanner } from './ui/update-banner.js';

const root = document.getElementById('app');
const banners = document.getElementById('app-banners');
const TAKE_OVER_FLAG = 'parley-take-over';
const signalingUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/signal`;

// Before the boot, which may fail: a new version is also the way out of a broken one.
// Nothing at boot waits for the network: the shell comes from the service worker's
// cache and everything else from IndexedDB.
const install = new InstallPrompt();
const updates = AppUpdates.start();
if (updates) {
  banners.append(updateBanner(updates));
  updates.ready.catch((error) => console.warn(`Parley runs without its offline cache here: ${error.message}`));
}

function takeOver() {
  sessionStorage.setItem(TAKE_OVER_FLAG, '1');
  location.reload();
}

function showOtherTab(lost) {
  root.replaceChildren(otherTabView({ lost, onUseHere: takeOver }));
  root.dataset.state = 'other-tab';
}

// The app's modules load (and libsodium compiles) while the device lock is asked for
// (a tab that finds Parley open in another loads them for nothing); a failure is
// reported where boot() waits for them.
const appModule = import('./app-start.js');
appModule.catch(() => {});

async function boot() {
  const steal = sessionStorage.getItem(TAKE_OVER_FLAG) === '1';
  sessionStorage.removeItem(TAKE_OVER_FLAG);
  const lock = await acquireDeviceLock({ steal });
  if (!lock) {
    showOtherTab(false);
    return;
  }
  // Marks for the boot's timeline (python -m bench.connect --trace).
  performance.mark('parley:device-lock');
  const early = EarlySocket.open(signalingUrl);
  let startApp;
  try {
    ({ startApp } = await appModule);
  } catch (error) {
    // The app's files did not load (a vendored file failed its integrity check, or the
    // network broke): boot-guard.js says so, as when main.js itself cannot load.
    early.take(signalingUrl)?.close(1000);
    document.getElementById('app-module')?.dispatchEvent(new Event('error'));
    console.error(error);
    return;
  }
  let app;
  try {
    app = await startApp({ root, banners, install, signalingUrl, WebSocketImpl: early.WebSocketImpl });
  } catch (error) {
    // A socket no client took would hold one of this address's connections until the
    // server's idle timeout.
    early.take(signalingUrl)?.close(1000);
    throw error;
  }
  // Leaving the page closes every link at once: the people in its rooms see it go now,
  // not once the network stops answering. A page kept in the back/forward cache was not
  // left.
  addEventListener('pagehide', (event) => {
    if (!event.persisted) app.shutdown();
  });
  lock.lost.then(() => {
    app.shutdown();
    showOtherTab(true);
  });
}

boot().catch((error) => {
  root.dataset.state = 'failed';
  const message = document.getElementById('boot-message') ?? root.appendChild(document.createElement('p'));
  message.textContent = `Parley could not start: ${error.message}. Private browsing windows of some browsers block the storage Parley needs.`;
  console.error(error);
});
