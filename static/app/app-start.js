// The app behind main.js: libsodium, the device store, ParleyApp, the shell and the call
// view. Loaded with import() once the device lock is held and the rendezvous socket is
// on its way.
import { CallMonitor } from './calls/call-monitor.js';
import { sodiumReady } from './crypto/sodium.js';
import { ParleyApp } from './parley-app.js';
import { Connectivity } from './pwa/connectivity.js';
import { inviteIn } from './room/rooms.js';
import { ParleyStore } from './storage/db.js';
import { CallView } from './ui/call-view.js';
import { connectionBanner } from './ui/connection-banner.js';
import { installCard } from './ui/install-card.js';
import { ShellView } from './ui/shell-view.js';

const FIRST_DRAW_WAIT_MS = 250;

export async function startApp({ root, banners, install, signalingUrl, WebSocketImpl }) {
  await sodiumReady;
  performance.mark('parley:libsodium');
  const store = await ParleyStore.open();
  performance.mark('parley:store');
  const app = await ParleyApp.start({ store, signalingUrl, WebSocketImpl, invite: inviteIn(location.hash) });
  // Someone opening an invite waits for the link to the inviter: its offers go out
  // before the shell's first drawing, which holds the page's main thread for a while.
  await app.inviteDialled(FIRST_DRAW_WAIT_MS);
  banners.prepend(connectionBanner(new Connectivity({ signaling: app.signaling }), {
    linkedPeers: () => app.linkedPeerCount(), changes: app,
  }));
  new ShellView({ app, root, sidebarFooter: installCard(install) }).start();
  document.body.append(new CallView({ app, monitor: new CallMonitor({ calls: app.calls }) }).el);
  return app;
}
