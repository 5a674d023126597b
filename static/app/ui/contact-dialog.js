// A person's safety details: their safety number (digits and a QR code of their key),
// and marking them verified after comparing it with them in person or on a call.
import { parseIdentityId, safetyFingerprint } from '../identity/identity.js';
import { h } from './dom.js';
import { qrCanvas } from './qr-canvas.js';

export function identityQrText(id) {
  return `parley-id:${id}`;
}

export function openContactDialog({ app, id, name }) {
  const fingerprint = safetyFingerprint(parseIdentityId(id));
  const self = id === app.selfId;
  const contact = app.contacts.get(id);
  const verified = Boolean(contact?.verifiedAt);
  const dialog = h('dialog', { class: 'dialog contact-dialog', 'data-testid': 'contact-dialog' },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, self ? 'Your safety number' : `${name || 'Someone'}’s safety number`),
      h('p', { class: 'dialog-explanation' }, self
        ? 'Show this to someone who wants to verify you: they compare it with what their Parley shows for you.'
        : `Compare these digits with ${name || 'them'} in person or on a call, or scan the code on their screen. If they match, nobody is in the middle.`),
      h('div', { class: 'safety-card' },
        qrCanvas(identityQrText(id), { label: `QR code of ${self ? 'your' : 'their'} key` }),
        h('code', { class: 'fingerprint large', 'data-testid': 'contact-fingerprint' },
          fingerprint.split(' ').flatMap((group, i) => [i ? ' ' : null, h('span', {}, group)])),
        h('code', { class: 'identity-id', title: 'ID' }, id)),
      self ? null : h('p', { class: `verified-state${verified ? ' yes' : ''}`, 'data-testid': 'verified-state' },
        verified ? '✓ Verified' : 'Not verified yet'),
      h('div', { class: 'dialog-actions' },
        self ? null : h('button', {
          class: `button${verified ? '' : ' primary'}`, type: 'button', 'data-testid': 'toggle-verified',
          onclick: async () => {
            await app.setVerified(id, !verified);
            dialog.close();
          },
        }, verified ? 'Remove verification' : 'Mark as verified'),
        h('button', { class: 'button', type: 'submit', value: 'close' }, 'Close'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
