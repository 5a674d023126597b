// The loud warning for a changed key: someone in the room uses the name of a person
// this user verified, with another key. It is modal: the room waits until the user has
// read what it may mean, and it offers the new safety number to compare. A name shared
// with anyone else is the quiet ui/name-clash-notice.js.
//
//   const dialog = new KeyChangeDialog({ app, onAcknowledge: (newId) => … })
//   dialog.update(conflict)    conflict: { name, knownId, newId } (app.nameConflicts), or
//                              null: the open dialog, if any, closes
// Closing it (the "I understand" button, Escape, or a null conflict) acknowledges the
// new key through onAcknowledge.
import { openContactDialog } from './contact-dialog.js';
import { h } from './dom.js';

export class KeyChangeDialog {
  constructor({ app, onAcknowledge }) {
    this.app = app;
    this.onAcknowledge = onAcknowledge;
    this.el = null;
  }

  update(conflict) {
    const open = this.el?.open ? this.el : null;
    if (!conflict) {
      open?.close();
      return;
    }
    if (open?.dataset.newId === conflict.newId) return;
    open?.close();
    const dialog = this.#build(conflict);
    // `close` fires a task later: by then this.el may be the dialog that replaced it.
    dialog.addEventListener('close', () => {
      dialog.remove();
      this.onAcknowledge(conflict.newId);
    });
    this.el = dialog;
    document.body.append(dialog);
    dialog.showModal();
  }

  #build(conflict) {
    return h('dialog', { class: 'dialog key-warning', 'data-testid': 'key-change-warning', dataset: { newId: conflict.newId } },
      h('form', { method: 'dialog', class: 'dialog-form' },
        h('h2', {}, `${conflict.name}’s safety number changed`),
        h('p', {}, `Someone in this room calls themselves “${conflict.name}”, but with a different key than the ${conflict.name} you verified.`),
        h('p', { class: 'key-warning-strong', 'data-testid': 'key-warning-verified' },
          `You had verified ${conflict.name}. Do not trust the new key until you have compared safety numbers again.`),
        h('p', { class: 'dialog-explanation' },
          'It may be the same person on a new device or after losing their key — or someone pretending to be them. Ask them, on a call or in person, before you share anything sensitive.'),
        h('div', { class: 'dialog-actions' },
          h('button', {
            class: 'button', type: 'button',
            onclick: () => openContactDialog({ app: this.app, id: conflict.newId, name: conflict.name }),
          }, 'Show the new safety number'),
          h('button', { class: 'button primary', type: 'submit', 'data-testid': 'key-warning-ack' }, 'I understand'))));
  }
}
