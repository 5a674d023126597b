// Mailbox keys (docs/protocol.md §10 "Mailbox keys"): an Ed25519 keypair of the device's
// own, unrelated to the identity, so the server cannot link a mailbox to a person. Its
// hash is the mailbox id the server files push subscriptions under; its X25519 twin is
// the wake key that wakes are sealed to.
//
//   const mailbox = createMailboxKeys()         -> { publicKey, secretKey, createdAt }
//   mailboxId(mailbox.publicKey)                -> 32 bytes
//   wakeKey(mailbox.publicKey)                  -> X25519 public key (throws on a bad point)
//   wakeKeypair(mailbox)                        -> { publicKey, privateKey } for opening
//   isMailboxKeys(value)                        -> is this a stored mailbox record?
//
// No top-level await (the service worker imports this): call after `sodiumReady`.
import { sodium } from '../crypto/sodium.js';

export const MAILBOX_SETTING = 'mailbox'; // key of the record in the `settings` store
export const MAILBOX_PUBLIC_KEY_BYTES = 32;
const MAILBOX_SECRET_KEY_BYTES = 64;
const MAILBOX_ID_BYTES = 32;

export function createMailboxKeys(now = Date.now()) {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, secretKey: privateKey, createdAt: now };
}

export function mailboxId(publicKey) {
  return sodium.crypto_generichash(MAILBOX_ID_BYTES, publicKey, null);
}

// libsodium refuses keys that are not points of the curve (or of small order): a member
// who announced such a "mailbox" is simply not woken.
export function wakeKey(mailboxPublicKey) {
  return sodium.crypto_sign_ed25519_pk_to_curve25519(mailboxPublicKey);
}

export function wakeKeypair(mailbox) {
  return {
    publicKey: wakeKey(mailbox.publicKey),
    privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(mailbox.secretKey),
  };
}

export function isMailboxKeys(value) {
  return typeof value === 'object' && value !== null
    && value.publicKey instanceof Uint8Array && value.publicKey.length === MAILBOX_PUBLIC_KEY_BYTES
    && value.secretKey instanceof Uint8Array && value.secretKey.length === MAILBOX_SECRET_KEY_BYTES;
}
