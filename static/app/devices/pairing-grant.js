// What a linked device is given (docs/protocol.md §13 "Pairing"): the identity it speaks
// for, the certificate of its own key, the person's name, rooms and contacts with their
// verified marks. Never the identity's secret key: the new device signs with its own.
//
//   grantFor(app, { device, name }) -> grant (device: its public key; name: what it is called)
//   isGrant(grant, device) -> boolean: the schema, and a certificate for this device's key
//   await takeGrant(store, grant, device) -> stores the linked identity, rooms, contacts
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { identityId } from '../identity/identity.js';
import { isIdText } from '../room/entry-body.js';
import { roomRecord } from '../room/rooms.js';
import { certifyDevice, deviceCertVerifies } from './device-cert.js';

export const MAX_GRANT_ROOMS = 1000;
export const MAX_GRANT_CONTACTS = 2000;
const B64 = /^[A-Za-z0-9_-]*$/;

const codePoints = (text) => [...text].length;
const isName = (value) => typeof value === 'string' && codePoints(value) >= 1 && codePoints(value) <= 64;
const isTime = (value) => Number.isSafeInteger(value) && value >= 0;
const isKey = (value, length) => typeof value === 'string' && B64.test(value) && (() => {
  try {
    return fromBase64Url(value, length).length === length;
  } catch {
    return false;
  }
})();
const exactly = (value, keys, optional = []) => typeof value === 'object' && value !== null && !Array.isArray(value)
  && keys.every((key) => Object.hasOwn(value, key)) && Object.keys(value).every((key) => keys.includes(key) || optional.includes(key));

export function grantFor(app, { device, name }) {
  const created = Date.now();
  return {
    v: 1,
    identity: app.selfId,
    name: app.identity.name || 'Me',
    device: { key: toBase64Url(device), name, created, cert: toBase64Url(certifyDevice(app.identity, device, created)) },
    rooms: app.roomList().slice(0, MAX_GRANT_ROOMS).map((room) => ({
      secret: toBase64Url(room.secret), name: room.name, createdAt: room.createdAt,
      ...(room.founder ? { founder: room.founder } : {}),
    })),
    // Verified people first: past the limit, the rest stay behind.
    contacts: [...app.contacts.values()]
      .sort((a, b) => Number(Boolean(b.verifiedAt)) - Number(Boolean(a.verifiedAt)))
      .slice(0, MAX_GRANT_CONTACTS)
      .map(({ id, name: contactName, verifiedAt }) => ({
        id, name: [...(contactName || 'Someone')].slice(0, 64).join(''), verifiedAt: verifiedAt ?? null,
      })),
  };
}

export function isGrant(grant, device) {
  if (!exactly(grant, ['v', 'identity', 'name', 'device', 'rooms', 'contacts']) || grant.v !== 1) return false;
  if (!isIdText(grant.identity) || !isName(grant.name)) return false;
  const d = grant.device;
  if (!exactly(d, ['key', 'name', 'created', 'cert']) || !isName(d.name) || !isTime(d.created) || !isKey(d.cert, 64)) return false;
  if (d.key !== toBase64Url(device)) return false;
  if (!deviceCertVerifies({
    identity: fromBase64Url(grant.identity, 32), device, created: d.created, cert: fromBase64Url(d.cert, 64),
  })) return false;
  const roomOk = (room) => exactly(room, ['secret', 'name', 'createdAt'], ['founder']) && isKey(room.secret, 32)
    && isName(room.name) && isTime(room.createdAt) && (room.founder === undefined || isIdText(room.founder));
  const contactOk = (contact) => exactly(contact, ['id', 'name', 'verifiedAt']) && isIdText(contact.id)
    && isName(contact.name) && (contact.verifiedAt === null || isTime(contact.verifiedAt));
  return Array.isArray(grant.rooms) && grant.rooms.length <= MAX_GRANT_ROOMS && grant.rooms.every(roomOk)
    && Array.isArray(grant.contacts) && grant.contacts.length <= MAX_GRANT_CONTACTS && grant.contacts.every(contactOk);
}

// The device keeps its own key pair and learns whose it is; each room's history comes
// from its members, its mirror and the identity's other devices, as for any member.
export async function takeGrant(store, grant, deviceKeys) {
  await store.saveIdentity({
    publicKey: deviceKeys.publicKey, secretKey: deviceKeys.secretKey, name: grant.name, createdAt: Date.now(),
    person: grant.identity,
    device: { name: grant.device.name, created: grant.device.created, cert: grant.device.cert },
  });
  for (const room of grant.rooms) {
    // Invited: its first entry waits for the room's history (room/pending-join.js).
    await store.saveRoom({ ...roomRecord(fromBase64Url(room.secret, 32), room.name, room.createdAt, room.founder ?? null), invited: true });
  }
  for (const contact of grant.contacts) {
    if (contact.id === identityId(deviceKeys.publicKey)) continue;
    await store.saveContact({ ...contact, firstSeen: 0 });
  }
}
