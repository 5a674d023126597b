// On a new device: "Link to a device you already use" (docs/protocol.md §13). It makes
// this device's own key, names the device, shows a pairing code (QR code and text) and
// waits for the other device; once linked it stores what it was given and starts again
// as that person. A code lasts 5 minutes; a new one is a click away.
//
//   newDeviceView({ app, onLinked: async (grant, deviceKeys) => …, onBack }) -> element
import { createIdentity } from '../identity/identity.js';
import { displayCode, pairingUri } from '../devices/pairing-crypto.js';
import { NewDevicePairing } from '../devices/pairing.js';
import { brandMark, h, replaceChildren } from './dom.js';
import { pairingErrorText } from './pairing-messages.js';
import { qrCanvas } from './qr-canvas.js';

const STATUS = {
  waiting: 'Waiting for your other device…',
  linking: 'Linking…',
  done: 'Linked. Bringing in your rooms…',
  expired: 'This code has expired.',
};

function guessDeviceName() {
  const agent = globalThis.navigator?.userAgent ?? '';
  const browser = /Firefox\//.test(agent) ? 'Firefox' : /Edg\//.test(agent) ? 'Edge' : /Chrom/.test(agent) ? 'Chromium' : /Safari\//.test(agent) ? 'Safari' : 'Browser';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}

export function newDeviceView({ app, onLinked, onBack }) {
  const device = createIdentity();
  let pairing = null;
  let countdown = null;
  const card = h('div', { class: 'onboarding-card new-device', 'data-testid': 'new-device' });
  const name = h('input', {
    type: 'text', maxLength: 64, required: true, value: guessDeviceName(), 'aria-label': 'Device name', 'data-testid': 'device-name-input',
  });

  const stop = () => {
    clearInterval(countdown);
    pairing?.stop();
    pairing = null;
  };

  function showCode() {
    stop();
    pairing = new NewDevicePairing({ signaling: app.signaling, device, deviceName: name.value.trim() || guessDeviceName() });
    const status = h('p', { class: 'pairing-status', role: 'status', 'data-testid': 'pairing-status' }, STATUS.waiting);
    const remaining = h('p', { class: 'muted center', 'data-testid': 'pairing-expiry' });
    const again = h('button', { class: 'button primary', type: 'button', hidden: true, 'data-testid': 'pairing-new-code', onclick: showCode }, 'New code');
    const tick = () => {
      const left = Math.max(0, Math.ceil((pairing.expiresAt - Date.now()) / 1000));
      remaining.textContent = `The code works for ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} more.`;
    };
    tick();
    countdown = setInterval(tick, 1000);
    const current = pairing;
    current.addEventListener('state', ({ detail }) => {
      if (current !== pairing) return;
      status.textContent = detail.state === 'failed' ? pairingErrorText(detail.reason) : STATUS[detail.state];
      status.dataset.state = detail.state;
      if (detail.state !== 'waiting' && detail.state !== 'linking') {
        clearInterval(countdown);
        remaining.hidden = true;
      }
      again.hidden = !(detail.state === 'expired' || detail.state === 'failed');
    });
    current.result.then((grant) => onLinked(grant, device)).catch(() => {});
    replaceChildren(card,
      brandMark({ large: true }),
      h('h1', {}, 'Link this device'),
      h('p', {}, 'On the device you already use, open “Your ID and settings”, choose “Link a device” and scan this code, or type it there.'),
      h('div', { class: 'pairing-qr', 'data-testid': 'pairing-qr' }, qrCanvas(pairingUri(current.code), { pixels: 240, label: 'Pairing QR code' })),
      h('p', { class: 'pairing-code', 'data-testid': 'pairing-code' }, displayCode(current.code)),
      status, remaining, again,
      h('button', { class: 'link-button', type: 'button', onclick: () => { stop(); onBack(); } }, 'Back'));
  }

  replaceChildren(card,
    brandMark({ large: true }),
    h('h1', {}, 'Link this device'),
    h('p', {}, 'This device gets its own key, and your other device vouches for it: you stay one person to everyone. Your rooms, contacts and their history come over.'),
    h('label', { class: 'field' }, h('span', {}, 'Name this device'), name),
    h('button', { class: 'button primary wide', type: 'button', 'data-testid': 'device-name-submit', onclick: showCode }, 'Show a code'),
    h('button', { class: 'link-button', type: 'button', onclick: onBack }, 'Back'));
  return h('div', { class: 'onboarding', 'data-testid': 'onboarding' }, card);
}
