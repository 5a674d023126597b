// "Devices" in the sidebar's settings (docs/protocol.md §13): on the identity's first
// device, the devices it linked (name, when, last seen) and "Link a device"; on a linked
// device, whose device this is.
import { askToConfirm } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { timeOfDay } from './format.js';
import { openLinkDeviceDialog } from './link-device-dialog.js';

const when = (ms) => (ms === null ? 'not seen yet' : `last seen ${new Date(ms).toLocaleDateString()} ${timeOfDay(ms)}`);

export class DevicesView {
  constructor({ app }) {
    this.app = app;
    this.el = h('section', { class: 'devices-settings', 'aria-label': 'Devices', 'data-testid': 'devices-settings' });
    app.devices?.addEventListener('change', () => this.render());
  }

  render() {
    const { app } = this;
    if (app.isLinkedDevice) {
      replaceChildren(this.el, h('h3', { class: 'settings-title' }, 'Devices'),
        h('p', { class: 'setting-status', 'data-testid': 'linked-device-note' },
          `This device (“${app.identity.device?.name ?? 'this device'}”) is linked to your identity. Your first device links more.`));
      return;
    }
    const devices = app.devices.list();
    replaceChildren(this.el,
      h('h3', { class: 'settings-title' }, 'Devices'),
      devices.length
        ? h('ul', { class: 'device-list', 'data-testid': 'device-list' }, devices.map((device) => this.#item(device)))
        : h('p', { class: 'setting-status' }, 'Only this device so far. Link a laptop or a phone to use Parley there too.'),
      h('button', { class: 'button small', type: 'button', 'data-testid': 'link-device', onclick: () => openLinkDeviceDialog({ app }) }, 'Link a device'));
  }

  #item(device) {
    const facts = device.revokedAt
      ? ` · unlinked ${new Date(device.revokedAt).toLocaleDateString()}`
      : ` · linked ${new Date(device.linkedAt).toLocaleDateString()}${device.confirmed === false ? ' (not confirmed)' : ''} · ${when(device.lastSeen)}`;
    return h('li', { class: 'device-item', 'data-testid': 'device', dataset: { id: device.id, revoked: String(Boolean(device.revokedAt)) } },
      h('span', {}, h('strong', {}, device.name), h('span', { class: 'muted' }, facts)),
      device.revokedAt ? null : h('button', {
        class: 'link-button', type: 'button', 'data-testid': 'unlink-device', onclick: () => this.#unlink(device),
      }, 'Unlink'));
  }

  async #unlink(device) {
    const confirmed = await askToConfirm({
      title: `Unlink “${device.name}”?`,
      text: 'It stops speaking for you: every room refuses what it writes from now on, and it is told so. '
        + 'It keeps what it already holds and can still read your rooms until you move to new ones.',
      confirmLabel: 'Unlink', testid: 'unlink-dialog',
    });
    if (!confirmed) return;
    try {
      await this.app.devices.revoke(device.id);
    } catch (error) {
      console.warn('parley: the device was not unlinked everywhere', error);
      globalThis.alert?.(`The device was not unlinked everywhere: ${error.message}`);
    }
  }
}
