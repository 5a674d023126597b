// Read receipts (docs/protocol.md §7 `read`): one signed `read` entry for a burst of
// reading, a few seconds after it, only while the user sends receipts (a device
// setting) and only for what others wrote; and how many members have read a message.
//
//   const receipts = new ReadReceipts({ enabled: () => bool, state: () => ({ view, selfId,
//     lastReadClock, canWrite, bigRoom }), write: (body) => promise })
//
// In a big room (more members than a full mesh links, docs/protocol.md §6) nobody writes
// receipts: each would reach every member, and the room would carry one per member per
// burst of reading.
//   receipts.afterRead(); receipts.stop()
//   readCount(view, selfId, message) -> members other than us who have read it
export const RECEIPT_DELAY_MS = 3000;

export class ReadReceipts {
  constructor({ enabled, state, write, delayMs = RECEIPT_DELAY_MS }) {
    Object.assign(this, { enabled, state, write, delayMs, timer: null });
  }

  afterRead() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.#send();
    }, this.delayMs);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  #send() {
    if (!this.enabled()) return;
    const { view, selfId, lastReadClock, canWrite, bigRoom = false } = this.state();
    if (!canWrite || bigRoom) return;
    const upTo = view.messages.findLast((m) => m.author !== selfId && m.clock <= lastReadClock)?.clock ?? 0;
    if (upTo <= (view.readUpTo.get(selfId) ?? 0)) return;
    this.write({ type: 'read', upTo }).catch((error) => console.warn('read receipt not written', error));
  }
}

export function readCount(view, selfId, message) {
  let count = 0;
  for (const [member, upTo] of view.readUpTo) if (member !== selfId && upTo >= message.clock) count += 1;
  return count;
}
