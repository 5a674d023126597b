// Room keys (docs/protocol.md §2). Every key of a room is derived from its 32-byte
// secret with its own context. Clients derive these; changing a context forks the network.
import { sodiumReady } from './sodium.js';

const sodium = await sodiumReady;

export const ROOM_SECRET_BYTES = 32;
const SUBKEY_ID = 1;

export const ROOM_KEY_CONTEXTS = Object.freeze({
  discoveryKey: 'prldisco',
  messageKey: 'prlmsgky',
  membershipKey: 'prlmembr',
  mirrorKey: 'prlmirro',
});

export function newRoomSecret() {
  return sodium.crypto_kdf_keygen();
}

export function deriveRoomKeys(secret) {
  if (!(secret instanceof Uint8Array) || secret.length !== ROOM_SECRET_BYTES) {
    throw new TypeError('room secret must be 32 bytes');
  }
  const keys = {};
  for (const [name, context] of Object.entries(ROOM_KEY_CONTEXTS)) {
    keys[name] = sodium.crypto_kdf_derive_from_key(32, SUBKEY_ID, context, secret);
  }
  return keys;
}
