// The device's privacy switches in the sidebar: "Hide my IP address" (peers/ice-config.js):
// what it costs, that it is on, and a clear warning when it is on but the server offers
// no relay (then no link can be made at all), plus the small indicator the sidebar
// header shows while it is on; and "Send read receipts" (room/read-receipts.js).
import { h } from './dom.js';

export const HIDE_IP_OFF_TEXT = 'Off. People you connect to directly can learn your IP address.';
export const HIDE_IP_ON_TEXT =
  'A relay carries your traffic, so people you talk to never learn your IP address. Calls and files may be slower.';
export const NO_RELAY_WARNING =
  'This server offers no relay, so with Hide my IP address on you cannot connect to anyone.';

export class PrivacySettingsView {
  constructor({ app }) {
    this.app = app;
    this.toggle = h('input', {
      type: 'checkbox', role: 'switch', class: 'switch', id: 'hide-ip-toggle',
      'data-testid': 'hide-ip-toggle', 'aria-describedby': 'hide-ip-state',
      onchange: () => this.app.setHideIp(this.toggle.checked),
    });
    this.status = h('p', { class: 'setting-status', id: 'hide-ip-state', role: 'status', 'data-testid': 'hide-ip-state' });
    this.warning = h('p', { class: 'setting-warning', role: 'alert', 'data-testid': 'hide-ip-warning', hidden: true },
      NO_RELAY_WARNING);
    this.receipts = h('input', {
      type: 'checkbox', role: 'switch', class: 'switch', id: 'read-receipts-toggle', 'data-testid': 'read-receipts-toggle',
      'aria-describedby': 'read-receipts-state',
      onchange: () => this.app.changeSetting((settings) => settings.setReadReceipts(this.receipts.checked)).catch((error) => {
        console.warn('parley: the read receipts setting could not be saved', error);
        this.render();
      }),
    });
    this.receiptsStatus = h('p', { class: 'setting-status', id: 'read-receipts-state', 'data-testid': 'read-receipts-state' });
    this.el = h('section', { class: 'privacy-settings', 'aria-label': 'Privacy', 'data-testid': 'privacy-settings' },
      h('label', { class: 'switch-row', for: 'hide-ip-toggle' },
        h('span', { class: 'switch-label' }, 'Hide my IP address'),
        this.toggle),
      this.status,
      this.warning,
      h('label', { class: 'switch-row', for: 'read-receipts-toggle' },
        h('span', { class: 'switch-label' }, 'Send read receipts'),
        this.receipts),
      this.receiptsStatus);
  }

  render() {
    const { hideIp, relayMissing } = this.app.ice;
    const state = hideIp ? 'on' : 'off';
    this.el.dataset.state = state;
    this.status.dataset.state = state;
    this.status.textContent = hideIp ? HIDE_IP_ON_TEXT : HIDE_IP_OFF_TEXT;
    this.toggle.checked = hideIp;
    this.warning.hidden = !relayMissing;
    this.receipts.checked = this.app.settings.readReceipts;
    this.receiptsStatus.textContent = this.app.settings.readReceipts
      ? 'People in your rooms see when you have read their messages.'
      : 'Off. Nobody sees when you have read their messages.';
  }
}

// Shown next to the server state while the setting is on.
export function hideIpIndicator() {
  return h('span', {
    class: 'hide-ip-indicator', 'data-testid': 'hide-ip-indicator', hidden: true,
    title: 'Hide my IP address is on: a relay carries your traffic',
  }, 'IP hidden');
}
