// CallMonitor: reads each call link's getStats() twice a second while a call runs, for
// the speaking rings and the connection-quality view (calls/call-stats.js does the sums).
//
//   const monitor = new CallMonitor({ calls })
//   monitor.addEventListener('update', ...)
//   monitor.statsFor(key) -> { speaking, quality, text }   key: a peer's connectionId or 'self'
import { formatQuality, linkQuality, snapshotOf, SpeakingDetector } from './call-stats.js';

const POLL_MS = 500;
// Quality over about two seconds: one interval of half a second is too noisy to show.
const QUALITY_SPAN = 4;

export class CallMonitor extends EventTarget {
  constructor({ calls, pollMs = POLL_MS }) {
    super();
    this.calls = calls;
    this.pollMs = pollMs;
    this.snapshots = new Map(); // key -> recent snapshots, oldest first
    this.detectors = new Map(); // key -> SpeakingDetector
    this.stats = new Map(); // key -> { speaking, quality, text }
    this.timer = null;
    this.polling = false;
    calls.addEventListener('change', () => this.#schedule());
  }

  statsFor(key) {
    return this.stats.get(key) ?? { speaking: false, quality: null, text: '' };
  }

  #schedule() {
    const running = this.calls.links.size > 0;
    if (running && !this.timer) {
      this.timer = setInterval(() => this.#poll(), this.pollMs);
    } else if (!running && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.snapshots.clear();
      this.detectors.clear();
      this.stats.clear();
    }
  }

  async #poll() {
    if (this.polling) return; // a slow getStats: skip a beat rather than pile up
    this.polling = true;
    try {
      const links = [...this.calls.links.values()];
      const reports = await Promise.all(links.map((media) => media.pc.getStats().catch(() => null)));
      const seen = new Set(['self']);
      let localLevel = null;
      links.forEach((media, i) => {
        if (!reports[i]) return;
        const key = media.peer.connectionId;
        seen.add(key);
        const recent = this.#remember(key, snapshotOf(reports[i]));
        const latest = linkQuality(recent.at(-2), recent.at(-1));
        const quality = linkQuality(recent[0], recent.at(-1));
        localLevel = Math.max(localLevel ?? 0, latest.localLevel ?? 0);
        // A peer that turned its microphone off is silent, whatever the wire carries.
        const level = media.remote.mic ? latest.level : 0;
        this.stats.set(key, { speaking: this.#detector(key).update(level, Date.now()), quality, text: formatQuality(quality) });
      });
      const selfLevel = this.calls.muted ? 0 : localLevel;
      this.stats.set('self', { speaking: this.#detector('self').update(selfLevel, Date.now()), quality: null, text: '' });
      for (const key of [...this.stats.keys()]) {
        if (seen.has(key)) continue;
        this.stats.delete(key);
        this.snapshots.delete(key);
        this.detectors.delete(key);
      }
      this.dispatchEvent(new CustomEvent('update'));
    } finally {
      this.polling = false;
    }
  }

  #remember(key, snapshot) {
    const recent = this.snapshots.get(key) ?? [];
    recent.push(snapshot);
    if (recent.length > QUALITY_SPAN + 1) recent.shift();
    this.snapshots.set(key, recent);
    return recent;
  }

  #detector(key) {
    if (!this.detectors.has(key)) this.detectors.set(key, new SpeakingDetector());
    return this.detectors.get(key);
  }
}
