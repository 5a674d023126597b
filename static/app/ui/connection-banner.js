// The offline indicator: says plainly that nothing reaches anyone right now and that
// nothing is lost (messages are stored and go out when a peer is reachable again).
import { h } from './dom.js';

const TEXT = {
  offline: ['You are offline.', ' Messages will be sent when you reconnect.'],
  unreachable: ['Can’t reach the Parley server.', ' Reconnecting… messages will be sent when you reconnect.'],
};

export function connectionBanner(connectivity) {
  const title = h('strong', {});
  const detail = h('span', {});
  const banner = h('div', { class: 'app-banner connection-banner', role: 'status', 'data-testid': 'offline-banner', hidden: true },
    h('span', { class: 'app-banner-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'app-banner-text' }, title, detail));
  const render = () => {
    const text = TEXT[connectivity.state];
    banner.hidden = !text;
    banner.dataset.state = connectivity.state;
    if (!text) return;
    title.textContent = text[0];
    detail.textContent = text[1];
  };
  connectivity.addEventListener('change', render);
  render();
  return banner;
}
