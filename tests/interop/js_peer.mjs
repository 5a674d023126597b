// The browser modules driven from Python (tests/interop/test_interop.py). Reads a JSON
// list of requests on stdin and prints a JSON list of results, one per request. Binary
// values are base64url both ways; identities are given by their 32-byte Ed25519 seed.
// A failure is {"error": code}. One ReplayGuard lives for the whole batch, so a batch
// that opens the same blob twice sees a replay.
import { readFileSync } from 'node:fs';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { fromBase64Url as bin, toBase64Url as b64 } from '../../static/app/crypto/bytes.js';
import { deriveRoomKeys } from '../../static/app/crypto/room-keys.js';
import { identityId, safetyFingerprint } from '../../static/app/identity/identity.js';
import { openEnvelope, ReplayGuard, sealEnvelope } from '../../static/app/signaling/envelope.js';
import { createEntry, openEntry, verifyEntrySignature } from '../../static/app/room/entry.js';
import { openBackup, sealBackup } from '../../static/app/identity/backup.js';
import { mailboxId, wakeKey } from '../../static/app/push/mailbox-keys.js';
import { registrationBody, unregistrationBody } from '../../static/app/push/push-registration.js';
import { buildWake, openWake } from '../../static/app/push/wake.js';

const sodium = await sodiumReady;
const replayGuard = new ReplayGuard();

// Mailbox keys are Ed25519 too, given by their seed as PyNaCl's SigningKey is.
function mailboxFromSeed(seed) {
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(bin(seed, 32));
  return { publicKey, secretKey: privateKey };
}

function identityFromSeed(seed) {
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(bin(seed, 32));
  return { publicKey, secretKey: privateKey };
}

const encodeFields = (object) => Object.fromEntries(Object.entries(object).map(
  ([name, value]) => [name, value instanceof Uint8Array ? b64(value) : value]));

const operations = {
  derive_keys: ({ secret }) => encodeFields(deriveRoomKeys(bin(secret, 32))),

  describe_identity: ({ publicKey }) => ({
    identityId: identityId(bin(publicKey, 32)),
    safetyFingerprint: safetyFingerprint(bin(publicKey, 32)),
  }),

  seal_envelope: (request) => ({
    blob: sealEnvelope({
      identity: identityFromSeed(request.identitySeed),
      senderConnectionKey: bin(request.senderConnectionKey),
      recipientConnectionKey: bin(request.recipientConnectionKey),
      topic: bin(request.topic),
      membershipKey: bin(request.membershipKey),
      payload: request.payload,
      now: request.now,
    }),
  }),

  open_envelope: (request) => {
    const privateKey = bin(request.connectionPrivateKey, 32);
    return encodeFields(openEnvelope(request.blob, {
      connectionKeypair: { publicKey: sodium.crypto_scalarmult_base(privateKey), privateKey },
      topic: bin(request.topic),
      expectedSenderConnectionKey: bin(request.expectedSenderConnectionKey),
      membershipKey: bin(request.membershipKey),
      replayGuard,
      now: request.now,
    }));
  },

  create_entry: (request) => encodeFields(createEntry({
    identity: identityFromSeed(request.identitySeed),
    seq: request.seq,
    prev: request.prev ? bin(request.prev, 32) : null,
    body: request.body,
    messageKey: bin(request.messageKey),
    discoveryKey: bin(request.discoveryKey),
  })),

  open_entry: (request) => encodeFields(openEntry(bin(request.bytes), {
    messageKey: bin(request.messageKey),
    discoveryKey: bin(request.discoveryKey),
  })),

  verify_entry: (request) => encodeFields(
    verifyEntrySignature(bin(request.bytes), bin(request.discoveryKey))),

  // Backup files travel as base64url; `params` is { opslimit, memlimit } or absent.
  seal_backup: ({ contents, passphrase, params }) => ({
    file: b64(sealBackup(contents, passphrase, params ?? undefined)),
  }),

  open_backup: ({ file, passphrase }) => ({ contents: openBackup(bin(file), passphrase) }),

  describe_mailbox: ({ mailboxSeed }) => {
    const { publicKey } = mailboxFromSeed(mailboxSeed);
    return { publicKey: b64(publicKey), mailboxId: b64(mailboxId(publicKey)), wakeKey: b64(wakeKey(publicKey)) };
  },

  build_wake: (request) => ({
    blob: buildWake({
      identity: identityFromSeed(request.identitySeed),
      mailboxPublicKey: bin(request.mailboxPublicKey, 32),
      room: request.room, kind: request.kind, text: request.text, now: request.now,
    }),
  }),

  open_wake: ({ blob, mailboxSeed }) => openWake(blob, { mailbox: mailboxFromSeed(mailboxSeed) }),

  registration_body: ({ mailboxSeed, subscription, ts }) => registrationBody(mailboxFromSeed(mailboxSeed), subscription, ts),

  unregistration_body: ({ mailboxSeed, endpoint, ts }) => unregistrationBody(mailboxFromSeed(mailboxSeed), endpoint, ts),
};

function run({ op, ...request }) {
  try {
    return operations[op](request);
  } catch (error) {
    if (typeof error.code !== 'string') throw error;
    return { error: error.code };
  }
}

const requests = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(requests.map(run)));
