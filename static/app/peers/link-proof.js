// Link proof (docs/protocol.md §6, "Link authentication"): the first data-channel frame
// of each side signs both DTLS certificate fingerprints with the identity key. The
// envelopes prove who sent the SDP; this proves the identity is at *this* end of the
// DTLS connection, so a member cannot re-sign two others' handshakes and sit as the
// named peer between them.
import { sodiumReady } from '../crypto/sodium.js';
import { concatBytes, utf8Encode } from '../crypto/bytes.js';

const sodium = await sodiumReady;
const CONTEXT = utf8Encode('parley-link-v1');

function provenBytes(discoveryKey, senderFingerprint, receiverFingerprint) {
  return concatBytes(CONTEXT, discoveryKey, senderFingerprint, receiverFingerprint);
}

export function fingerprintBytes(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex ?? '')) throw new TypeError('expected a sha-256 fingerprint in hex');
  return Uint8Array.from(hex.match(/../g), (byte) => Number.parseInt(byte, 16));
}

export function signLinkProof({ identity, discoveryKey, localFingerprint, remoteFingerprint }) {
  return sodium.crypto_sign_detached(
    provenBytes(discoveryKey, fingerprintBytes(localFingerprint), fingerprintBytes(remoteFingerprint)),
    identity.secretKey,
  );
}

// The peer signed (its own certificate, ours); from here that is (remote, local).
export function verifyLinkProof({ proof, peerIdentity, discoveryKey, localFingerprint, remoteFingerprint }) {
  try {
    return sodium.crypto_sign_verify_detached(
      proof,
      provenBytes(discoveryKey, fingerprintBytes(remoteFingerprint), fingerprintBytes(localFingerprint)),
      peerIdentity,
    );
  } catch {
    return false;
  }
}
