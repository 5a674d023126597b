// "About this room": its description, who may post, slow mode, and its admins and
// moderators (docs/protocol.md §7 "Room settings"). An admin changes them here; every
// other member reads them. Each change is a signed entry that every member enforces.
import { MAX_DESCRIPTION_CODE_POINTS } from '../room/entry-body.js';
import { h } from './dom.js';
import { disappearLabel, nameList } from './format.js';

export const SLOW_MODE_CHOICES = Object.freeze([
  [0, 'Off'], [10, '10 seconds'], [30, '30 seconds'], [60, '1 minute'], [300, '5 minutes'], [900, '15 minutes'], [3600, '1 hour'],
]);
const POSTING_LABELS = { everyone: 'Everyone', moderators: 'Admins and moderators only' };

export function slowModeLabel(seconds) {
  return SLOW_MODE_CHOICES.find(([value]) => value === seconds)?.[1] ?? `${seconds} seconds`;
}

export function openRoomSettingsDialog({ session, roomName }) {
  const { settings, moderation } = session.view;
  const editable = session.moderation.powers().changesSettings && moderation.founded;
  const nameOf = (id) => session.memberName(id) ?? 'Someone';
  const staff = h('p', { class: 'dialog-explanation', 'data-testid': 'room-staff' },
    `Admins: ${nameList(moderation.admins().map(nameOf)) || 'none'}. `
    + `Moderators: ${nameList(moderation.moderators().map(nameOf)) || 'none'}.`);
  const description = h('textarea', {
    class: 'room-description-input', rows: 3, maxLength: MAX_DESCRIPTION_CODE_POINTS, value: settings.description,
    'aria-label': 'Description', 'data-testid': 'room-description-input', placeholder: 'What this room is for',
  });
  const posting = h('select', { 'aria-label': 'Who can post', 'data-testid': 'room-posting' },
    Object.entries(POSTING_LABELS).map(([value, label]) => h('option', { value, selected: value === settings.posting }, label)));
  // Another app may have set a value this list lacks: it is offered as it is, so that
  // saving something else does not change it by accident.
  const slowModeChoices = SLOW_MODE_CHOICES.some(([value]) => value === settings.slowMode)
    ? SLOW_MODE_CHOICES : [...SLOW_MODE_CHOICES, [settings.slowMode, slowModeLabel(settings.slowMode)]];
  const slowMode = h('select', { 'aria-label': 'Slow mode', 'data-testid': 'room-slow-mode' },
    slowModeChoices.map(([value, label]) => h('option', { value: String(value), selected: value === settings.slowMode }, label)));
  const body = editable
    ? [
      h('label', {}, h('span', {}, 'Description'), description),
      h('label', {}, h('span', {}, 'Who can post'), posting),
      h('label', {}, h('span', {}, 'Slow mode (one message per person per…)'), slowMode),
      h('p', { class: 'dialog-explanation' }, 'Every member’s app enforces these; admins and moderators are exempt.'),
    ]
    : [
      h('p', { class: 'room-description', 'data-testid': 'room-description' }, settings.description || 'No description yet.'),
      moderation.founded ? h('dl', { class: 'room-rules' },
        h('dt', {}, 'Who can post'), h('dd', { 'data-testid': 'room-posting-value' }, POSTING_LABELS[settings.posting]),
        h('dt', {}, 'Slow mode'), h('dd', { 'data-testid': 'room-slow-mode-value' }, slowModeLabel(settings.slowMode)),
        h('dt', {}, 'Disappearing messages'), h('dd', {}, disappearLabel(settings.disappear)))
        : h('p', { class: 'dialog-explanation' }, 'This room was made before rooms had admins: it has no moderators or rules.'),
    ];
  const dialog = h('dialog', { class: 'dialog room-settings-dialog', 'data-testid': 'room-settings-dialog', 'aria-label': `About ${roomName}` },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, editable ? 'Room settings' : `About ${roomName}`),
      body, moderation.founded ? staff : null,
      h('div', { class: 'dialog-actions' },
        editable ? h('button', { class: 'button', type: 'submit', value: 'cancel' }, 'Cancel') : null,
        h('button', { class: 'button primary', type: 'submit', value: 'ok', 'data-testid': 'room-settings-save' }, editable ? 'Save' : 'Close'))));
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (!editable || dialog.returnValue !== 'ok') return;
    const wanted = {
      description: description.value.trim(), posting: posting.value, slowMode: Number(slowMode.value),
    };
    // Only what changed: each key of a settings entry is a change (§7).
    const changed = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => value !== settings[key]));
    if (Object.keys(changed).length) session.moderation.changeSettings(changed).catch((error) => console.warn('settings not saved', error));
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
