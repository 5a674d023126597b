// The device's notification switch in the sidebar: on/off, where registering stands
// (push/device-notifications.js STATES) in plain words, and the opt-in to show message
// text in notifications (off by default: a lock screen is not private).
import { h } from './dom.js';

// Why `failed`, where the reason helps (DeviceNotifications.problem).
const PROBLEM_TEXT = {
  no_service_worker: 'Notifications need Parley’s service worker, which is not running in this browser. Parley tries again each time it starts.',
  push_refused: 'This browser refused to subscribe to push messages (private windows often do). Parley tries again each time it starts.',
  server_unreachable: 'The Parley server could not be reached to set up notifications. Parley tries again each time it starts.',
};

const STATE_TEXT = {
  unsupported: 'This browser cannot show notifications from Parley.',
  off: 'Off. You hear about new messages only while Parley is open.',
  asking: 'Asking your browser for permission…',
  dismissed: 'Permission was not given. Turn notifications on to be asked again.',
  blocked: 'Blocked by your browser. Allow notifications for this site in the browser’s site settings, then turn them on again.',
  registering: 'Connecting to your browser’s push service…',
  unreachable: 'Your browser’s push service cannot be reached right now. Parley tries again each time it starts.',
  unavailable: 'This server does not send push notifications.',
  failed: 'Notifications could not be set up in this browser. Parley tries again each time it starts.',
  on: 'On. When you are away, the people in your rooms can wake this device; the server never learns who or what.',
};

export class NotificationSettingsView {
  constructor({ app }) {
    this.app = app;
    this.toggle = h('input', {
      type: 'checkbox', role: 'switch', class: 'switch', id: 'notifications-toggle',
      'data-testid': 'notifications-toggle',
      onchange: () => this.#onToggle(),
    });
    this.status = h('p', { class: 'setting-status', role: 'status', 'data-testid': 'notifications-state' });
    this.preview = h('input', {
      type: 'checkbox', id: 'notifications-preview', 'data-testid': 'notifications-preview',
      onchange: () => this.app.notifications.setPreview(this.preview.checked),
    });
    this.previewRow = h('label', { class: 'check-row', for: 'notifications-preview' },
      this.preview, h('span', {}, 'Show message text in notifications'));
    this.el = h('section', { class: 'notification-settings', 'aria-label': 'Notifications', 'data-testid': 'notification-settings' },
      h('label', { class: 'switch-row', for: 'notifications-toggle' },
        h('span', { class: 'switch-label' }, 'Notifications'),
        this.toggle),
      this.status,
      this.previewRow);
  }

  render() {
    const notifications = this.app.notifications;
    if (!notifications) {
      this.el.hidden = true;
      return;
    }
    const { state, settings } = notifications;
    this.el.dataset.state = state;
    this.status.dataset.state = state;
    this.status.textContent = (state === 'failed' && PROBLEM_TEXT[notifications.problem]) || STATE_TEXT[state] || state;
    const on = settings.enabled && !['blocked', 'dismissed'].includes(state);
    this.toggle.checked = on || state === 'asking';
    // A server without push: nothing to turn on (but what is on can be turned off).
    this.toggle.disabled = state === 'unsupported' || state === 'asking'
      || (state === 'unavailable' && !settings.enabled);
    this.preview.checked = settings.preview;
    this.previewRow.hidden = !on;
  }

  async #onToggle() {
    if (this.toggle.checked) await this.app.notifications.enable();
    else await this.app.notifications.disable();
  }
}
