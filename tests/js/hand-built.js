// Envelopes and entries built straight from the byte layouts of docs/protocol.md with
// libsodium, without the modules under test, so tests can check the layout and craft
// inputs the real builders refuse to make (bad payloads, bad bodies).
import sodium from '../../static/vendor/libsodium.js';

await sodium.ready;
const text = (value) => new TextEncoder().encode(value);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

function uint(value, size) {
  const out = new Uint8Array(size);
  let rest = BigInt(value);
  for (let i = size - 1; i >= 0; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

// §4: version ‖ identity ‖ sender key ‖ recipient key ‖ topic ‖ ts ‖ nonce ‖ L ‖ payload,
// then MAC, signature and zero padding to `bucket`.
export function handBuiltPlaintext({
  identity, senderConnectionKey, recipientConnectionKey, topic, membershipKey, payloadBytes,
  timestamp = Date.now(), nonce = sodium.randombytes_buf(16), bucket = 1024, version = 1,
}) {
  const body = concat(
    Uint8Array.of(version), identity.publicKey, senderConnectionKey, recipientConnectionKey,
    topic, uint(timestamp, 8), nonce, uint(payloadBytes.length, 4), payloadBytes);
  const mac = sodium.crypto_generichash(32, concat(text('parley-envelope-mac-v1'), body), membershipKey);
  const signature = sodium.crypto_sign_detached(
    concat(text('parley-envelope-sig-v1'), body, mac), identity.secretKey);
  const plaintext = new Uint8Array(bucket);
  plaintext.set(concat(body, mac, signature));
  return plaintext;
}

// §7: version ‖ author ‖ seq ‖ prev ‖ nonce ‖ C ‖ ciphertext ‖ signature.
export function handBuiltEntry({
  identity, seq = 0, prev = new Uint8Array(32), bodyBytes, messageKey, discoveryKey,
}) {
  const nonce = sodium.randombytes_buf(24);
  const header = concat(Uint8Array.of(1), identity.publicKey, uint(seq, 8), prev, nonce);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    bodyBytes, concat(text('parley-entry-v1'), header), null, nonce, messageKey);
  const unsigned = concat(header, uint(ciphertext.length, 4), ciphertext);
  const signature = sodium.crypto_sign_detached(
    concat(text('parley-entry-sig-v1'), discoveryKey, unsigned), identity.secretKey);
  return concat(unsigned, signature);
}

// §7 "Disappearing messages": version 2 ‖ author ‖ seq ‖ prev ‖ nonce ‖ expires ‖ C ‖
// hash(ciphertext) ‖ ciphertext ‖ signature over everything before the ciphertext.
export function handBuiltExpiringEntry({
  identity, seq = 0, prev = new Uint8Array(32), bodyBytes, messageKey, discoveryKey, expires,
}) {
  const nonce = sodium.randombytes_buf(24);
  const length = bodyBytes.length + 16;
  const header = concat(
    Uint8Array.of(2), identity.publicKey, uint(seq, 8), prev, nonce, uint(expires, 8), uint(length, 4));
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    bodyBytes, concat(text('parley-entry-v2'), header), null, nonce, messageKey);
  const signed = concat(header, sodium.crypto_generichash(32, ciphertext, null));
  const signature = sodium.crypto_sign_detached(
    concat(text('parley-entry-sig-v2'), discoveryKey, signed), identity.secretKey);
  return { bytes: concat(signed, ciphertext, signature), stub: concat(signed, signature) };
}

export { sodium };
