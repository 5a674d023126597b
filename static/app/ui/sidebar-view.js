// The sidebar: who I am (name, ID, safety fingerprint), the server connection, the
// device settings (notifications, "Hide my IP address"), and the room list with a
// "New room" action.
import { brandMark, h, replaceChildren } from './dom.js';
import { openContactDialog } from './contact-dialog.js';
import { amountText } from '../payments/payment-text.js';
import { callSummaryText, hueFor, initials, shortId, shortWhen } from './format.js';
import { DevicesView } from './devices-view.js';
import { DownloadSettingsView } from './download-settings-view.js';
import { NotificationSettingsView } from './notification-settings-view.js';
import { searchResults } from './search-results.js';
import { hideIpIndicator, PrivacySettingsView } from './privacy-settings-view.js';

const SERVER_STATE_LABELS = {
  online: 'Online',
  connecting: 'Connecting…',
  offline: 'Offline — retrying',
};

// Why the server closed the connection, where the reason is worth telling (§3).
const CLOSE_CODE_LABELS = {
  4013: 'Too many connections from your network — retrying',
  4029: 'Slowed down by the server — retrying',
};

export class SidebarView {
  // footer: an optional element under the room list (the "Install Parley" card).
  constructor({ app, onSelectRoom, onNewRoom, onEditName, onBackup, onOpenMessage, footer = null }) {
    this.onBackup = onBackup;
    this.app = app;
    this.onSelectRoom = onSelectRoom;
    this.serverState = h('span', { class: 'server-state', 'data-testid': 'server-state', role: 'status' });
    this.profile = h('section', { class: 'profile', 'aria-label': 'Your identity' });
    this.roomList = h('ul', { class: 'room-list', 'data-testid': 'room-list' });
    this.onOpenMessage = onOpenMessage;
    this.selectedTopic = null;
    // Escape empties the search first; the list comes back.
    this.search = h('input', {
      type: 'search', class: 'room-search', placeholder: 'Search rooms and messages', 'aria-label': 'Search rooms and messages',
      'data-testid': 'search', maxLength: 200, oninput: () => this.#renderRooms(this.selectedTopic),
      onkeydown: (event) => {
        if (event.key !== 'Escape' || !this.search.value) return;
        event.preventDefault();
        this.search.value = '';
        this.#renderRooms(this.selectedTopic);
      },
    });
    this.notificationSettings = new NotificationSettingsView({ app });
    this.privacySettings = new PrivacySettingsView({ app });
    this.downloadSettings = new DownloadSettingsView({ app });
    this.devicesView = new DevicesView({ app });
    this.hideIpIndicator = hideIpIndicator();
    this.identityFacts = h('dl', { class: 'identity-facts' });
    // Who you are in detail and how this device behaves, folded on a phone, where the
    // room list should come first; open on a wide screen.
    this.settings = h('details', {
      class: 'device-settings', 'data-testid': 'device-settings',
      open: !globalThis.matchMedia?.('(max-width: 759px)').matches,
    },
    h('summary', {}, 'Your ID and settings'),
    this.identityFacts,
    this.notificationSettings.el,
    this.privacySettings.el,
    this.downloadSettings.el,
    this.devicesView.el);
    this.el = h('aside', { class: 'sidebar' },
      h('header', { class: 'brand' },
        brandMark(),
        h('span', { class: 'brand-name' }, 'Parley'),
        this.serverState,
        this.hideIpIndicator),
      this.profile,
      this.settings,
      h('div', { class: 'section-title' },
        h('h2', {}, 'Rooms'),
        h('button', { class: 'button small', type: 'button', 'data-testid': 'new-room', onclick: onNewRoom },
          '+ New room')),
      this.search,
      this.roomList,
      footer);
    this.onEditName = onEditName;
  }

  render(selectedTopic) {
    const state = this.app.signalingState;
    this.serverState.dataset.state = state;
    this.serverState.textContent = (state === 'offline' && CLOSE_CODE_LABELS[this.app.signalingCloseCode])
      || (SERVER_STATE_LABELS[state] ?? state);
    this.#renderProfile();
    this.notificationSettings.render();
    this.privacySettings.render();
    this.downloadSettings.render();
    this.devicesView.render();
    this.hideIpIndicator.hidden = !this.app.ice.hideIp;
    this.#renderRooms(selectedTopic);
  }

  #renderProfile() {
    const { identity, selfId, fingerprint } = this.app;
    replaceChildren(this.profile,
      h('div', { class: 'profile-row' },
        avatar(identity.name, selfId),
        h('div', { class: 'profile-names' },
          h('strong', { 'data-testid': 'my-name' }, identity.name || 'No name yet'),
          h('span', { class: 'profile-links' },
            h('button', { class: 'link-button', type: 'button', onclick: this.onEditName }, 'Edit name'),
            h('button', {
              class: 'link-button', type: 'button', 'data-testid': 'show-my-qr',
              onclick: () => openContactDialog({ app: this.app, id: selfId, name: identity.name }),
            }, 'Show QR'),
            // A linked device holds no identity key to back up (docs/protocol.md §13).
            this.app.isLinkedDevice ? null
              : h('button', { class: 'link-button', type: 'button', 'data-testid': 'backup-button', onclick: this.onBackup }, 'Back up')))));
    replaceChildren(this.identityFacts,
      h('dt', {}, 'Your ID'),
      h('dd', {},
        h('code', { 'data-testid': 'my-id', title: selfId }, shortId(selfId)),
        copyButton(selfId, 'Copy ID')),
      h('dt', {}, 'Safety number'),
      h('dd', {}, h('code', { class: 'fingerprint', 'data-testid': 'my-fingerprint', 'aria-label': fingerprint },
        fingerprint.split(' ').flatMap((group, i) => [i ? ' ' : null, h('span', {}, group)]))));
  }

  #renderRooms(selectedTopic) {
    this.selectedTopic = selectedTopic;
    const rooms = this.app.roomList();
    this.search.hidden = rooms.length === 0;
    if (!rooms.length) {
      replaceChildren(this.roomList, h('li', { class: 'room-list-empty' },
        'No rooms yet. Create one, or open an invite link someone sent you.'));
      return;
    }
    const roomItem = (room) => this.#roomItem(room, selectedTopic);
    if (this.search.value.trim()) {
      replaceChildren(this.roomList, searchResults({
        app: this.app, query: this.search.value, roomItem, onOpenMessage: this.onOpenMessage,
      }));
      return;
    }
    replaceChildren(this.roomList, rooms.map(roomItem));
  }

  #roomItem(room, selectedTopic) {
    const session = this.app.session(room.topic);
    const ready = session.peerList().filter((peer) => peer.state === 'ready' && !peer.mirror).length;
    const last = session.view.messages.at(-1);
    const unread = room.topic === selectedTopic ? 0 : session.unreadCount();
    return h('li', {},
      h('button', {
        class: `room-item${room.topic === selectedTopic ? ' selected' : ''}`,
        type: 'button',
        'data-testid': 'room-item',
        'aria-current': room.topic === selectedTopic ? 'true' : null,
        onclick: () => this.onSelectRoom(room.topic),
      },
      avatar(room.name, room.topic, 'room'),
      h('span', { class: 'room-item-text' },
        h('span', { class: 'room-item-top' },
          h('span', { class: 'room-item-name' }, room.name),
          h('time', {
            class: 'room-item-time', 'data-testid': 'room-item-time', dateTime: new Date(this.app.lastActivity(room)).toISOString(),
          }, shortWhen(this.app.lastActivity(room)))),
        h('span', { class: 'room-item-preview' }, preview(last, session))),
      h('span', { class: 'room-item-badges' },
        unread ? h('span', { class: 'unread-count', 'data-testid': 'unread-count', title: `${unread} unread` }, String(unread)) : null,
        ready ? h('span', { class: 'online-dot', title: `${ready} connected`, 'aria-label': `${ready} connected` }) : null)));
  }
}

function preview(message, session) {
  if (!message) return 'No messages yet';
  const who = message.author === session.selfId ? 'You' : session.memberName(message.author) ?? 'Someone';
  if (message.file) return `${who}: file ${message.file.name}`;
  if (message.payment && !message.deleted) return `${who}: requested ${amountText(message.payment)}`;
  if (message.call) return callSummaryText(message.call, { selfId: session.selfId, nameOf: (id) => session.memberName(id) });
  return `${who}: ${message.deleted ? 'deleted a message' : message.text}`;
}

export function avatar(name, id, variant = 'person') {
  return h('span', {
    class: `avatar ${variant}`,
    style: { '--hue': String(hueFor(id)) },
    'aria-hidden': 'true',
  }, initials(name));
}

export function copyButton(text, label) {
  const button = h('button', { class: 'link-button', type: 'button' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}
