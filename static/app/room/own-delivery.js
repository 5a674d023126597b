// OwnDelivery: how much of this device's own log each member of a room holds, from their
// heads and their acks (docs/protocol.md §8), kept with the room record: "Delivered"
// outlives their link and a reload.
//
//   const delivery = new OwnDelivery({ room, store, linked: () => [{ id, length }] })
//     linked: the members linked now, with how much of our log their heads announce
//   delivery.note(memberId, length) -> whether it grew (then it is saved)
//   delivery.holders(seq)           -> how many members hold our entry at `seq`
//   await delivery.whenAllHold({ length: () => n, changes: EventTarget, ms })
export class OwnDelivery {
  constructor({ room, store, linked = () => [] }) {
    this.room = room;
    this.store = store;
    this.linked = linked;
  }

  #fromHeads() {
    for (const { id, length } of this.linked()) if (length > 0) this.note(id, length);
  }

  note(memberId, length) {
    this.room.ownHeldBy ??= {};
    if (length <= (this.room.ownHeldBy[memberId] ?? 0)) return false;
    this.room.ownHeldBy[memberId] = length;
    this.store.saveRoom(this.room).catch((error) => console.warn('delivery state not saved', error));
    return true;
  }

  holders(seq) {
    this.#fromHeads();
    return Object.values(this.room.ownHeldBy ?? {}).filter((length) => length > seq).length;
  }

  // Resolves once every member linked holds our first `length()` entries, asked at once
  // and on each 'change' of `changes`, or after `ms`, whichever comes first.
  whenAllHold({ length, changes, ms }) {
    const held = () => {
      this.#fromHeads();
      return this.linked().every(({ id }) => (this.room.ownHeldBy?.[id] ?? 0) >= length());
    };
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        changes.removeEventListener('change', check);
        resolve();
      };
      const check = () => {
        if (held()) done();
      };
      const timer = setTimeout(done, ms);
      changes.addEventListener('change', check);
      check();
    });
  }
}
