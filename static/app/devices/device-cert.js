// Device certificates (docs/protocol.md §13 "Linked devices"): an identity vouches for
// one of its devices' signing keys. A linked device signs entries and links with its own
// key; the certificate is how members know the key speaks for that identity.
//
//   certifyDevice(identity, deviceKey, created)  -> 64-byte signature
//   deviceCertVerifies({ identity, device, created, cert }) -> boolean (keys as bytes)
import { concatBytes, utf8Encode, writeUint64 } from '../crypto/bytes.js';
import { sodiumReady } from '../crypto/sodium.js';

const sodium = await sodiumReady;
const CONTEXT = utf8Encode('parley-device-v1');

function certified(device, created) {
  const time = new Uint8Array(8);
  writeUint64(time, 0, created);
  return concatBytes(CONTEXT, device, time);
}

export function certifyDevice(identity, device, created) {
  return sodium.crypto_sign_detached(certified(device, created), identity.secretKey);
}

export function deviceCertVerifies({ identity, device, created, cert }) {
  if (!(identity?.length === 32 && device?.length === 32 && cert?.length === 64)) return false;
  if (!Number.isSafeInteger(created) || created < 0) return false;
  try {
    return sodium.crypto_sign_verify_detached(cert, certified(device, created), identity);
  } catch {
    return false;
  }
}
