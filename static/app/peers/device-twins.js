// DeviceTwins: one identity open on two devices at once in a room (a backup restored in a
// second browser). Members keep one link per identity, to the newest device (docs/
// protocol.md §6, duplicates), and tell the older one `bye`; this is what each end
// remembers of that, so the older device is not lost for good.
//
//   twins.retire(connectionId, identity)  we dropped that link for a newer twin
//   twins.takeRetired(identity)          -> the connection ids we dropped for `identity`,
//                                           forgotten: its newest device has gone, so we
//                                           dial them again
//   twins.forget(connectionId)           it left the room
//   twins.supersede(identity, connectionId)  that member said bye: it talks to our other device
//   twins.restore(identity)              -> whether that ended: it links to us again
//   twins.forget(connectionId)           it left the room: it prefers nothing any more
//                                        -> whether that ended a step back
//   twins.superseded                     true while any member prefers our other device
import { equalBytes, toBase64Url } from '../crypto/bytes.js';

export class DeviceTwins {
  #retired = new Map(); // connectionId -> identity bytes
  #supersededBy = new Map(); // connectionId -> identity id (base64url) of a member who said bye

  retire(connectionId, identity) {
    this.#retired.set(connectionId, identity);
  }

  takeRetired(identity) {
    const ids = [...this.#retired].filter(([, other]) => equalBytes(other, identity)).map(([id]) => id);
    for (const id of ids) this.#retired.delete(id);
    return ids;
  }

  // -> whether this device is no longer stepped back for that connection
  forget(connectionId) {
    this.#retired.delete(connectionId);
    return this.#supersededBy.delete(connectionId);
  }

  supersede(identity, connectionId) {
    this.#supersededBy.set(connectionId, toBase64Url(identity));
  }

  restore(identity) {
    const id = toBase64Url(identity);
    const by = [...this.#supersededBy].filter(([, other]) => other === id).map(([connectionId]) => connectionId);
    for (const connectionId of by) this.#supersededBy.delete(connectionId);
    return by.length > 0;
  }

  get superseded() {
    return this.#supersededBy.size > 0;
  }
}
