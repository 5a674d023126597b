// The quiet warning for two people under one name in a room, when neither is someone
// this user verified (that case is the modal ui/key-change-dialog.js). Names repeat
// among honest people, so nothing is blocked: the room says so, shows the newer one
// with the start of their key (RoomSession.memberName), and offers what helps, to
// compare safety numbers, or to change one's own name when it is the one taken.
//
//   const notice = new NameClashNotice({ app, onAcknowledge: (newId) => …, onEditName })
//   notice.update(conflicts)    [{ name, knownId, newId }] (app.nameConflicts); [] hides it
import { openContactDialog } from './contact-dialog.js';
import { h, replaceChildren } from './dom.js';

export class NameClashNotice {
  constructor({ app, onAcknowledge, onEditName }) {
    this.app = app;
    this.onAcknowledge = onAcknowledge;
    this.onEditName = onEditName;
    this.el = h('div', { class: 'name-clash-notices' });
    this.shown = '';
  }

  // Rebuilt only when the conflicts change: a render must not take a focused button away.
  update(conflicts) {
    const shown = JSON.stringify(conflicts);
    if (shown === this.shown) return;
    this.shown = shown;
    replaceChildren(this.el, conflicts.map((conflict) => this.#notice(conflict)));
  }

  #notice(conflict) {
    const selfTaken = conflict.knownId === this.app.selfId;
    const text = selfTaken
      ? `Someone else in this room is also called “${conflict.name}”. Changing your name helps people tell you apart.`
      : `Two people in this room are called “${conflict.name}”. It may be the same person on a new device, or someone else: compare safety numbers before you trust the newer one.`;
    return h('div', {
      class: 'warning name-clash', role: 'status', 'data-testid': 'name-clash', dataset: { newId: conflict.newId },
    },
    h('p', {}, text),
    h('div', { class: 'warning-actions' },
      selfTaken
        ? h('button', { class: 'button', type: 'button', 'data-testid': 'name-clash-rename', onclick: () => this.onEditName() }, 'Change my name')
        : h('button', {
          class: 'button', type: 'button', 'data-testid': 'name-clash-compare',
          onclick: () => openContactDialog({ app: this.app, id: conflict.newId, name: conflict.name }),
        }, 'Compare safety numbers'),
      h('button', {
        class: 'link-button', type: 'button', 'data-testid': 'name-clash-dismiss',
        onclick: () => this.onAcknowledge(conflict.newId),
      }, selfTaken ? 'Keep my name' : 'Dismiss')));
  }
}
