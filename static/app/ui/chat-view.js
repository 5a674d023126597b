// The open room: header with people and their connection state, the invite panel,
// security warnings, the conversation, who is typing, and the composer. The peers linked
// (ui/peer-strip.js), the files being prepared (ui/preparing-files-view.js) and what
// stands between the user and writing (ui/room-guards.js) have their own modules.
import { MAX_CALL_MEMBERS } from '../calls/call-manager.js';
import { ComposerView } from './composer-view.js';
import { askToConfirm } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { openEmojiPicker } from './emoji-picker.js';
import { FileCard } from './file-card.js';
import { PaymentCards } from './payment-cards.js';
import { openPaymentRequestDialog } from './payment-request-dialog.js';
import { InvitePanel } from './invite-panel.js';
import { callSummaryText, plural, roomRulesText } from './format.js';
import { MessageList } from './message-list.js';
import { renderPeerStrip } from './peer-strip.js';
import { messageKey, messageView } from './message-view.js';
import { PreparingFilesView } from './preparing-files-view.js';
import { reasonText, SECURITY_CODES } from './reasons.js';
import { RoomGuards } from './room-guards.js';
import { RoomMenu } from './room-menu.js';
import { ScrollKeeper } from './scroll-keeper.js';
import { touchActions } from './touch-actions.js';

// The per-room notification levels (push/notify-levels.js), short enough for a phone.
const NOTIFY_LEVEL_LABELS = { all: 'All', mentions: 'Mentions', none: 'None' };

export class ChatView {
  constructor({ app, onBack, onEditName, onLeft }) {
    this.app = app;
    this.topic = null;
    this.rendered = new Map(); // message id -> { key, el }
    this.cards = new Map(); // file root -> FileCard of the open room
    this.paymentCards = new PaymentCards({
      session: () => this.#session(), selfId: () => this.app.selfId, nameOf: (id) => (id === this.app.selfId ? 'You' : this.#name(id)),
    });
    this.onTransfers = ({ detail }) => this.#onTransfers(detail.root);
    this.title = h('h1', { class: 'chat-title', 'data-testid': 'room-name' });
    this.subtitle = h('p', { class: 'chat-subtitle', 'data-testid': 'peer-summary' });
    this.invite = new InvitePanel();
    // Calls are 1:1 for now: possible when exactly one other person is connected.
    this.voiceCall = h('button', {
      class: 'button call-start', type: 'button', 'data-testid': 'call-voice', 'aria-label': 'Voice call',
      title: 'Voice call', onclick: () => this.#startCall(false),
    }, 'Call');
    this.videoCall = h('button', {
      class: 'button call-start', type: 'button', 'data-testid': 'call-video', 'aria-label': 'Video call',
      title: 'Video call', onclick: () => this.#startCall(true),
    }, 'Video');
    // A native select: keyboard and screen readers work without extra code.
    this.notifyLevel = h('select', {
      class: 'notify-level-select', 'data-testid': 'room-notify',
      'aria-label': 'Notifications for this room', title: 'Notifications for this room',
      onchange: () => this.app.setNotifyLevel(this.topic, this.notifyLevel.value),
    }, Object.entries(NOTIFY_LEVEL_LABELS).map(([value, label]) => h('option', { value }, label)));
    this.callBanner = h('div', { class: 'call-banner', 'data-testid': 'call-banner', role: 'status', hidden: true });
    this.peerStrip = h('ul', { class: 'peer-strip', 'data-testid': 'peer-list', 'aria-label': 'People connected' });
    this.warnings = h('div', { class: 'warnings', 'aria-live': 'assertive' });
    this.list = new MessageList({ element: (message) => this.#messageElement(this.#session(), message) });
    this.scroll = new ScrollKeeper(this.list.el);
    touchActions(this.list.el);
    this.scroll.addEventListener('change', () => {
      this.#renderJump();
      this.#markRead();
    });
    this.readUpTo = null; // the newest message shown when the reader scrolled up
    this.jump = h('button', {
      class: 'jump-to-latest', type: 'button', 'data-testid': 'jump-to-latest', hidden: true,
      onclick: () => this.scroll.toBottom(),
    });
    this.typing = h('div', { class: 'typing-indicator', 'data-testid': 'typing', 'aria-live': 'polite' });
    this.alone = h('p', { class: 'room-alone', 'data-testid': 'room-alone', role: 'status', hidden: true });
    this.preparing = new PreparingFilesView();
    this.guards = new RoomGuards({ app, onEditName, onTick: () => this.topic && this.render() });
    this.roomMenu = new RoomMenu({ app, topic: () => this.topic, onLeft });
    this.composer = new ComposerView({
      onSubmit: (text, mode) => this.#submit(text, mode),
      onFiles: (files) => this.#sendFiles(files),
      onRequestPayment: () => openPaymentRequestDialog({ session: this.#session(), onPosted: () => this.scroll.toBottom() }),
      onTyping: (active) => this.#session()?.setTyping(active),
      onEditLast: () => this.#editLast(),
      members: () => this.#session()?.memberList().filter((member) => !member.self && !member.left) ?? [],
    });
    this.actions = {
      react: (id, emoji, on) => this.#session().react(id, emoji, on),
      pickReaction: (id, anchor) => openEmojiPicker({ anchor, onPick: (emoji) => this.#toggleReaction(id, emoji) }),
      reply: (message) => this.composer.startReply(message, this.#name(message.author)),
      edit: (message) => this.composer.startEdit(message),
      remove: (message) => this.#remove(message),
      jumpTo: (id) => this.jumpTo(id),
    };
    this.el = h('main', { class: 'chat', 'aria-label': 'Conversation' },
      h('header', { class: 'chat-header' },
        h('button', { class: 'back-button', type: 'button', 'aria-label': 'Back to rooms', onclick: onBack }, '‹'),
        h('div', { class: 'chat-heading' }, this.title, this.subtitle),
        h('label', { class: 'notify-level', title: 'Notifications for this room' },
          h('span', { class: 'bell-icon', 'aria-hidden': 'true' }), this.notifyLevel),
        this.voiceCall, this.videoCall, this.invite.toggle, this.roomMenu.el),
      this.invite.el, this.callBanner, this.peerStrip, this.warnings, this.guards.el,
      h('div', { class: 'messages-pane' }, this.list.el, this.jump), this.typing, this.alone, this.preparing.el, this.composer.el);
    this.app.calls.addEventListener('change', () => {
      if (this.topic) this.render();
    });
    // Files dropped anywhere on the conversation are sent to the room.
    this.el.addEventListener('dragover', (event) => {
      if (!event.dataTransfer?.types.includes('Files') || this.composer.blocked) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      this.el.classList.add('drop-target');
    });
    this.el.addEventListener('dragleave', (event) => {
      if (!this.el.contains(event.relatedTarget)) this.el.classList.remove('drop-target');
    });
    this.el.addEventListener('drop', (event) => {
      this.el.classList.remove('drop-target');
      const files = [...(event.dataTransfer?.files ?? [])];
      if (!files.length || this.composer.blocked) return;
      event.preventDefault();
      this.#sendFiles(files);
    });
  }

  show(topic, { openInvite = false } = {}) {
    const changed = topic !== this.topic;
    this.topic = topic;
    if (changed) {
      this.transfers?.removeEventListener('change', this.onTransfers);
      this.transfers = this.app.transfers(topic);
      this.transfers?.addEventListener('change', this.onTransfers);
      for (const card of this.cards.values()) card.destroy();
      this.cards.clear();
      this.paymentCards.clear();
      this.rendered.clear();
      this.list.reset();
      this.composer.reset();
      this.invite.setOpen(openInvite);
    }
    if (changed) this.scroll.toBottom();
    this.render();
  }

  render() {
    const room = this.app.rooms.get(this.topic);
    const session = this.#session();
    if (!room || !session) return;
    this.title.textContent = room.name;
    this.notifyLevel.value = this.app.notifyLevel(this.topic);
    // A blind mirror (docs/protocol.md §12) is no person: it is named apart.
    const peers = session.peerList().filter((peer) => !peer.mirror);
    // This person's other devices (docs/protocol.md §13) are shown, not counted or called.
    const ready = peers.filter((peer) => peer.state === 'ready' && !peer.ownDevice);
    const mirrored = session.peerList().some((peer) => peer.mirror && peer.state === 'ready');
    // In a big room this device links to a few members only (docs/protocol.md §6): the
    // room's size and those links are two numbers. "Hide my IP address" shows here too:
    // on a phone the sidebar is out of sight.
    const reach = session.isBig()
      ? `${plural(session.memberCount(), 'member', 'members')} · linked to ${ready.length}`
      : (ready.length ? `${plural(new Set(ready.map((peer) => peer.id ?? peer.connectionId)).size, 'person', 'people')} connected`
        : 'Nobody else is connected');
    this.subtitle.textContent = `${reach} · end-to-end encrypted` + roomRulesText(session.view.settings) + (mirrored ? ' · kept by a mirror' : '')
      + (this.app.ice.hideIp ? ' · IP\u00a0hidden' : '');
    this.invite.show(room);
    this.#renderCallButtons(ready);
    renderPeerStrip(this.peerStrip, peers, this.app);
    this.#renderWarnings(session);
    this.#renderMessages(session, ready.length === 0);
    this.#renderAlone(session, ready.length, mirrored);
    this.preparing.render(this.transfers);
    this.composer.setBlocked(this.guards.update(this.topic, session));
    this.roomMenu.update(session.moderation.powers());
    const typing = session.typingNames();
    this.typing.textContent = typing.length
      ? `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`
      : '';
    this.#markRead();
  }

  // Read means seen: the tab in front and the view at the newest message (a reader who
  // scrolled up has not read what came since; receipts say only what is true).
  #markRead() {
    if (document.visibilityState === 'visible' && this.scroll.pinned) this.#session()?.markRead();
  }

  focusComposer() {
    this.composer.focus();
  }

  #session() {
    return this.app.session(this.topic);
  }

  #name(id) {
    return this.#session()?.memberName(id) || 'Someone';
  }

  #renderCallButtons(ready) {
    const people = new Set(ready.map((peer) => peer.id).filter(Boolean));
    const idle = this.app.calls.state.phase === 'idle';
    const why = people.size === 0 ? 'Nobody to call: nobody else is connected'
      : people.size >= MAX_CALL_MEMBERS ? `Calls have at most ${MAX_CALL_MEMBERS} people` : null;
    for (const button of [this.voiceCall, this.videoCall]) {
      button.disabled = Boolean(why) || !idle;
      button.title = why ?? button.getAttribute('aria-label');
    }
    // A call going on here that this device is not in: say so, and offer to join.
    const running = this.app.calls.running(this.topic) ?? this.app.bigRoomCalls.openCall(this.topic);
    this.callBanner.hidden = !running;
    if (!running) return;
    const full = running.count >= MAX_CALL_MEMBERS;
    replaceChildren(this.callBanner,
      h('span', { class: 'call-banner-text' },
        `${running.video ? 'Video' : 'Voice'} call in progress · ${plural(running.count, 'person', 'people')}`),
      h('button', {
        type: 'button', class: 'button call-accept', 'data-testid': 'call-join', disabled: !idle || full,
        title: full ? 'This call is full' : null,
        onclick: () => this.app.bigRoomCalls.join(this.topic).catch((error) => console.warn('the call could not be joined', error)),
      }, 'Join'));
  }

  #startCall(video) {
    this.app.calls.start(this.topic, { video });
  }

  #renderWarnings(session) {
    const latest = new Map(session.warnings.map((w) => [w.code, w]));
    const parked = this.app.signaling.isParked(this.topic)
      ? h('div', { class: 'warning', role: 'status', 'data-testid': 'room-parked' },
        'This room is not connected right now: the server lets one browser take part in a limited number of rooms at once. Leave another room to connect this one.')
      : null;
    if (!latest.size) return replaceChildren(this.warnings, parked);
    replaceChildren(this.warnings, parked,
      h('div', { class: 'warning', role: 'alert', 'data-testid': 'peer-warning' },
        h('strong', {}, [...latest.keys()].some((code) => SECURITY_CODES.has(code))
          ? 'A peer could not be reached securely'
          : 'A peer could not be reached'),
        h('ul', {}, [...latest.values()].map((w) => h('li', { dataset: { code: w.code } },
          w.name ? `${w.name}: ${reasonText(w.code)}` : reasonText(w.code)))),
        h('button', { class: 'link-button', type: 'button', onclick: () => session.dismissWarnings() }, 'Dismiss')));
  }

  #renderMessages(session, alone) {
    const messages = session.view.timeline;
    // Mentions are marked by the members' names: new names, new elements.
    const names = [...new Set([...session.view.names.values(), this.app.identity.name].filter(Boolean))];
    const namesKey = names.join('\u0000');
    if (namesKey !== this.textOptions?.key) {
      this.textOptions = { key: namesKey, names, selfName: this.app.identity.name };
      this.rendered.clear();
    }
    // Until someone says something, the room explains itself; who joined shows after.
    if (!session.view.messages.length) {
      this.rendered.clear();
      this.list.showEmpty(h('li', { class: 'empty-state', 'data-testid': 'empty-room' },
        h('h2', {}, alone ? 'Invite someone to start' : 'Say hello'),
        h('p', {}, alone
          ? 'Share the invite link. Messages go straight to the people in this room, encrypted on this device; the server only introduces you.'
          : 'You are connected. Messages are end-to-end encrypted.'),
        alone ? h('button', { class: 'button primary', type: 'button', onclick: () => this.invite.setOpen(true) }, 'Show invite link') : null));
      return;
    }
    this.list.update(messages);
    if (this.rendered.size > messages.length + 50) {
      const ids = new Set(messages.map((m) => m.id));
      for (const id of this.rendered.keys()) if (!ids.has(id)) this.rendered.delete(id);
    }
    this.#renderJump();
  }

  // Nobody else in the room is reachable: say what that means for what is written now
  // and what others wrote meanwhile, rather than leave people to guess.
  #renderAlone(session, ready, mirrored) {
    const others = [...session.view.members].filter((id) => id !== this.app.selfId && !session.view.left.has(id)).length;
    const alone = others > 0 && ready === 0 && session.view.messages.length > 0;
    this.alone.hidden = !alone;
    if (!alone) return;
    this.alone.textContent = mirrored
      ? 'Nobody else in this room is online. A mirror keeps what you send, encrypted, and gives it to the others when they come back.'
      : 'Nobody else in this room is online. What you send waits on this device until someone is, and what others write meanwhile reaches you once they, or anyone who has it, come online.';
  }

  // Scrolled up: a way back to the newest message, with how many arrived since.
  #renderJump() {
    const messages = this.#session()?.view.messages ?? [];
    if (this.scroll.pinned || !messages.length) {
      this.readUpTo = null;
      this.jump.hidden = true;
      return;
    }
    this.readUpTo ??= messages.at(-1).id;
    const seen = messages.findIndex((m) => m.id === this.readUpTo);
    const fresh = messages.slice(seen + 1).filter((m) => m.author !== this.app.selfId).length;
    this.jump.textContent = fresh ? plural(fresh, 'new message') : 'Jump to latest';
    this.jump.hidden = false;
  }

  // Elements are reused while their message looks the same: a catch-up of hundreds of
  // entries then only builds what is new.
  #messageElement(session, message) {
    const mine = message.author === this.app.selfId;
    const delivered = mine ? session.deliveredCount(message) : 0;
    const read = mine ? session.readCount(message) : 0;
    const bigRoom = mine && session.isBig();
    const authorName = this.#name(message.author);
    const replyAuthorName = message.reply ? this.#name(message.reply.author) : null;
    const verified = !mine && this.app.isVerified(message.author);
    const callText = message.call
      ? callSummaryText(message.call, { selfId: this.app.selfId, nameOf: (id) => this.#name(id) }) : '';
    const moderates = !mine && session.moderation.powers().deletesOthers;
    const eventNames = message.event?.member ? this.#name(message.event.member) : null;
    const removedBy = message.removedBy ? this.#name(message.removedBy) : null;
    // A payment card updates in place: its message stays as it was.
    const paymentCard = message.payment && !message.deleted ? this.paymentCards.cardFor(message, mine).el : null;
    const key = messageKey(message, [delivered, read, bigRoom, authorName, replyAuthorName, mine, verified, callText, moderates, eventNames, removedBy]);
    const cached = this.rendered.get(message.id);
    if (cached?.key === key) return cached.el;
    const el = messageView({
      message, mine, authorName, replyAuthorName, delivered, read, bigRoom, verified, callText, actions: this.actions,
      textOptions: this.textOptions, moderates, nameOf: (id) => (id === this.app.selfId ? 'you' : this.#name(id)),
      fileCard: message.file && !message.deleted ? this.#card(message.file, mine).el : null, paymentCard,
    });
    this.rendered.set(message.id, { key, el });
    return el;
  }

  #card(offer, mine) {
    let card = this.cards.get(offer.root);
    if (!card) {
      card = new FileCard({ manager: this.transfers, offer, mine });
      this.cards.set(offer.root, card);
    }
    return card;
  }

  #onTransfers(root) {
    if (root === null) return this.preparing.render(this.transfers);
    return this.cards.get(root)?.update();
  }

  #sendFiles(files) {
    this.transfers?.send(files);
    this.scroll.toBottom();
  }

  async #submit(text, mode) {
    const session = this.#session();
    if (mode?.kind === 'edit') {
      if (text !== mode.message.text) await session.edit(mode.message.id, text);
    } else {
      await session.send(text, { reply: mode?.kind === 'reply' ? mode.message.id : null });
      this.scroll.toBottom();
    }
  }

  #editLast() {
    const last = this.#session()?.view.messages.findLast((m) => m.author === this.app.selfId && !m.deleted && !m.file && !m.call && !m.payment);
    if (!last) return false;
    this.composer.startEdit(last);
    return true;
  }

  #toggleReaction(id, emoji) {
    const message = this.#session().view.messages.find((m) => m.id === id);
    const mine = message?.reactions.some((r) => r.emoji === emoji && r.mine);
    this.#session().react(id, emoji, !mine);
  }

  async #remove(message) {
    const mine = message.author === this.app.selfId;
    const request = Boolean(message.payment);
    const confirmed = await askToConfirm({
      title: mine ? `${request ? 'Withdraw this payment request' : 'Delete this message'}?` : `Remove ${this.#name(message.author)}’s message?`,
      text: mine ? `It will be shown as deleted for everyone in the room${request ? ', and nobody can pay it from here any more' : ''}.`
        : 'As a moderator you remove it for everyone in the room; the room sees who removed it.',
      confirmLabel: mine ? (request ? 'Withdraw' : 'Delete') : 'Remove', testid: 'delete-dialog',
    });
    if (confirmed) await this.#session().remove(message.id);
  }

  // Shows a message of the open room, highlighted a moment (a reply's quote, a search).
  jumpTo(id) {
    const el = this.list.reveal(id);
    if (!el) return;
    this.scroll.release();
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.classList.add('highlight');
    el.focus({ preventScroll: true });
    setTimeout(() => el.classList.remove('highlight'), 1500);
  }

}
