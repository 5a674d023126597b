// "Install Parley" at the foot of the sidebar, while the browser offers installation
// (pwa/install-prompt.js). Gone once installed or when running as the installed app.
import { h } from './dom.js';

export function installCard(install) {
  const card = h('section', { class: 'install-card', 'data-testid': 'install-card', hidden: true, 'aria-label': 'Install Parley' },
    h('img', { class: 'install-card-icon', src: iconUrl(), alt: '', width: 36, height: 36 }),
    h('span', { class: 'install-card-text' },
      h('strong', {}, 'Install Parley'),
      h('span', {}, 'Open it like an app, even offline.')),
    h('button', {
      class: 'button small primary', type: 'button', 'data-testid': 'install-button',
      onclick: () => install.prompt(),
    }, 'Install'));
  const render = () => { card.hidden = !install.available; };
  install.addEventListener('change', render);
  render();
  return card;
}

// The 192 px icon next to this module's folder: static URLs are relative to it.
function iconUrl() {
  return new URL('../../icons/icon-192.png', import.meta.url).href;
}
