// Remembers (sender identity, nonce) pairs of accepted envelopes (docs/protocol.md §4,
// check 11) until their timestamp leaves the freshness window, after which the stale
// check rejects a replay anyway. Memory is bounded: when full, the oldest pair is
// forgotten and its timestamp becomes a floor at or below which everything counts as a
// replay, so forgetting never lets a replay through (it may reject a late original).
import { toBase64Url } from '../crypto/bytes.js';

export const FRESHNESS_PAST_MS = 120_000;

export class ReplayGuard {
  #windowMs;
  #maxEntries;
  #timestamps = new Map();
  #floor = -Infinity;

  constructor({ windowMs = FRESHNESS_PAST_MS, maxEntries = 10_000 } = {}) {
    if (!(windowMs >= FRESHNESS_PAST_MS)) {
      throw new RangeError('windowMs shorter than the freshness window would let replays through');
    }
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  get size() {
    return this.#timestamps.size;
  }

  has(senderIdentity, nonce, timestamp, now = Date.now()) {
    this.#forgetExpired(now);
    return timestamp <= this.#floor || this.#timestamps.has(pairKey(senderIdentity, nonce));
  }

  remember(senderIdentity, nonce, timestamp, now = Date.now()) {
    this.#forgetExpired(now);
    const key = pairKey(senderIdentity, nonce);
    this.#timestamps.delete(key);
    while (this.#timestamps.size >= this.#maxEntries) {
      const [oldestKey, oldestTimestamp] = this.#timestamps.entries().next().value;
      this.#timestamps.delete(oldestKey);
      this.#floor = Math.max(this.#floor, oldestTimestamp);
    }
    this.#timestamps.set(key, timestamp);
  }

  // Pairs arrive roughly in timestamp order, so expired ones collect at the front.
  #forgetExpired(now) {
    const horizon = now - this.#windowMs;
    for (const [key, timestamp] of this.#timestamps) {
      if (timestamp >= horizon) break;
      this.#timestamps.delete(key);
    }
  }
}

function pairKey(senderIdentity, nonce) {
  return toBase64Url(senderIdentity) + toBase64Url(nonce);
}
