// The open room: header with people and their connection state, the invite panel,
// security warnings, the messages, and the composer.
import { h, replaceChildren } from './dom.js';
import { dayLabel, deliveryLabel, plural, timeOfDay } from './format.js';
import { reasonText, SECURITY_CODES } from './reasons.js';
import { avatar, copyButton } from './sidebar-view.js';
import { inviteLink } from '../room/rooms.js';

const PEER_STATE_LABELS = { connecting: 'connecting…', ready: 'connected', closed: 'disconnected' };

export class ChatView {
  constructor({ app, onBack }) {
    this.app = app;
    this.topic = null;
    this.title = h('h1', { class: 'chat-title', 'data-testid': 'room-name' });
    this.subtitle = h('p', { class: 'chat-subtitle', 'data-testid': 'peer-summary' });
    this.inviteToggle = h('button', {
      class: 'button', type: 'button', 'data-testid': 'invite-button',
      'aria-expanded': 'false', onclick: () => this.#toggleInvite(),
    }, 'Invite');
    this.invite = h('section', { class: 'invite-panel', hidden: true, 'aria-label': 'Invite link' });
    this.peerStrip = h('ul', { class: 'peer-strip', 'data-testid': 'peer-list', 'aria-label': 'People connected' });
    this.warnings = h('div', { class: 'warnings', 'aria-live': 'assertive' });
    this.messages = h('ol', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite' });
    this.input = h('textarea', {
      class: 'composer-input', rows: 1, maxLength: 4000, placeholder: 'Write a message…',
      'aria-label': 'Message', 'data-testid': 'composer',
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener('input', () => this.#autosize());
    this.form = h('form', { class: 'composer', onsubmit: (event) => this.#submit(event) },
      this.input,
      h('button', { class: 'button primary', type: 'submit', 'data-testid': 'send' }, 'Send'));
    this.el = h('main', { class: 'chat', 'aria-label': 'Conversation' },
      h('header', { class: 'chat-header' },
        h('button', { class: 'back-button', type: 'button', 'aria-label': 'Back to rooms', onclick: onBack }, '‹'),
        h('div', { class: 'chat-heading' }, this.title, this.subtitle),
        this.inviteToggle),
      this.invite, this.peerStrip, this.warnings, this.messages, this.form);
  }

  show(topic, { openInvite = false } = {}) {
    const changed = topic !== this.topic;
    this.topic = topic;
    if (changed) {
      this.input.value = '';
      this.#setInviteOpen(openInvite);
    }
    this.render();
    if (changed) this.messages.scrollTop = this.messages.scrollHeight;
  }

  render() {
    const room = this.app.rooms.get(this.topic);
    const session = this.app.session(this.topic);
    if (!room || !session) return;
    this.title.textContent = room.name;
    const peers = session.peerList();
    const ready = peers.filter((peer) => peer.state === 'ready');
    this.subtitle.textContent = ready.length
      ? `${plural(ready.length, 'person', 'people')} connected · end-to-end encrypted`
      : 'Nobody else is connected · end-to-end encrypted';
    this.#renderInvite(room);
    this.#renderPeers(peers);
    this.#renderWarnings(session);
    this.#renderMessages(session, room, ready.length === 0);
  }

  focusComposer() {
    this.input.focus();
  }

  #renderInvite(room) {
    const link = inviteLink(room, location.origin);
    const field = h('input', {
      class: 'invite-link', readOnly: true, value: link, 'data-testid': 'invite-link',
      'aria-label': 'Invite link', onfocus: (event) => event.target.select(),
    });
    replaceChildren(this.invite,
      h('p', {}, 'Anyone with this link can join the room and read new messages. The secret part after # never reaches the server.'),
      h('div', { class: 'invite-row' }, field, copyButton(link, 'Copy link')));
  }

  #renderPeers(peers) {
    replaceChildren(this.peerStrip, peers.map((peer) =>
      h('li', { class: `peer-chip state-${peer.state}`, 'data-testid': 'peer', dataset: { state: peer.state } },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', {}, peer.name || (peer.id ? 'Someone' : 'Unknown peer')),
        h('span', { class: 'peer-state' }, PEER_STATE_LABELS[peer.state] ?? peer.state))));
  }

  #renderWarnings(session) {
    const latest = new Map(session.warnings.map((w) => [w.code, w]));
    if (!latest.size) return replaceChildren(this.warnings);
    replaceChildren(this.warnings,
      h('div', { class: 'warning', role: 'alert', 'data-testid': 'peer-warning' },
        h('strong', {}, [...latest.keys()].some((code) => SECURITY_CODES.has(code))
          ? 'A peer could not be reached securely'
          : 'A peer could not be reached'),
        h('ul', {}, [...latest.values()].map((w) => h('li', { dataset: { code: w.code } }, reasonText(w.code)))),
        h('button', { class: 'link-button', type: 'button', onclick: () => session.dismissWarnings() }, 'Dismiss')));
  }

  #renderMessages(session, room, alone) {
    const records = session.timeline.messages();
    const atBottom = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 40;
    if (!records.length) {
      replaceChildren(this.messages, h('li', { class: 'empty-state', 'data-testid': 'empty-room' },
        h('h2', {}, alone ? 'Invite someone to start' : 'Say hello'),
        h('p', {}, alone
          ? 'Share the invite link. Messages go straight to the people in this room, encrypted on this device; the server only introduces you.'
          : 'You are connected. Messages are end-to-end encrypted.'),
        alone ? h('button', { class: 'button primary', type: 'button', onclick: () => this.#setInviteOpen(true) }, 'Show invite link') : null));
      return;
    }
    let lastDay = null;
    const items = [];
    for (const record of records) {
      const day = dayLabel(record.ts);
      if (day !== lastDay) items.push(h('li', { class: 'day-separator' }, h('span', {}, day)));
      lastDay = day;
      items.push(this.#messageItem(session, record));
    }
    replaceChildren(this.messages, items);
    if (atBottom) this.messages.scrollTop = this.messages.scrollHeight;
  }

  #messageItem(session, record) {
    const mine = record.author === this.app.selfId;
    const name = session.memberName(record.author) || 'Someone';
    const status = deliveryLabel(record, this.app.selfId);
    return h('li', { class: `message${mine ? ' mine' : ''}`, 'data-testid': 'message', dataset: { id: record.id } },
      mine ? null : avatar(name, record.author),
      h('div', { class: 'bubble' },
        h('div', { class: 'message-meta' },
          h('span', { class: 'message-author', 'data-testid': 'message-author' }, mine ? 'You' : name),
          h('time', { dateTime: new Date(record.ts).toISOString() }, timeOfDay(record.ts))),
        h('p', { class: 'message-text', 'data-testid': 'message-text' }, record.text),
        status ? h('span', { class: 'delivery', 'data-testid': 'delivery' }, status) : null));
  }

  async #submit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.#autosize();
    await this.app.session(this.topic).send(text);
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  #toggleInvite() {
    this.#setInviteOpen(this.invite.hidden);
  }

  #setInviteOpen(open) {
    this.invite.hidden = !open;
    this.inviteToggle.setAttribute('aria-expanded', String(open));
  }

  #autosize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }
}
