// On the device that holds the identity: "Link a device" (docs/protocol.md §13). Scan the
// code the new device shows with the camera, or type it; the pairing then runs and says
// how it ended. Escape closes it (and stops the camera).
import { parsePairingCode } from '../devices/pairing-crypto.js';
import { h } from './dom.js';
import { pairingErrorText } from './pairing-messages.js';

export function openLinkDeviceDialog({ app }) {
  let scanner = null;
  const status = h('p', { class: 'pairing-status', role: 'status', 'data-testid': 'link-status' });
  const error = h('p', { class: 'dialog-error', role: 'alert', 'data-testid': 'link-error', hidden: true });
  const input = h('input', {
    type: 'text', maxLength: 60, autocomplete: 'off', spellcheck: false, placeholder: 'ABCD-EFGH-…',
    'aria-label': 'Pairing code', 'data-testid': 'link-code-input',
  });
  const camera = h('div', { class: 'link-camera' });
  const scanButton = h('button', { class: 'button', type: 'button', 'data-testid': 'link-scan', onclick: () => scan() }, 'Scan the QR code');
  const linkButton = h('button', { class: 'button primary', type: 'submit', value: 'link', 'data-testid': 'link-submit' }, 'Link');
  const say = (text, { failed = false } = {}) => {
    error.hidden = !failed;
    error.textContent = failed ? text : '';
    status.textContent = failed ? '' : text;
  };

  async function link(text) {
    const code = parsePairingCode(text);
    if (!code) return say('That is not a pairing code: it has 20 letters and digits.', { failed: true });
    linkButton.disabled = true;
    scanButton.disabled = true;
    say('Linking…');
    try {
      const linked = await app.devices.link(code);
      say(`Linked “${linked.name}”. Its rooms and history are on their way.`);
      status.dataset.state = 'done';
    } catch (failure) {
      say(pairingErrorText(failure.code ?? 'no_answer'), { failed: true });
    } finally {
      linkButton.disabled = false;
      scanButton.disabled = false;
    }
    return undefined;
  }

  async function scan() {
    const { QrScanner } = await import('./qr-scanner.js');
    scanner?.stop();
    scanner = new QrScanner({ accept: (text) => parsePairingCode(text) !== null });
    camera.replaceChildren(scanner.el);
    say('Hold the new device’s code up to the camera.');
    try {
      const text = await scanner.scan();
      camera.replaceChildren();
      input.value = parsePairingCode(text).match(/.{4}/g).join('-');
      await link(text);
    } catch (failure) {
      camera.replaceChildren();
      if (failure.code !== 'cancelled') say(pairingErrorText(failure.code), { failed: true });
    }
  }

  const dialog = h('dialog', { class: 'dialog link-device-dialog', 'data-testid': 'link-device-dialog', 'aria-label': 'Link a device' },
    h('form', {
      method: 'dialog', class: 'dialog-form',
      onsubmit: (event) => {
        if (event.submitter?.value !== 'link') return;
        event.preventDefault();
        link(input.value);
      },
    },
    h('h2', {}, 'Link a device'),
    h('p', { class: 'dialog-explanation' },
      'On the new device, choose “Link to a device you already use”. It shows a code: scan it here, or type it. '
      + 'The new device gets your rooms, contacts and history, and speaks for you with a key of its own.'),
    scanButton, camera,
    h('label', {}, h('span', {}, 'Or type the code'), input),
    status, error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'button', type: 'submit', value: 'close' }, 'Close'),
      linkButton)));
  dialog.addEventListener('close', () => {
    scanner?.stop();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
