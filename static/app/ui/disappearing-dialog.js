// "Disappearing messages": the room's timer (docs/protocol.md §7). Whoever may change the
// room's settings (an admin of a founded room, anyone in an older one) picks it here;
// everyone else reads it. The change is a signed entry: every member's device and the
// room's mirror delete what was written under it when its time is up.
import { h } from './dom.js';
import { DISAPPEAR_CHOICES, disappearLabel } from './format.js';

const EXPLANATION = 'New messages, reactions and files disappear from every member’s device and from the room’s '
  + 'mirror this long after they were sent. Messages sent before stay. Nobody can stop a member from copying a '
  + 'message or taking a screenshot first.';

export function openDisappearingDialog({ session, roomName }) {
  const current = session.view.settings.disappear ?? 0;
  const editable = session.moderation.powers().changesSettings;
  const choices = DISAPPEAR_CHOICES.some(([value]) => value === current)
    ? DISAPPEAR_CHOICES : [...DISAPPEAR_CHOICES, [current, disappearLabel(current)]];
  const select = h('select', { 'aria-label': 'Messages disappear after', 'data-testid': 'disappear-select' },
    choices.map(([value, label]) => h('option', { value: String(value), selected: value === current }, label)));
  const status = h('p', { class: 'dialog-error', role: 'alert', 'data-testid': 'disappear-error', hidden: true });
  const dialog = h('dialog', { class: 'dialog', 'data-testid': 'disappear-dialog', 'aria-label': `Disappearing messages in ${roomName}` },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, 'Disappearing messages'),
      editable
        ? h('label', {}, h('span', {}, 'Messages disappear after'), select)
        : h('p', { 'data-testid': 'disappear-value' },
          current > 0 ? `Messages disappear ${disappearLabel(current)} after they are sent.` : 'Off: messages stay.'),
      h('p', { class: 'dialog-explanation' }, editable ? EXPLANATION : `${EXPLANATION} Only the room’s admins change this.`),
      status,
      h('div', { class: 'dialog-actions' },
        editable ? h('button', { class: 'button', type: 'submit', value: 'cancel' }, 'Cancel') : null,
        h('button', { class: 'button primary', type: 'submit', value: 'ok', 'data-testid': 'disappear-save' }, editable ? 'Save' : 'Close'))));
  // The dialog stays open until the entry is written, so a refusal is said here.
  dialog.querySelector('form').addEventListener('submit', (event) => {
    const chosen = Number(select.value);
    if (!editable || event.submitter?.value !== 'ok' || chosen === current) return;
    event.preventDefault();
    session.moderation.changeSettings({ disappear: chosen }).then(() => dialog.close('ok'), (error) => {
      status.textContent = `The timer was not changed: ${error.message}`;
      status.hidden = false;
    });
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
