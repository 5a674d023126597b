// The `join` of a member who came through an invite waits until the room's history has
// arrived (the batches stopped for a moment), the member writes something first, or a
// while has passed, so that its Lamport clock puts it after what was said before
// (docs/protocol.md §8) rather than at clock 1 among the room's first entries.
//
//   const join = new PendingJoin(() => write the join)
//   join.wait(ms)    (re)arm: the join is due in `ms`, and never later than the `ms` of
//                    the first wait: a steady stream of history does not hold it back
//   join.take()      -> whether one was pending (it no longer is): write it now
//   join.stop()
export class PendingJoin {
  constructor(onDue, now = () => Date.now()) {
    this.onDue = onDue;
    this.now = now;
    this.pending = false;
    this.timer = null;
    this.deadline = null;
  }

  wait(ms) {
    if (!this.pending) this.deadline = this.now() + ms;
    this.pending = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.take()) this.onDue();
    }, Math.max(0, Math.min(ms, this.deadline - this.now())));
  }

  take() {
    const was = this.pending;
    this.stop();
    return was;
  }

  stop() {
    this.pending = false;
    this.deadline = null;
    clearTimeout(this.timer);
  }
}
