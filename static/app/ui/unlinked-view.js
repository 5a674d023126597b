// What a linked device shows once its first device unlinked it (docs/protocol.md §13):
// it speaks for nobody any more and has stopped; what it still holds can be erased.
import { brandMark, h } from './dom.js';

async function eraseEverything() {
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase('parley');
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  const root = await navigator.storage?.getDirectory?.().catch(() => null);
  if (root) for await (const name of root.keys()) await root.removeEntry(name, { recursive: true }).catch(() => {});
}

export function unlinkedView() {
  const erase = h('button', {
    class: 'button primary wide', type: 'button', 'data-testid': 'erase-device',
    onclick: async () => {
      erase.disabled = true;
      await eraseEverything();
      location.reload();
    },
  }, 'Erase this device and start over');
  return h('div', { class: 'onboarding', 'data-testid': 'unlinked' },
    h('div', { class: 'onboarding-card' },
      brandMark({ large: true }),
      h('h1', {}, 'This device was unlinked'),
      h('p', {}, 'Your other device unlinked it: it no longer speaks for you, and nothing it writes reaches anyone. It has left your rooms.'),
      h('p', { class: 'muted' }, 'Its copy of your rooms and contacts is still stored here. Erase it unless you need it.'),
      erase));
}
