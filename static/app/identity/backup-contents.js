// What an identity backup holds (docs/protocol.md §9), taken from the running app, and
// how a device takes one in. identity/backup.js seals and opens the file.
//
//   backupContents(app)              -> contents (the JSON object of §9)
//   await restoreBackup(store, contents)   replaces this device's identity; then reload
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { roomRecord } from '../room/rooms.js';

const MAX_BACKUP_CONTACTS = 10_000;

export function backupContents(app) {
  // Rooms this device left too: a restored device that opens one's invite again must
  // know its own log there, or it would start a second one (a fork).
  const open = app.roomList().map((room) => {
    const { log } = app.session(room.topic);
    return { room, ownLength: log.length(app.selfId), ownHead: log.headId(app.selfId) ?? null };
  });
  const left = [...app.leftRooms.values()]
    .map((room) => ({ room, ownLength: room.ownLength ?? 0, ownHead: room.ownHead ?? null }));
  return {
    v: 1,
    createdAt: Date.now(),
    identity: {
      publicKey: toBase64Url(app.identity.publicKey),
      secretKey: toBase64Url(app.identity.secretKey),
      name: app.identity.name || 'Me',
    },
    rooms: [...open, ...left].map(({ room, ownLength, ownHead }) => ({
      secret: toBase64Url(room.secret), name: room.name, createdAt: room.createdAt, ownLength, ownHead,
      ...(room.founder ? { founder: room.founder } : {}),
    })),
    // Verified people first: past the format's limit, the rest are only names.
    contacts: [...app.contacts.values()]
      .sort((a, b) => Number(Boolean(b.verifiedAt)) - Number(Boolean(a.verifiedAt)))
      .slice(0, MAX_BACKUP_CONTACTS)
      .map(({ id, name, verifiedAt }) => ({ id, name: [...(name ?? '')].slice(0, 64).join(''), verifiedAt: verifiedAt ?? null })),
  };
}

// Restored rooms write nothing until the device holds its own log up to where the backup
// was made: appending earlier would fork it (room/room-session.js).
export async function restoreBackup(store, contents) {
  await store.saveIdentity({
    publicKey: fromBase64Url(contents.identity.publicKey, 32),
    secretKey: fromBase64Url(contents.identity.secretKey, 64),
    name: contents.identity.name,
    createdAt: Date.now(),
    restoredAt: Date.now(),
  });
  for (const room of contents.rooms) {
    const record = roomRecord(fromBase64Url(room.secret, 32), room.name, room.createdAt, room.founder ?? null);
    record.restored = { ownLength: room.ownLength, ownHead: room.ownHead };
    await store.saveRoom(record);
  }
  for (const contact of contents.contacts) {
    await store.saveContact({ ...contact, firstSeen: 0 });
  }
}
