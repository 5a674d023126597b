// The peers this device links to in the open room, one chip each: name, verified,
// whether they can be notified, the link's state and how its traffic travels. A chip
// opens the person's safety number.
import { openContactDialog } from './contact-dialog.js';
import { h, replaceChildren } from './dom.js';

const PEER_STATE_LABELS = { connecting: 'connecting…', ready: 'connected', closed: 'disconnected' };
// How a ready link's traffic travels (peers/link-route.js).
const ROUTE_LABELS = { direct: 'Direct', relayed: 'Relayed' };
const ROUTE_TITLES = {
  direct: 'Straight between your devices: this person can learn your IP address.',
  relayed: 'Through the server’s relay: neither of you learns the other’s IP address.',
};

export function renderPeerStrip(strip, peers, app) {
  replaceChildren(strip, peers.map((peer) => {
    const verified = peer.id && app.isVerified(peer.id);
    return h('li', {
      class: `peer-chip state-${peer.state}`, 'data-testid': 'peer',
      dataset: { state: peer.state, verified: String(Boolean(verified)), notify: peer.notify ?? 'unknown' },
    },
    h('button', {
      type: 'button', class: 'peer-chip-button', disabled: !peer.id,
      title: peer.id ? 'Safety number' : null,
      onclick: () => openContactDialog({ app, id: peer.id, name: peer.name }),
    },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', {}, peer.name || (peer.id ? 'Someone' : 'Unknown peer')),
    verified ? h('span', { class: 'verified-badge', title: 'Verified', 'aria-label': 'verified' }, '✓') : null,
    peer.notify && peer.notify !== 'none'
      ? h('span', { class: 'bell-icon notify-badge', title: 'Gets a notification when away', role: 'img', 'aria-label': 'can be notified' })
      : null,
    h('span', { class: 'peer-state' }, PEER_STATE_LABELS[peer.state] ?? peer.state),
    peer.state === 'ready' && peer.route
      ? h('span', {
        class: `peer-route route-${peer.route}`, 'data-testid': 'peer-route', dataset: { route: peer.route },
        title: ROUTE_TITLES[peer.route],
      }, ROUTE_LABELS[peer.route])
      : null));
  }));
}
