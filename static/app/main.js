// Boot: take the device lock, load libsodium, open the device store, start the app,
// draw the shell. Another tab that holds the lock leaves this one a "use here" screen.
import { CallMonitor } from './calls/call-monitor.js';
import { CallView } from './ui/call-view.js';
import { sodiumReady } from './crypto/sodium.js';
import { ParleyApp } from './parley-app.js';
import { Connectivity } from './pwa/connectivity.js';
import { InstallPrompt } from './pwa/install-prompt.js';
import { AppUpdates } from './pwa/service-worker-client.js';
import { ParleyStore } from './storage/db.js';
import { acquireDeviceLock } from './storage/device-lock.js';
import { connectionBanner } from './ui/connection-banner.js';
import { installCard } from './ui/install-card.js';
import { otherTabView } from './ui/other-tab-view.js';
import { ShellView } from './ui/shell-view.js';
import { updateBanner } from './ui/update-banner.js';

const root = document.getElementById('app');
const banners = document.getElementById('app-banners');
const TAKE_OVER_FLAG = 'parley-take-over';

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

async function boot() {
  const steal = sessionStorage.getItem(TAKE_OVER_FLAG) === '1';
  sessionStorage.removeItem(TAKE_OVER_FLAG);
  const lock = await acquireDeviceLock({ steal });
  if (!lock) {
    root.replaceChildren(otherTabView({ lost: false, onUseHere: takeOver }));
    root.dataset.state = 'other-tab';
    return;
  }
  // Marks for the boot's timeline (python -m bench.connect --trace).
  performance.mark('parley:device-lock');
  await sodiumReady;
  performance.mark('parley:libsodium');
  const store = await ParleyStore.open();
  performance.mark('parley:store');
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const app = await ParleyApp.start({ store, signalingUrl: `${scheme}://${location.host}/ws/signal` });
  banners.prepend(connectionBanner(new Connectivity({ signaling: app.signaling }), {
    linkedPeers: () => app.linkedPeerCount(), changes: app,
  }));
  new ShellView({ app, root, sidebarFooter: installCard(install) }).start();
  document.body.append(new CallView({ app, monitor: new CallMonitor({ calls: app.calls }) }).el);
  // Leaving the page closes every link at once: the people in its rooms see it go now,
  // not once the network stops answering. A page kept in the back/forward cache was not
  // left.
  addEventListener('pagehide', (event) => {
    if (!event.persisted) app.shutdown();
  });
  lock.lost.then(() => {
    app.shutdown();
    root.replaceChildren(otherTabView({ lost: true, onUseHere: takeOver }));
    root.dataset.state = 'other-tab';
  });
}

boot().catch((error) => {
  root.dataset.state = 'failed';
  const message = document.getElementById('boot-message') ?? root.appendChild(document.createElement('p'));
  message.textContent = `Parley could not start: ${error.message}. Private browsing windows of some browsers block the storage Parley needs.`;
  console.error(error);
});
