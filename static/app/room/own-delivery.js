// OwnDelivery: how much of this device's own log each member of a room holds, from their
// heads and their acks (docs/protocol.md §8), kept with the room record: "Delivered"
// outlives their link and a reload.
//
//   const delivery = new OwnDelivery({ room, store })
//   delivery.note(memberId, length) -> whether it grew (then it is saved)
//   delivery.holders(seq)           -> how many members hold our entry at `seq`
//   delivery.holds(memberId, length) -> whether that member holds our first `length` entries
//   await delivery.whenHeld({ held: () => bool, changes: EventTarget, ms })
export class OwnDelivery {
  constructor({ room, store }) {
    this.room = room;
    this.store = store;
  }

  note(memberId, length) {
    this.room.ownHeldBy ??= {};
    if (length <= (this.room.ownHeldBy[memberId] ?? 0)) return false;
    this.room.ownHeldBy[memberId] = length;
    this.store.saveRoom(this.room).catch((error) => console.warn('delivery state not saved', error));
    return true;
  }

  holders(seq) {
    return Object.values(this.room.ownHeldBy ?? {}).filter((length) => length > seq).length;
  }

  holds(memberId, length) {
    return (this.room.ownHeldBy?.[memberId] ?? 0) >= length;
  }

  // Resolves when `held()` says so, asked at once and on each 'change' of `changes`, or
  // after `ms`, whichever comes first.
  whenHeld({ held, changes, ms }) {
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
