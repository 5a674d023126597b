// TransferRegistry: the transfers of one room, by root (text), and the saved records
// (IndexedDB `transfers`) still waiting for their offer to come in from the room log.
// One registry that every part of the file engine asks, not parallel maps.
//
//   const transfers = new TransferRegistry()
//   transfers.restore(records)        what a reload finds saved
//   transfers.takeSaved(root)         the saved record for an offer now known (once)
//   transfers.add(t); transfers.get(root); transfers.has(root); transfers.remove(root)
//   for (const t of transfers) …      a snapshot: safe to add or remove meanwhile
//   transfers.roots()                 in the order they were added
export class TransferRegistry {
  #byRoot = new Map();
  #saved = new Map(); // root -> saved record not yet matched with its offer

  restore(records) {
    for (const record of records) this.#saved.set(record.root, record);
  }

  takeSaved(root) {
    const record = this.#saved.get(root) ?? null;
    this.#saved.delete(root);
    return record;
  }

  add(transfer) {
    this.#byRoot.set(transfer.root, transfer);
  }

  get(root) {
    return this.#byRoot.get(root);
  }

  has(root) {
    return this.#byRoot.has(root);
  }

  remove(root) {
    this.#byRoot.delete(root);
  }

  roots() {
    return [...this.#byRoot.keys()];
  }

  [Symbol.iterator]() {
    return [...this.#byRoot.values()][Symbol.iterator]();
  }
}
