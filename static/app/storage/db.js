// ParleyStore: everything this device keeps, in IndexedDB (through the `idb` library).
//
//   const store = await ParleyStore.open()
//   await store.loadIdentity() / saveIdentity(identity)
//   await store.listRooms() / saveRoom(room)
//   await store.listEntries(topic) / saveEntry(record) / getEntry(id)
//
// Records hold raw bytes (Uint8Array); IndexedDB's structured clone keeps them as is.
import { openDB } from '../../vendor/idb.js';
import { storableRoom } from '../room/rooms.js';

const DB_NAME = 'parley';
const DB_VERSION = 1;

export class ParleyStore {
  static async open(name = DB_NAME) {
    const db = await openDB(name, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('settings');
        db.createObjectStore('rooms', { keyPath: 'topic' });
        const entries = db.createObjectStore('entries', { keyPath: 'id' });
        entries.createIndex('by-room', 'topic');
      },
    });
    return new ParleyStore(db);
  }

  constructor(db) {
    this.db = db;
  }

  loadIdentity() {
    return this.db.get('settings', 'identity');
  }

  saveIdentity(identity) {
    return this.db.put('settings', identity, 'identity');
  }

  listRooms() {
    return this.db.getAll('rooms');
  }

  saveRoom(room) {
    return this.db.put('rooms', storableRoom(room));
  }

  listEntries(topic) {
    return this.db.getAllFromIndex('entries', 'by-room', topic);
  }

  getEntry(id) {
    return this.db.get('entries', id);
  }

  saveEntry(record) {
    return this.db.put('entries', record);
  }
}
