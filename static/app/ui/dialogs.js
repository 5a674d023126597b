// Small modal forms built on <dialog>: Escape closes them, focus is trapped by the
// browser, and the page behind stays inert.
import { h } from './dom.js';

// Resolves with the trimmed text, or null when cancelled.
export function askForText({ title, label, placeholder = '', value = '', submitLabel, explanation = null, maxLength = 64, testid }) {
  return new Promise((resolve) => {
    const input = h('input', { type: 'text', value, placeholder, maxLength, required: true, 'aria-label': label, 'data-testid': `${testid}-input` });
    const dialog = h('dialog', { class: 'dialog', 'data-testid': testid },
      h('form', { method: 'dialog', class: 'dialog-form' },
        h('h2', {}, title),
        explanation ? h('p', { class: 'dialog-explanation' }, explanation) : null,
        h('label', {}, h('span', {}, label), input),
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'button', type: 'button', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'),
          h('button', { class: 'button primary', type: 'submit', value: 'ok', 'data-testid': `${testid}-submit` }, submitLabel))));
    dialog.addEventListener('close', () => {
      const text = input.value.replace(/\s+/g, ' ').trim();
      dialog.remove();
      resolve(dialog.returnValue === 'ok' && text ? text : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

// Resolves true when confirmed.
export function askToConfirm({ title, text, confirmLabel, testid }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'data-testid': testid },
      h('form', { method: 'dialog', class: 'dialog-form' },
        h('h2', {}, title),
        h('p', { class: 'dialog-explanation' }, text),
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'button', type: 'submit', value: 'cancel', autofocus: true }, 'Cancel'),
          h('button', { class: 'button danger', type: 'submit', value: 'ok', 'data-testid': `${testid}-confirm` }, confirmLabel))));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
