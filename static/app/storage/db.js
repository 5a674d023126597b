// ParleyStore: everything this device keeps, in IndexedDB (through the `idb` library).
//
//   const store = await ParleyStore.open()
//   await store.loadIdentity() / saveIdentity(identity)
//   await store.listRooms() / saveRoom(room)
//   await store.listEntries(topic) / saveEntries(records) / getEntry(id)
//   await store.listForks(topic) / saveFork(fork)
//   await store.listContacts() / saveContact(contact) / getContact(id)
//   await store.getRoom(topic) / hasEntriesBy(topic, author)
//   await store.loadSetting(key) / saveSetting(key, value) / deleteSetting(key)
//   await store.listTransfers(topic) / saveTransfer(record) / deleteTransfer(topic, root)
//     a file this device sends or fetches (files/transfer-manager.js): which chunks it
//     holds, their Merkle tree, the name of its copy in the Origin Private File System
//
// Records hold raw bytes (Uint8Array); IndexedDB's structured clone keeps them as is.
// The service worker opens the same database with this module (docs/protocol.md §10),
// so it imports nothing with top-level await and nothing that needs a window.
import { openDB } from '../../vendor/idb.js';

const DB_NAME = 'parley';
const DB_VERSION = 4;

export class ParleyStore {
  static async open(name = DB_NAME) {
    const db = await openDB(name, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore('settings');
          db.createObjectStore('rooms', { keyPath: 'topic' });
        }
        if (oldVersion < 2) {
          // Version 1 entries predate Lamport clocks in entry bodies and cannot be
          // re-signed, so the (pre-release) version 1 history is dropped.
          if (db.objectStoreNames.contains('entries')) db.deleteObjectStore('entries');
          const entries = db.createObjectStore('entries', { keyPath: 'id' });
          entries.createIndex('by-room', 'topic');
          entries.createIndex('by-log', ['topic', 'author', 'seq'], { unique: true });
          db.createObjectStore('forks', { keyPath: ['topic', 'author'] });
        }
        if (oldVersion < 3) db.createObjectStore('contacts', { keyPath: 'id' });
        if (oldVersion < 4) db.createObjectStore('transfers', { keyPath: ['topic', 'root'] });
      },
      blocking() {
        // Another tab upgrades the schema: let it, this tab reloads into the new version.
        // A service worker has no reload: it just lets go and opens afresh next time.
        db.close();
        if (typeof globalThis.location?.reload === 'function') globalThis.location.reload();
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

  getRoom(topic) {
    return this.db.get('rooms', topic);
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

  // Whether this device holds any entry of `author` in the room: is it a member here?
  async hasEntriesBy(topic, author) {
    const range = IDBKeyRange.bound([topic, author, 0], [topic, author, Infinity]);
    return (await this.db.countFromIndex('entries', 'by-log', range)) > 0;
  }

  // One transaction: a batch of replicated entries is stored whole or not at all.
  async saveEntries(records) {
    if (!records.length) return;
    const tx = this.db.transaction('entries', 'readwrite');
    await Promise.all([...records.map((record) => tx.store.put(record)), tx.done]);
  }

  // Entries a removal took out of the room (docs/protocol.md §7 "Moderation").
  async deleteEntries(ids) {
    if (!ids.length) return;
    const tx = this.db.transaction('entries', 'readwrite');
    await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
  }

  listForks(topic) {
    return this.db.getAll('forks').then((forks) => forks.filter((fork) => fork.topic === topic));
  }

  saveFork(fork) {
    return this.db.put('forks', fork);
  }

  listContacts() {
    return this.db.getAll('contacts');
  }

  saveContact(contact) {
    return this.db.put('contacts', contact);
  }

  getContact(id) {
    return this.db.get('contacts', id);
  }

  listTransfers(topic) {
    return this.db.getAll('transfers', IDBKeyRange.bound([topic, ''], [topic, '\uffff']));
  }

  saveTransfer(record) {
    return this.db.put('transfers', record);
  }

  deleteTransfer(topic, root) {
    return this.db.delete('transfers', [topic, root]);
  }

  loadSetting(key) {
    return this.db.get('settings', key);
  }

  saveSetting(key, value) {
    return this.db.put('settings', value, key);
  }

  deleteSetting(key) {
    return this.db.delete('settings', key);
  }
}

// A room record without its derived keys: they are derived again from the secret on
// every load and never stored (room/rooms.js).
export function storableRoom(room) {
  const { keys, ...stored } = room;
  void keys;
  return stored;
}
