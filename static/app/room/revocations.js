// Which linked devices are revoked in a room (docs/protocol.md §13 "Revoking a device"),
// from its `revoke` entries. Pure: every member and mirror gets the same answer from the
// same entries.
//
//   evaluateRevocations(records) -> Map device id -> { upTo, at }   (`at`: the revoke's
//                                   place in room order, as a removal's)
//
// A `revoke` counts only when its author is the identity whose certificate of the device
// it carries, and the certificate verifies: nobody unlinks another person's device. The
// first one in room order decides.
import { fromBase64Url } from '../crypto/bytes.js';
import { deviceCertVerifies } from '../devices/device-cert.js';
import { orderEntries } from './order.js';

export function evaluateRevocations(records) {
  const revoked = new Map();
  for (const record of orderEntries(records.filter((r) => r.body?.type === 'revoke'))) {
    const { device, upTo, created, cert } = record.body;
    if (revoked.has(device)) continue;
    const certified = deviceCertVerifies({
      identity: fromBase64Url(record.author, 32), device: fromBase64Url(device, 32), created, cert: fromBase64Url(cert, 64),
    });
    if (certified) revoked.set(device, { upTo, at: { clock: record.clock, author: record.author, seq: record.seq } });
  }
  return revoked;
}
