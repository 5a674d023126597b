// The sender's wake budget (docs/protocol.md §10 "Waking"): the same member of a room is
// woken at most once a minute, so a burst of messages to someone away is one push.
//
//   const limiter = new WakeLimiter({ intervalMs: 60_000, now: () => Date.now() })
//   limiter.take(`${room}|${member}`)   -> true (go ahead, counted) | false (too soon)
//   limiter.giveBack(key)                -> the wake was never sent: the next may go
export const WAKE_INTERVAL_MS = 60_000;
const MAX_REMEMBERED = 4096;

export class WakeLimiter {
  constructor({ intervalMs = WAKE_INTERVAL_MS, now = () => Date.now() } = {}) {
    this.intervalMs = intervalMs;
    this.now = now;
    this.lastWake = new Map(); // key -> time of the last wake
  }

  take(key) {
    const now = this.now();
    const last = this.lastWake.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastWake.delete(key); // re-inserted last: Map order is then oldest first
    this.lastWake.set(key, now);
    if (this.lastWake.size > MAX_REMEMBERED) this.#forgetExpired(now);
    return true;
  }

  giveBack(key) {
    this.lastWake.delete(key);
  }

  #forgetExpired(now) {
    for (const [key, time] of this.lastWake) {
      if (now - time < this.intervalMs && this.lastWake.size <= MAX_REMEMBERED) break;
      this.lastWake.delete(key);
    }
  }
}
