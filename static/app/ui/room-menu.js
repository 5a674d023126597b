// The open room's menu in its header: who is in the room, what it is about and its
// rules (settings, for an admin), its disappearing-message timer, rename it (an admin of a founded room; anyone in an
// older one), keep it available offline (a blind mirror), leave it. A
// <details> disclosure: keyboard and screen readers work without extra code (the arrows
// walk its items); Escape or a click outside closes it, and choosing an item does too.
//
//   const menu = new RoomMenu({ app, topic: () => openTopic, onLeft }); header.append(menu.el)
//   menu.update(session.moderation.powers())   // on every render
import { askForText, askToConfirm } from './dialogs.js';
import { closeDisclosure, closeOnOutsidePress } from './disclosure.js';
import { h } from './dom.js';
import { openDisappearingDialog } from './disappearing-dialog.js';
import { openMembersDialog } from './members-dialog.js';
import { openMirrorDialog } from './mirror-dialog.js';
import { openRoomSettingsDialog } from './room-settings-dialog.js';

export class RoomMenu {
  constructor({ app, topic, onLeft }) {
    this.app = app;
    this.topic = topic;
    this.onLeft = onLeft;
    const item = (label, testid, action) => h('button', {
      type: 'button', class: 'room-menu-item', 'data-testid': testid,
      onclick: () => {
        this.close();
        action();
      },
    }, label);
    this.renameItem = item('Rename room', 'room-rename', () => this.#rename());
    this.settingsItem = item('About this room', 'room-settings', () => this.#settings());
    this.el = h('details', { class: 'room-menu', 'data-testid': 'room-menu' },
      h('summary', { class: 'button room-menu-button', title: 'Room', 'aria-label': 'Room menu' }, '⋯'),
      h('div', { class: 'room-menu-panel' },
        item('Members', 'room-members', () => this.#members()),
        this.settingsItem,
        item('Disappearing messages', 'room-disappearing', () => this.#disappearing()),
        this.renameItem,
        item('Available offline…', 'room-mirror', () => openMirrorDialog({ app: this.app, topic: this.topic() })),
        item('Leave room', 'room-leave', () => this.#leave())));
    this.el.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.close()) {
        event.preventDefault();
        event.stopPropagation();
      } else if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && this.el.open) {
        // The arrows walk the items, round and round, as in any menu.
        event.preventDefault();
        const items = [...this.el.querySelectorAll('.room-menu-item:not([hidden])')];
        const at = items.indexOf(globalThis.document.activeElement);
        const step = event.key === 'ArrowDown' ? 1 : -1;
        items[(at + step + items.length + (at < 0 && step < 0 ? 1 : 0)) % items.length].focus();
      }
    });
    closeOnOutsidePress(this.el);
  }

  close() {
    return closeDisclosure(this.el);
  }

  update(powers) {
    this.renameItem.hidden = !powers.changesSettings;
    this.settingsItem.textContent = powers.founded && powers.changesSettings ? 'Room settings' : 'About this room';
  }

  #settings() {
    const topic = this.topic();
    openRoomSettingsDialog({ session: this.app.session(topic), roomName: this.app.rooms.get(topic).name });
  }

  #disappearing() {
    const topic = this.topic();
    openDisappearingDialog({ session: this.app.session(topic), roomName: this.app.rooms.get(topic).name });
  }

  #members() {
    const topic = this.topic();
    openMembersDialog({ app: this.app, session: this.app.session(topic), roomName: this.app.rooms.get(topic).name });
  }

  async #rename() {
    const topic = this.topic();
    const name = await askForText({
      title: 'Rename room', label: 'Room name', value: this.app.rooms.get(topic)?.name ?? '',
      submitLabel: 'Rename', testid: 'rename-dialog',
      explanation: 'The new name is for everyone in the room, and the room’s history says who chose it.',
    });
    if (name) await this.app.renameRoom(topic, name);
  }

  async #leave() {
    const topic = this.topic();
    const confirmed = await askToConfirm({
      title: 'Leave this room?',
      text: 'The others see that you left, and you stop receiving its messages. Its history stays on this device; the invite link brings you back.',
      confirmLabel: 'Leave', testid: 'leave-dialog',
    });
    if (!confirmed) return;
    await this.app.leaveRoom(topic);
    this.onLeft();
  }
}
