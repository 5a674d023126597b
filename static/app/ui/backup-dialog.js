// Back up the identity (with its rooms and contacts) to a file sealed with a
// passphrase, and restore such a file on another browser (identity/backup.js).
import { BackupError, backupFileName, openBackup, sealBackup } from '../identity/backup.js';
import { backupContents } from '../identity/backup-contents.js';
import { h } from './dom.js';

const BACKUP_ERRORS = {
  wrong_passphrase: 'That passphrase does not open this backup, or the file is damaged.',
  corrupt: 'This backup file is damaged and cannot be restored.',
  malformed_contents: 'This backup file is damaged and cannot be restored.',
  not_a_backup: 'This is not a Parley backup file.',
  unsupported_version: 'This backup was made by a newer version of Parley. Update, then try again.',
  too_large: 'This file is too large to be a Parley backup.',
  weak_passphrase: 'Choose a passphrase of at least 8 characters.',
};

export function backupErrorText(error, { sealing = false } = {}) {
  if (!(error instanceof BackupError)) return `Something went wrong: ${error.message}`;
  if (sealing && error.code === 'malformed_contents') {
    return 'Parley could not write a backup of this device’s data. Please report this.';
  }
  return BACKUP_ERRORS[error.code] ?? error.message;
}

function passwordField(label, testid, autocomplete) {
  return h('input', { type: 'password', required: true, autocomplete, 'aria-label': label, 'data-testid': testid });
}

function modal(testid, ...content) {
  const dialog = h('dialog', { class: 'dialog', 'data-testid': testid }, ...content);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Lets the browser paint "Encrypting…" before Argon2id holds the thread for a moment.
const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 30));

export function openBackupDialog({ app }) {
  const passphrase = passwordField('Passphrase', 'backup-passphrase', 'new-password');
  const again = passwordField('Passphrase again', 'backup-passphrase-again', 'new-password');
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'backup-status' });
  const submit = h('button', { class: 'button primary', type: 'submit', 'data-testid': 'backup-submit' }, 'Download backup');
  const dialog = modal('backup-dialog', h('form', {
    class: 'dialog-form',
    onsubmit: async (event) => {
      event.preventDefault();
      if (passphrase.value !== again.value) {
        status.textContent = 'The two passphrases differ.';
        return;
      }
      submit.disabled = true;
      status.textContent = 'Encrypting…';
      await nextFrame();
      try {
        const bytes = sealBackup(backupContents(app), passphrase.value);
        download(bytes, backupFileName(app.identity.name, new Date()));
        dialog.close();
      } catch (error) {
        status.textContent = backupErrorText(error, { sealing: true });
        submit.disabled = false;
      }
    },
  },
  h('h2', {}, 'Back up your identity'),
  h('p', { class: 'dialog-explanation' },
    'The file holds your key, your rooms and who you verified, encrypted with this passphrase. Anyone with both can act as you — keep them apart. Parley cannot recover a forgotten passphrase.'),
  h('label', {}, h('span', {}, 'Passphrase'), passphrase),
  h('label', {}, h('span', {}, 'Passphrase again'), again),
  status,
  h('div', { class: 'dialog-actions' },
    h('button', { class: 'button', type: 'button', onclick: () => dialog.close() }, 'Cancel'),
    submit)));
  passphrase.focus();
}

export function openRestoreDialog({ onRestore }) {
  const file = h('input', { type: 'file', accept: '.parleybackup,application/octet-stream', required: true, 'aria-label': 'Backup file', 'data-testid': 'restore-file' });
  const passphrase = passwordField('Passphrase', 'restore-passphrase', 'current-password');
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'restore-status' });
  const submit = h('button', { class: 'button primary', type: 'submit', 'data-testid': 'restore-submit' }, 'Restore');
  const dialog = modal('restore-dialog', h('form', {
    class: 'dialog-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      submit.disabled = true;
      status.textContent = 'Decrypting…';
      await nextFrame();
      try {
        const contents = openBackup(new Uint8Array(await chosen.arrayBuffer()), passphrase.value);
        status.textContent = 'Restoring…';
        await onRestore(contents);
      } catch (error) {
        status.textContent = backupErrorText(error);
        submit.disabled = false;
      }
    },
  },
  h('h2', {}, 'Restore from a backup'),
  h('p', { class: 'dialog-explanation' }, 'You continue as the same person, in the same rooms. Your history comes back from the other members as soon as they are online.'),
  h('label', {}, h('span', {}, 'Backup file'), file),
  h('label', {}, h('span', {}, 'Passphrase'), passphrase),
  status,
  h('div', { class: 'dialog-actions' },
    h('button', { class: 'button', type: 'button', onclick: () => dialog.close() }, 'Cancel'),
    submit)));
}

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
