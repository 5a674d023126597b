// The `join` of a member who came through an invite waits until the room's history has
// arrived (the batches stopped for a moment), the member writes something first, or a
// while has passed, so that its Lamport clock puts it after what was said before
// (docs/protocol.md §8) rather than at clock 1 among the room's first entries.
//
//   const join = new PendingJoin(() => write the join)
//   join.wait(ms)    (re)arm: the join is due in `ms`
//   join.take()      -> whether one was pending (it no longer is): write it now
//   join.stop()
export class PendingJoin {
  constructor(onDue) {
    this.onDue = onDue;
    this.pending = false;
    this.timer = null;
  }

  wait(ms) {
    this.pending = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.take()) this.onDue();
    }, ms);
  }

  take() {
    const was = this.pending;
    this.stop();
    return was;
  }

  stop() {
    this.pending = false;
    clearTimeout(this.timer);
  }
}
