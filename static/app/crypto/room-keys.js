// Room keys (docs/protocol.md §2). Every key of a room is derived from its 32-byte
// secret with its own context. Clients derive these; changing a context forks the network.
import { concatBytes, utf8Encode } from './encoding.js';
import { sodiumReady } from './sodium.js';

const sodium = await sodiumReady;

export const ROOM_SECRET_BYTES = 32;
const SUBKEY_ID = 1;

export const ROOM_KEY_CONTEXTS = Object.freeze({
  discoveryKey: 'prldisco',
  messageKey: 'prlmsgky',
  membershipKey: 'prlmembr',
  mirrorKey: 'prlmirro',
  controlKey: 'prlcntrl',
});

const FOUNDED_ROOM_CONTEXT = utf8Encode('parley-founded-room-v1');
const FOUNDED_TOPIC_CONTEXT = utf8Encode('parley-founded-topic-v1');
const COMMITMENT_CONTEXT = 'prlcommt';

export function newRoomSecret() {
  return sodium.crypto_kdf_keygen();
}

// A founded room's secret binds its founder, the first admin (§2, "Founded rooms"): an
// invite whose founder was changed on the way leads to another room, not to this one
// with another admin.
export function foundedRoomSecret(inviteSecret, founder) {
  if (!(inviteSecret instanceof Uint8Array) || inviteSecret.length !== ROOM_SECRET_BYTES) {
    throw new TypeError('room secret must be 32 bytes');
  }
  if (!(founder instanceof Uint8Array) || founder.length !== 32) {
    throw new TypeError('founder must be a 32-byte public key');
  }
  return sodium.crypto_generichash(32, concatBytes(FOUNDED_ROOM_CONTEXT, founder), inviteSecret);
}

// A founded room's keys (§2): all from its bound secret, but for the topic, which is a
// hash of the founder and a commitment (a key of its own), so that a blind mirror told
// both can check that this founder is the room's without learning anything else.
export function deriveFoundedRoomKeys(inviteSecret, founder) {
  const secret = foundedRoomSecret(inviteSecret, founder);
  const keys = deriveRoomKeys(secret);
  keys.commitment = sodium.crypto_kdf_derive_from_key(32, SUBKEY_ID, COMMITMENT_CONTEXT, secret);
  keys.discoveryKey = foundedTopic(founder, keys.commitment);
  return keys;
}

export function foundedTopic(founder, commitment) {
  return sodium.crypto_generichash(32, concatBytes(FOUNDED_TOPIC_CONTEXT, founder, commitment), null);
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
