// The browser modules driven from Python (tests/interop/test_interop.py). Reads a JSON
// list of requests on stdin and prints a JSON list of results, one per request. Binary
// values are base64url both ways; identities are given by their 32-byte Ed25519 seed.
// A failure is {"error": code}. One ReplayGuard lives for the whole batch, so a batch
// that opens the same blob twice sees a replay.
import { readFileSync } from 'node:fs';
import { parseDataFrame } from '../../static/app/peers/data-frames.js';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { fromBase64Url as bin, toBase64Url as b64 } from '../../static/app/crypto/bytes.js';
import { deriveFoundedRoomKeys, deriveRoomKeys } from '../../static/app/crypto/room-keys.js';
import { identityId, safetyFingerprint } from '../../static/app/identity/identity.js';
import { openEnvelope, ReplayGuard, sealEnvelope } from '../../static/app/signaling/envelope.js';
import { createEntry, openEntry, verifyEntrySignature } from '../../static/app/room/entry.js';
import { openBackup, sealBackup } from '../../static/app/identity/backup.js';
import { mailboxId, wakeKey } from '../../static/app/push/mailbox-keys.js';
import { registrationBody, unregistrationBody } from '../../static/app/push/push-registration.js';
import { buildWake, openWake } from '../../static/app/push/wake.js';
import { chunkCount, chunkRange } from '../../static/app/files/chunk-crypto.js';
import { chunkFormat } from '../../static/app/files/chunk-formats.js';
import { checkedLeaf, MerkleTree } from '../../static/app/files/merkle.js';
import { encodeFileFrame, parseFileFrame } from '../../static/app/files/file-frames.js';
import { openReply, sealRequest } from '../../static/app/mirror/mirror-request.js';
import { RoomLog } from '../../static/app/room/room-log.js';

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

  // Files (§11), in chunk format `format` (1 when absent): every chunk of `data` with
  // its leaf and proof, and the root.
  encrypt_file: async ({ key, data, format = 1 }) => {
    const plain = data === '' ? new Uint8Array(0) : bin(data);
    const size = plain.length;
    const chunks = chunkFormat(format);
    const cipher = await chunks.cipher(bin(key, 32));
    const ciphertexts = await Promise.all(Array.from({ length: chunkCount(size) }, (_, i) => {
      const { start, end } = chunkRange(size, i);
      return cipher.seal(i, size, plain.subarray(start, end));
    }));
    const leaves = await Promise.all(ciphertexts.map((c, i) => chunks.leafHash(i, c)));
    const tree = MerkleTree.fromLeaves(leaves, chunks);
    return {
      ciphertexts: ciphertexts.map(b64),
      leaves: ciphertexts.map((_, i) => b64(tree.leaf(i))),
      proofs: ciphertexts.map((_, i) => tree.proof(i).map(b64)),
      root: b64(tree.root),
    };
  },

  merkle_tree: ({ leaves, format = 1 }) => {
    const tree = MerkleTree.fromLeaves(leaves.map((leaf) => bin(leaf, 32)), chunkFormat(format));
    return { root: b64(tree.root), proofs: leaves.map((_, i) => tree.proof(i).map(b64)) };
  },

  decrypt_chunk: async ({ key, index, size, ciphertext, format = 1 }) => {
    const cipher = await chunkFormat(format).cipher(bin(key, 32));
    return { plaintext: b64(await cipher.open(index, size, bin(ciphertext))) };
  },

  verify_chunk: async ({ root, index, ciphertext, proof, count, format = 1 }) => ({
    valid: await checkedLeaf({
      root: bin(root), index, ciphertext: bin(ciphertext), proof: proof.map((node) => bin(node)), count,
      format: chunkFormat(format),
    }) !== null,
  }),

  // Frames as JSON: the parsed fields, binary ones base64url, proof a list.
  encode_file_frame: ({ frame }) => ({
    bytes: b64(encodeFileFrame(Object.fromEntries(Object.entries(frame).map(([name, value]) => [name,
      name === 'proof' ? value.map((node) => bin(node)) : typeof value === 'string' && name !== 'type' ? bin(value) : value])))),
  }),

  parse_data_frame: ({ text }) => parseDataFrame(text),

  // Blind mirrors (§12): a request as a member seals it, a reply as a member opens it.
  seal_mirror_request: ({ requestOp, secret, founder = null, mirrorKey, now }) => ({
    blob: sealRequest({
      op: requestOp, mirrorKey: bin(mirrorKey, 32), now, founder,
      keys: founder ? deriveFoundedRoomKeys(bin(secret, 32), bin(founder, 32)) : deriveRoomKeys(bin(secret, 32)),
    }),
  }),

  // A member's RoomLog of a founded room after taking in these entries, in batches in
  // this order: how much of each author's log it keeps, and each one's role.
  moderate: ({ secret, founder, batches, people }) => {
    const log = new RoomLog({ ...deriveRoomKeys(bin(secret, 32)), founder });
    for (const batch of batches) log.ingest(batch.map((entry) => bin(entry)));
    return {
      lengths: Object.fromEntries(people.map((id) => [id, log.length(id)])),
      roles: Object.fromEntries(people.map((id) => [id, log.moderation.roleOf(id)])),
    };
  },

  // The connection's X25519 private key itself (PyNaCl's PrivateKey bytes), not a seed.
  open_mirror_reply: ({ blob, connectionKey }) => {
    const privateKey = bin(connectionKey, 32);
    return openReply(blob, { publicKey: sodium.crypto_scalarmult_base(privateKey), privateKey });
  },

  parse_file_frame: ({ bytes }) => {
    const { proof, ...frame } = parseFileFrame(bin(bytes));
    return { ...encodeFields(frame), ...(proof && { proof: proof.map(b64) }) };
  },
};

// One request at a time, in order (a batch may depend on its order: the replay guard).
async function run({ op, ...request }) {
  try {
    return await operations[op](request);
  } catch (error) {
    if (typeof error.code !== 'string') throw error;
    return { error: error.code };
  }
}

const requests = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const request of requests) results.push(await run(request));
process.stdout.write(JSON.stringify(results));
