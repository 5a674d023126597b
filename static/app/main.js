// Boot: load libsodium, open the device store, start the app, draw the shell.
import { sodiumReady } from './crypto/sodium.js';
import { ParleyApp } from './parley-app.js';
import { ParleyStore } from './storage/db.js';
import { ShellView } from './ui/shell-view.js';

const root = document.getElementById('app');

async function boot() {
  await sodiumReady;
  const store = await ParleyStore.open();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const app = await ParleyApp.start({ store, signalingUrl: `${scheme}://${location.host}/ws/signal` });
  new ShellView({ app, root }).start();
}

boot().catch((error) => {
  root.dataset.state = 'failed';
  const message = document.getElementById('boot-message') ?? root.appendChild(document.createElement('p'));
  message.textContent = `Parley could not start: ${error.message}. Private browsing windows of some browsers block the storage Parley needs.`;
  console.error(error);
});
