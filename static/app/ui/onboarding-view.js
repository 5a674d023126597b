// First run: explain what an identity is here and ask for the name others will see.
// Opened from an invite (`invite`: parseInvite of the address), it says which room the
// newcomer is about to join; the invite itself is taken once the name is set.
import { brandMark, h } from './dom.js';
import { shortId } from './format.js';

export function onboardingView({ app, onDone, onRestore, onLink, invite = null }) {
  const input = h('input', {
    type: 'text', maxLength: 64, required: true, autocomplete: 'nickname',
    placeholder: 'e.g. Ada', 'aria-label': 'Display name', 'data-testid': 'name-input',
  });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', {
    class: 'onboarding-card',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await app.setName(input.value);
        onDone();
      } catch {
        error.textContent = 'Please enter a name.';
      }
    },
  },
  brandMark({ large: true }),
  invite ? h('p', { class: 'onboarding-invite', 'data-testid': 'onboarding-invite' },
    'You are invited to join ', h('strong', {}, `“${invite.name}”`), '. Choose the name the people there will see.') : null,
  h('h1', {}, 'Welcome to Parley'),
  h('p', {}, 'Your identity is a key pair made on this device just now — no phone number, no e-mail, no account. Only the people you talk to see your name.'),
  h('p', { class: 'muted' }, 'Your ID: ', h('code', {}, shortId(app.selfId))),
  h('label', { class: 'field' }, h('span', {}, 'Your name'), input),
  error,
  h('button', { class: 'button primary wide', type: 'submit', 'data-testid': 'name-submit' },
    invite ? `Join “${invite.name}”` : 'Continue'),
  h('p', { class: 'muted center' }, 'Used Parley before? ',
    h('button', { class: 'link-button', type: 'button', 'data-testid': 'link-new-device', onclick: onLink }, 'Link to a device you already use'),
    ' or ',
    h('button', { class: 'link-button', type: 'button', 'data-testid': 'restore-button', onclick: onRestore }, 'restore from a backup'),
    '.'));
  queueMicrotask(() => input.focus());
  return h('div', { class: 'onboarding', 'data-testid': 'onboarding' }, form);
}
