// ShellView: the page layout and navigation — onboarding, the sidebar, the open room,
// invite links in the address bar, and the phone layout (one pane at a time).
import { InviteError, inviteIn, parseInvite, roomToOpen } from '../room/rooms.js';
import { ChatView } from './chat-view.js';
import { askForText } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { onboardingView } from './onboarding-view.js';
import { SidebarView } from './sidebar-view.js';

const RENDER_EVERY_MS = 30;

export class ShellView {
  constructor({ app, root, sidebarFooter = null }) {
    this.app = app;
    this.root = root;
    this.selected = null;
    this.notice = h('div', { class: 'notice', role: 'status', hidden: true, 'data-testid': 'notice' });
    this.sidebar = new SidebarView({
      app,
      onSelectRoom: (topic) => this.select(topic),
      onNewRoom: () => this.newRoom(),
      onEditName: () => this.editName(),
      onBackup: () => this.backup(),
      onOpenMessage: (topic, id) => {
        this.select(topic);
        this.chat.jumpTo(id);
      },
      footer: sidebarFooter,
    });
    this.chat = new ChatView({
      app, onBack: () => this.select(null), onEditName: () => this.editName(), onLeft: () => this.#afterLeaving(),
    });
    this.empty = h('main', { class: 'chat chat-empty', 'data-testid': 'no-room' },
      h('div', { class: 'empty-state' },
        h('h2', {}, 'Private rooms, peer to peer'),
        h('p', {}, 'Create a room and send its invite link to someone. Messages travel directly between your browsers, end-to-end encrypted; the server only introduces you and cannot read anything.'),
        h('button', { class: 'button primary', type: 'button', onclick: () => this.newRoom() }, 'Create a room')));
    this.main = h('div', { class: 'main-pane' });
    this.layout = h('div', { class: 'layout' }, this.sidebar.el, this.main);
  }

  start() {
    this.app.addEventListener('change', ({ detail }) => this.render(detail.topic));
    this.app.addEventListener('revoked', () => this.#unlinked());
    if (this.app.revoked) {
      this.#unlinked();
      return;
    }
    window.addEventListener('hashchange', () => this.#takeInvite());
    // Back to the tab: the open room counts as read (chat-view), and the title says so.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.render(this.selected);
    });
    // A click on a notification while this window is open (sw/push-handler.js).
    navigator.serviceWorker?.addEventListener('message', (event) => {
      if (event.data?.type === 'open-room') this.#openRoom(event.data.room);
    });
    if (!this.app.identity.name) {
      this.#onboard();
    } else {
      this.#enter();
    }
  }

  async #unlinked() {
    const { unlinkedView } = await import('./unlinked-view.js');
    replaceChildren(this.root, unlinkedView());
    this.root.dataset.state = 'unlinked';
  }

  #onboard() {
    replaceChildren(this.root, onboardingView({
      app: this.app, onDone: () => this.#enter(), onRestore: () => this.#restore(), onLink: () => this.#linkThisDevice(),
      invite: inviteIn(location.hash),
    }));
    this.root.dataset.state = 'onboarding';
  }

  // A new device linked to one the person already uses (docs/protocol.md §13): once
  // linked it starts again as that person, with the rooms and contacts it was given.
  async #linkThisDevice() {
    const [{ newDeviceView }, { takeGrant }] = await Promise.all([
      import('./new-device-view.js'), import('../devices/pairing-grant.js'),
    ]);
    replaceChildren(this.root, newDeviceView({
      app: this.app,
      onBack: () => this.#onboard(),
      onLinked: async (grant, deviceKeys) => {
        this.app.shutdown();
        await takeGrant(this.app.store, grant, deviceKeys);
        location.reload();
      },
    }));
  }

  async #enter() {
    replaceChildren(this.root, this.layout, this.notice);
    this.root.dataset.state = 'ready';
    if (!(await this.#takeInvite())) {
      // On a wide screen the newest room opens; with none, or on a phone (the room list
      // comes first), the empty state says how to start.
      const first = this.app.roomList()[0];
      this.select(first && matchMedia('(min-width: 760px)').matches ? first.topic : null);
    }
    this.render();
  }

  // Reads an invite from the fragment, joins, and removes the secret from the address bar.
  // `#open=<room>` (a notification opened this window) selects that room instead.
  async #takeInvite() {
    if (this.root.dataset.state !== 'ready') return false;
    const toOpen = roomToOpen(location.hash);
    if (toOpen) {
      history.replaceState(null, '', location.pathname + location.search);
      return this.#openRoom(toOpen);
    }
    let invite;
    try {
      invite = parseInvite(location.hash);
      // A fragment that is no invite at all (cut when copied, or some other link):
      // say so rather than open nothing without a word.
      if (!invite && location.hash.length > 1) this.#showNotice('This link is not a Parley invite: ask for the room’s invite link.');
    } catch (error) {
      if (!(error instanceof InviteError)) throw error;
      this.#showNotice('This invite link is damaged: ask for a new one.');
    }
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    if (!invite) return false;
    const room = await this.app.joinInvite(invite);
    this.select(room.topic);
    return true;
  }

  #openRoom(topic) {
    if (this.root.dataset.state !== 'ready' || !this.app.rooms.has(topic)) return false;
    this.select(topic);
    return true;
  }

  select(topic, options = {}) {
    // Moving from one room to another: the notice was about where the user was. (Not at
    // start, when the first room opens right after a link's notice was shown.)
    if (this.selected && topic !== this.selected) this.notice.hidden = true;
    this.selected = topic;
    this.layout.dataset.view = topic ? 'room' : 'list';
    if (topic) {
      replaceChildren(this.main, this.chat.el);
      this.chat.show(topic, options);
      this.chat.focusComposer();
    } else {
      replaceChildren(this.main, this.empty);
    }
    this.sidebar.render(this.selected);
  }

  // Changes come in bursts (a catch-up delivers hundreds of entries): draw at most once
  // per 30 ms. The first change after a quiet spell (a peer just connected) draws at once.
  render(topic = null) {
    if (this.root.dataset.state !== 'ready') return;
    this.dirtyTopics ??= new Set();
    this.dirtyTopics.add(topic);
    if (this.renderTimer) return;
    const sinceLast = performance.now() - (this.drawnAt ?? -Infinity);
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      const topics = this.dirtyTopics;
      this.dirtyTopics = new Set();
      this.sidebar.render(this.selected);
      const unread = this.app.unreadTotal();
      document.title = unread ? `(${unread}) Parley` : 'Parley';
      if (this.selected && (topics.has(null) || topics.has(this.selected))) this.chat.render();
      this.drawnAt = performance.now(); // a long draw is followed by 30 ms without one
    }, Math.max(0, RENDER_EVERY_MS - sinceLast));
  }

  async newRoom() {
    const name = await askForText({
      title: 'New room', label: 'Room name', placeholder: 'e.g. Weekend plans',
      submitLabel: 'Create room', testid: 'new-room-dialog',
      explanation: 'A room is a secret key made on this device. Only people you send its invite link to can join.',
    });
    if (!name) return;
    const room = await this.app.createRoom(name);
    this.select(room.topic, { openInvite: true });
  }

  // Out of a room just left: the newest other room on a wide screen, else the list.
  #afterLeaving() {
    const next = this.app.roomList()[0];
    this.select(next && matchMedia('(min-width: 760px)').matches ? next.topic : null);
  }

  async editName() {
    const name = await askForText({
      title: 'Your name', label: 'Display name', value: this.app.identity.name,
      submitLabel: 'Save', testid: 'name-dialog',
      explanation: 'People in your rooms see this name. The server never does.',
    });
    if (name) await this.app.setName(name);
  }

  async #restore() {
    const [{ openRestoreDialog }, { restoreBackup }] = await Promise.all([
      import('./backup-dialog.js'), import('../identity/backup-contents.js'),
    ]);
    openRestoreDialog({
      onRestore: async (contents) => {
        this.app.shutdown();
        await restoreBackup(this.app.store, contents);
        location.reload();
      },
    });
  }

  async backup() {
    const { openBackupDialog } = await import('./backup-dialog.js');
    openBackupDialog({ app: this.app });
  }

  #showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => { this.notice.hidden = true; }, 6000);
  }
}
