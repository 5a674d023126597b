// Requests to the server's blind mirror service and its replies (docs/protocol.md §12).
// The capability is the room's discovery key and membership key, nothing that opens a
// message, but the control key (so the mirror refuses a revoked device's entries, §13)
// and for a founded room its founder (so it enforces removals: §2, §7 "Moderation"); the
// request is sealed to the service's seal key (converted from its mirror key), so the
// server that relays it cannot read it.
//
//   sealRequest({ op: 'hold' | 'drop', keys, founder, mirrorKey, now })   -> base64url blob
//   openReply(blob, connectionKeypair)  -> { topic, ok, error? }   (throws MirrorReplyError)
//
// Pure: call after `sodiumReady`.
import { sodium } from '../crypto/sodium.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../crypto/encoding.js';
import { isIdText } from '../room/entry-body.js';

export const MIRROR_PADDED_BYTES = 1024;
export const MIRROR_BLOB_BYTES = MIRROR_PADDED_BYTES + 48; // + crypto_box_SEALBYTES
export const MIRROR_OPS = Object.freeze(['hold', 'drop']);
export const MIRROR_REPLY_ERRORS = Object.freeze(['malformed', 'stale', 'full', 'wrong_key', 'not_held', 'failed']);

export class MirrorReplyError extends Error {
  constructor(detail) {
    super(detail);
    this.name = 'MirrorReplyError';
    this.code = 'malformed';
  }
}

export function sealRequest({ op, keys, founder = null, mirrorKey, now = Date.now() }) {
  if (!MIRROR_OPS.includes(op)) throw new TypeError(`unknown mirror op ${op}`);
  const json = JSON.stringify({
    v: 1, op, topic: toBase64Url(keys.discoveryKey), membership: toBase64Url(keys.membershipKey), ts: now,
    // Every room's control key, for device revocations (§13); a founded room's founder
    // and commitment too, for its moderation.
    control: toBase64Url(keys.controlKey),
    ...(founder ? { founder, commitment: toBase64Url(keys.commitment) } : {}),
  });
  const sealKey = sodium.crypto_sign_ed25519_pk_to_curve25519(mirrorKey);
  return toBase64Url(sodium.crypto_box_seal(sodium.pad(utf8Encode(json), MIRROR_PADDED_BYTES), sealKey));
}

export function openReply(blob, keypair) {
  let reply;
  try {
    const sealed = fromBase64Url(blob, MIRROR_BLOB_BYTES);
    const padded = sodium.crypto_box_seal_open(sealed, keypair.publicKey, keypair.privateKey);
    reply = JSON.parse(utf8Decode(sodium.unpad(padded, MIRROR_PADDED_BYTES)));
  } catch {
    throw new MirrorReplyError('not a sealed reply for this connection');
  }
  if (!isReply(reply)) throw new MirrorReplyError('not a reply');
  return reply.ok ? { topic: reply.topic, ok: true } : { topic: reply.topic, ok: false, error: reply.error };
}

function isReply(reply) {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return false;
  const keys = Object.keys(reply).sort().join(',');
  if (reply.v !== 1 || !(reply.topic === null || isIdText(reply.topic))) return false;
  if (reply.ok === true) return keys === 'ok,topic,v';
  return reply.ok === false && keys === 'error,ok,topic,v' && MIRROR_REPLY_ERRORS.includes(reply.error);
}
