// "A new version of Parley is ready — Reload to update": shown while a new version of
// the app waits (pwa/service-worker-client.js). It never reloads by itself: the user may
// be typing.
import { h } from './dom.js';

export function updateBanner(updates) {
  const banner = h('div', { class: 'app-banner update-banner', role: 'status', 'data-testid': 'update-banner', hidden: true },
    h('span', { class: 'app-banner-icon', 'aria-hidden': 'true' }, '↻'),
    h('span', { class: 'app-banner-text' },
      h('strong', {}, 'A new version of Parley is ready.'),
      h('span', { class: 'app-banner-detail' }, ' Reload to start using it.')),
    h('button', {
      class: 'button small banner-button', type: 'button', 'data-testid': 'update-reload',
      onclick: (event) => {
        event.currentTarget.disabled = true;
        event.currentTarget.textContent = 'Reloading…';
        updates.applyUpdate();
      },
    }, 'Reload to update'));
  const render = () => { banner.hidden = !updates.updateReady; };
  updates.addEventListener('change', render);
  render();
  return banner;
}
