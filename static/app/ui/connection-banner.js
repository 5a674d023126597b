// The offline indicator: says plainly what reaches whom right now, and that nothing is
// lost. Without the server, links that are up keep carrying messages (they go peer to
// peer); only people not linked yet cannot be reached until it is back.
import { h } from './dom.js';
import { plural } from './format.js';

const TITLE = { offline: 'You are offline.', unreachable: 'Can’t reach the Parley server.' };
const RETRYING = { offline: '', unreachable: ' Reconnecting…' };

//   connectionBanner(connectivity, { linkedPeers: () => number of ready links, changes })
//   changes: an EventTarget whose 'change' means the links may have changed
export function connectionBanner(connectivity, { linkedPeers = () => 0, changes = null } = {}) {
  const title = h('strong', {});
  const detail = h('span', {});
  const banner = h('div', { class: 'app-banner connection-banner', role: 'status', 'data-testid': 'offline-banner', hidden: true },
    h('span', { class: 'app-banner-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'app-banner-text' }, title, detail));
  const render = () => {
    const { state } = connectivity;
    const text = TITLE[state];
    banner.hidden = !text;
    banner.dataset.state = state;
    if (!text) return;
    const linked = linkedPeers();
    banner.dataset.linked = String(linked);
    title.textContent = text;
    const whom = linked === 1 ? 'the person' : `the ${plural(linked, 'person', 'people')}`;
    detail.textContent = linked > 0
      ? `${RETRYING[state]} Messages still reach ${whom} you are connected to; others get them once you reconnect.`
      : `${RETRYING[state]} Messages will be sent when you reconnect.`;
  };
  connectivity.addEventListener('change', render);
  changes?.addEventListener('change', render);
  render();
  return banner;
}
