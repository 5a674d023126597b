// The speed a file card shows: bytes verified over a sliding window, so a stall shows
// within seconds. Time is passed in (ms, performance.now() by default).
//
//   const meter = new SpeedMeter(); meter.add(now, bytes); meter.speed(now); meter.clear()

// Speed is the bytes verified over this window.
export const SPEED_WINDOW_MS = 3000;
// A window shorter than this (the first chunks) would exaggerate the speed.
const MIN_SPEED_SPAN_MS = 500;

export class SpeedMeter {
  #samples = []; // [at (ms), bytes]

  add(at, bytes) {
    this.#samples.push([at, bytes]);
  }

  clear() {
    this.#samples = [];
  }

  // Bytes/s over the last SPEED_WINDOW_MS; 0 from fewer than two samples.
  speed(now = performance.now()) {
    this.#samples = this.#samples.filter(([at]) => now - at <= SPEED_WINDOW_MS);
    if (this.#samples.length < 2) return 0;
    const span = Math.max(MIN_SPEED_SPAN_MS, now - this.#samples[0][0]);
    return this.#samples.reduce((sum, [, bytes]) => sum + bytes, 0) / (span / 1000);
  }
}
