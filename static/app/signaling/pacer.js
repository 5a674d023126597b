// FramePacer: keeps a client under the server's token bucket (docs/protocol.md §5), so
// a burst of ICE candidates to many peers is delayed instead of dropped as
// `rate_limited`. The limits come from the server's `welcome`.
//
//   const pacer = new FramePacer({ ratePerSecond, burst, send, now, schedule })
//   pacer.push(frame)   // sent now if a token is free, else queued in order
//   pacer.reset()       // drop the queue (the socket closed)

const SAFETY = 0.9; // stay a little under the server's numbers: clocks differ
const MAX_QUEUE = 1000;

export class FramePacer {
  constructor({ ratePerSecond, burst, send, now = () => performance.now(), schedule = setTimeout }) {
    this.rate = Math.max(0.1, ratePerSecond * SAFETY) / 1000; // tokens per ms
    this.capacity = Math.max(1, Math.floor(burst * SAFETY));
    this.tokens = this.capacity;
    this.send = send;
    this.now = now;
    this.schedule = schedule;
    this.last = now();
    this.queue = [];
    this.timer = null;
  }

  push(frame) {
    if (this.queue.length >= MAX_QUEUE) return false;
    this.queue.push(frame);
    this.#drain();
    return true;
  }

  reset() {
    this.queue = [];
    clearTimeout(this.timer);
    this.timer = null;
  }

  get pending() {
    return this.queue.length;
  }

  #drain() {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    while (this.queue.length && this.tokens >= 1) {
      this.tokens -= 1;
      this.send(this.queue.shift());
    }
    if (this.queue.length && !this.timer) {
      const wait = Math.ceil((1 - this.tokens) / this.rate);
      this.timer = this.schedule(() => {
        this.timer = null;
        this.#drain();
      }, wait);
    }
  }
}
