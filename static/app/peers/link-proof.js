// Link proof (docs/protocol.md §6, "Link authentication"): the first data-channel frame
// of each side signs both DTLS certificate fingerprints with the identity key. The
// envelopes prove who sent the SDP; this proves the identity is at *this* end of the
// DTLS connection, so a member cannot re-sign two others' handshakes and sit as the
// named peer between them.
import { sodiumReady } from '../crypto/sodium.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8Encode } from '../crypto/bytes.js';

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

// The `hello` a link's end sends first, over that link's certificates.
export function helloFrame({ identity, discoveryKey, link, name }) {
  const { localFingerprint, remoteFingerprint } = link;
  const proof = signLinkProof({ identity, discoveryKey, localFingerprint, remoteFingerprint });
  return { t: 'hello', v: 1, name, proof: toBase64Url(proof) };
}

// Whether a peer's `hello` proves `peerIdentity` at the other end of this very link.
export function helloProves(hello, { peerIdentity, discoveryKey, link }) {
  const { localFingerprint, remoteFingerprint } = link;
  const proof = fromBase64Url(hello.proof, 64);
  return verifyLinkProof({ proof, peerIdentity, discoveryKey, localFingerprint, remoteFingerprint });
}
