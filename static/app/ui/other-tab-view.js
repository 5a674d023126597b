// Shown when Parley runs in another tab of this browser: only one tab may write to
// this device's room logs at a time.
import { brandMark, h } from './dom.js';

export function otherTabView({ lost, onUseHere }) {
  return h('div', { class: 'onboarding', 'data-testid': 'other-tab' },
    h('div', { class: 'onboarding-card' },
      brandMark({ large: true }),
      h('h1', {}, lost ? 'Parley moved to another tab' : 'Parley is open in another tab'),
      h('p', {}, 'Parley runs in one tab at a time, so your messages are never written twice. Your rooms and history are safe.'),
      h('button', { class: 'button primary wide', type: 'button', 'data-testid': 'use-here', onclick: onUseHere }, 'Use Parley in this tab')));
}
