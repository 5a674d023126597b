// The call's device menu (ui/call-view.js): which microphone and which camera. Device
// labels are only readable once the page may use them, which is true during a call.
//
//   const menu = new DeviceMenu({ calls }); controls.append(menu.render())
//   menu.close() -> whether it was open      (Escape; a click outside closes it too)
import { closeDisclosure, closeOnOutsidePress } from './disclosure.js';
import { h, replaceChildren } from './dom.js';

const KINDS = [
  { kind: 'audioinput', label: 'Microphone', testid: 'device-microphone' },
  { kind: 'videoinput', label: 'Camera', testid: 'device-camera' },
];

export class DeviceMenu {
  constructor({ calls, mediaDevices = globalThis.navigator?.mediaDevices }) {
    this.calls = calls;
    this.mediaDevices = mediaDevices;
    this.selects = new Map();
    const rows = KINDS.map(({ kind, label, testid }) => {
      const select = h('select', {
        'data-testid': testid, 'aria-label': label,
        onchange: (event) => this.calls.useDevice(kind, event.target.value).catch((error) => {
          console.warn('device switch failed', error);
          this.#refresh();
        }),
      });
      this.selects.set(kind, select);
      return h('label', { class: 'device-row' }, h('span', {}, label), select);
    });
    this.el = h('details', { class: 'call-devices', 'data-testid': 'call-devices' },
      h('summary', { class: 'button call-button', title: 'Choose microphone and camera' }, 'Devices'),
      h('div', { class: 'call-devices-panel' }, ...rows));
    this.el.addEventListener('toggle', () => {
      if (this.el.open) this.#refresh();
    });
    mediaDevices?.addEventListener?.('devicechange', () => {
      if (this.el.open) this.#refresh();
    });
    closeOnOutsidePress(this.el);
  }

  close() {
    return closeDisclosure(this.el);
  }

  render() {
    if (this.el.open) this.#refresh();
    return this.el;
  }

  async #refresh() {
    const devices = await this.mediaDevices?.enumerateDevices?.().catch(() => []) ?? [];
    for (const { kind, label } of KINDS) {
      const select = this.selects.get(kind);
      const options = devices.filter((d) => d.kind === kind);
      const current = this.calls.local.deviceId(kind);
      replaceChildren(select, options.length === 0
        ? h('option', { value: '' }, `No ${label.toLowerCase()} found`)
        : options.map((d, i) => h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || `${label} ${i + 1}`)));
      select.disabled = options.length < 2 || (kind === 'videoinput' && !this.calls.cameraOn);
    }
  }
}
