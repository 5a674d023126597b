// Link quality and speaking indicators for a call, from RTCStatsReports. Pure: no DOM, no
// RTCPeerConnection, no timers; the call UI polls pc.getStats() (one connection per
// remote participant: calls are a mesh) and hands the reports here.
//
//   const detector = new SpeakingDetector();
//   let previous = null;
//   every ~500 ms, per participant:
//     const current = snapshotOf(await pc.getStats());
//     const quality = linkQuality(previous, current);
//     previous = current;
//     tile.speaking = detector.update(quality.level, current.at);
//     tile.title = formatQuality(quality);   // "512 kbps ↓ · 480 kbps ↑ · 0.4% loss · 23 ms"
//
// Reports are reduced to small snapshots right away so the UI holds no live stats objects,
// and every rate is a difference of two snapshots: the cumulative counters the browser
// gives (bytes, packets, audio energy) say nothing about "now" on their own.
//
// Field names are those of the W3C webrtc-stats spec as Chromium fills them in;
// tests/js/fixtures/chromium-call-stats.json is a real Chromium capture
// (scripts/capture_call_stats.py). A missing field counts as 0 or unknown, never as an error:
// browsers differ, and a tooltip must not break a call.

// Grades, checked worst first. Loss in percent of the packets expected over one interval,
// RTT in ms. Voice gets hard to follow past a few percent loss (concealment stops hiding
// it) and conversation turns awkward past ~400 ms round trip (ITU-T G.114 puts the comfort
// limit for one way at 150-200 ms).
export const QUALITY_THRESHOLDS = Object.freeze({
  poor: Object.freeze({ lossPercent: 5, rttMs: 400 }),
  fair: Object.freeze({ lossPercent: 1, rttMs: 200 }),
});

// Levels are RMS audio levels, 0..1 with 1 = full scale (the scale of the spec's audioLevel).
// 0.02 (about -34 dBFS) is quiet speech at a normal distance; 0.01 (-40 dBFS) is above the
// room noise most echo-cancelled, noise-suppressed microphones leave. The gap between the
// two and the hold time keep the indicator from flickering between words.
export const SPEAKING_START_LEVEL = 0.02;
export const SPEAKING_STOP_LEVEL = 0.01;
export const SPEAKING_HOLD_MS = 600;

const KINDS = ['audio', 'video'];

const count = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const emptyKind = () => ({ bytesReceived: 0, packetsReceived: 0, packetsLost: 0, bytesSent: 0 });

// report: an RTCStatsReport, or anything iterable with .values() (a Map of id -> stats,
// an array of stats). at: ms; defaults to the report's timestamp, else Date.now().
//
// Returns {
//   at,
//   audio: { bytesReceived, packetsReceived, packetsLost, bytesSent },
//   video: { bytesReceived, packetsReceived, packetsLost, bytesSent },
//   remoteAudio: { energy, duration },   // inbound-rtp audio: totalAudioEnergy, totalSamplesDuration (s)
//   localAudio: { energy, duration },    // media-source audio: the same, for our microphone
//   rttMs,                               // number, or null when unknown
//   remoteVideoTrackIds: [trackIdentifier, ...],
// }
// Counters are summed over all streams of a kind: a renegotiation that adds a stream (or
// simulcast layers on the way out) must not hide the others.
export function snapshotOf(report, at) {
  const snapshot = {
    at: 0,
    audio: emptyKind(),
    video: emptyKind(),
    remoteAudio: { energy: 0, duration: 0 },
    localAudio: { energy: 0, duration: 0 },
    rttMs: null,
    remoteVideoTrackIds: [],
  };
  const pairs = new Map();
  const selectedPairIds = [];
  const rtcpRtts = [];
  let reportTime = null;
  for (const stats of report.values()) {
    if (!stats || typeof stats !== 'object') continue;
    if (typeof stats.timestamp === 'number' && (reportTime === null || stats.timestamp > reportTime)) {
      reportTime = stats.timestamp;
    }
    const kind = KINDS.includes(stats.kind) ? snapshot[stats.kind] : null;
    switch (stats.type) {
      case 'inbound-rtp':
        if (!kind) break;
        kind.bytesReceived += count(stats.bytesReceived);
        kind.packetsReceived += count(stats.packetsReceived);
        kind.packetsLost += count(stats.packetsLost);
        if (stats.kind === 'audio') {
          snapshot.remoteAudio.energy += count(stats.totalAudioEnergy);
          snapshot.remoteAudio.duration += count(stats.totalSamplesDuration);
        } else if (typeof stats.trackIdentifier === 'string') {
          snapshot.remoteVideoTrackIds.push(stats.trackIdentifier);
        }
        break;
      case 'outbound-rtp':
        if (kind) kind.bytesSent += count(stats.bytesSent);
        break;
      case 'media-source':
        if (stats.kind === 'audio') {
          snapshot.localAudio.energy += count(stats.totalAudioEnergy);
          snapshot.localAudio.duration += count(stats.totalSamplesDuration);
        }
        break;
      case 'transport':
        if (typeof stats.selectedCandidatePairId === 'string') selectedPairIds.push(stats.selectedCandidatePairId);
        break;
      case 'candidate-pair':
        pairs.set(stats.id, stats);
        break;
      case 'remote-inbound-rtp':
        if (typeof stats.roundTripTime === 'number') rtcpRtts.push(stats.roundTripTime);
        break;
      default:
    }
  }
  snapshot.at = typeof at === 'number' ? at : reportTime ?? Date.now();
  snapshot.rttMs = roundTripMs(pairs, selectedPairIds, rtcpRtts);
  return snapshot;
}

// The RTT of the path media takes: several candidate pairs can be nominated and succeeded
// at once (Chromium keeps the losers of ICE around), so the transport's own pointer wins.
// Browsers without transport stats (Firefox) mark the pair `selected` instead. Last resort,
// the RTCP round trip of the RTP streams: it lags by a report interval but exists
// everywhere; the worst one, as that is the one the user notices.
function roundTripMs(pairs, selectedPairIds, rtcpRtts) {
  const usable = (pair) => Number.isFinite(pair?.currentRoundTripTime);
  const chosen = (pair) => pair.selected === true || (pair.nominated === true && pair.state === 'succeeded');
  let pair = selectedPairIds.map((id) => pairs.get(id)).find(usable);
  pair ??= [...pairs.values()].find((p) => usable(p) && chosen(p));
  if (pair) return pair.currentRoundTripTime * 1000;
  const rtts = rtcpRtts.filter((rtt) => Number.isFinite(rtt));
  return rtts.length ? Math.max(...rtts) * 1000 : null;
}

// How far a cumulative counter moved. A counter that went down did not run backwards: a
// stream ended (its counters left the sum), a receiver restarted, or packetsLost was
// corrected by late duplicates (it may shrink, per spec). Its baseline restarts at the
// new value, so the interval adds nothing rather than a negative number or, by counting
// from 0, a spike of everything a surviving stream ever carried.
const grew = (before, after) => Math.max(0, after - before);

// RMS level over the interval: totalAudioEnergy accumulates level² × seconds, so energy
// gained over time elapsed is the mean square. null when no audio was measured (no audio
// track, a sender with no track at all, or Chromium not playing the remote track out); a
// muted track still sends silence, so it reads as about 0, not null.
function levelOver(before, after) {
  const duration = grew(before.duration, after.duration);
  if (duration <= 0) return null;
  return Math.min(1, Math.sqrt(grew(before.energy, after.energy) / duration));
}

// previous, current: snapshots of the same connection (previous null on the first poll).
// Returns {
//   inboundKbps, outboundKbps,   // all media, both kinds; null without an interval
//   lossPercent,                 // inbound packets lost / expected over the interval, both kinds;
//                                // 0 when nothing was expected, null without an interval
//   rttMs,                       // the current round trip, null if unknown
//   level, localLevel,           // remote / our RMS audio level 0..1 over the interval, or null
//   grade: 'good' | 'fair' | 'poor' | 'unknown',
// }
// 'unknown' when there is no interval, or when nothing arrived and the RTT is unknown too:
// a silent link is not evidence of a good one.
export function linkQuality(previous, current) {
  const rttMs = current.rttMs ?? null;
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!(seconds > 0)) {
    return {
      inboundKbps: null, outboundKbps: null, lossPercent: null, rttMs, level: null, localLevel: null, grade: 'unknown',
    };
  }
  let inBytes = 0;
  let outBytes = 0;
  let received = 0;
  let lost = 0;
  for (const kind of KINDS) {
    const before = previous[kind];
    const after = current[kind];
    inBytes += grew(before.bytesReceived, after.bytesReceived);
    outBytes += grew(before.bytesSent, after.bytesSent);
    received += grew(before.packetsReceived, after.packetsReceived);
    lost += grew(before.packetsLost, after.packetsLost);
  }
  const expected = received + lost;
  const lossPercent = expected > 0 ? (lost / expected) * 100 : 0;
  return {
    inboundKbps: (inBytes * 8) / 1000 / seconds,
    outboundKbps: (outBytes * 8) / 1000 / seconds,
    lossPercent,
    rttMs,
    level: levelOver(previous.remoteAudio, current.remoteAudio),
    localLevel: levelOver(previous.localAudio, current.localAudio),
    grade: expected === 0 && rttMs === null ? 'unknown' : gradeOf(lossPercent, rttMs),
  };
}

function gradeOf(lossPercent, rttMs) {
  const past = ({ lossPercent: loss, rttMs: rtt }) => lossPercent > loss || (rttMs !== null && rttMs > rtt);
  if (past(QUALITY_THRESHOLDS.poor)) return 'poor';
  if (past(QUALITY_THRESHOLDS.fair)) return 'fair';
  return 'good';
}

// Whether someone is speaking, from their level over time. Starts at once on a level of
// SPEAKING_START_LEVEL or more (a late indicator feels broken); stops only once the level
// has stayed under SPEAKING_STOP_LEVEL for SPEAKING_HOLD_MS, so pauses between words and
// the quiet ends of syllables do not blink it off. A level in between keeps the current
// state. null or missing levels count as silence (no audio is not speech).
//
// Quiet time is counted from the first quiet sample seen: with 500 ms polls the indicator
// goes off 500-1000 ms after the voice stopped.
export class SpeakingDetector {
  #start;
  #stop;
  #holdMs;
  #speaking = false;
  #quietSince = null;

  constructor({ startLevel = SPEAKING_START_LEVEL, stopLevel = SPEAKING_STOP_LEVEL, holdMs = SPEAKING_HOLD_MS } = {}) {
    if (!(stopLevel <= startLevel)) throw new RangeError('stopLevel must not exceed startLevel');
    this.#start = startLevel;
    this.#stop = stopLevel;
    this.#holdMs = holdMs;
  }

  get speaking() {
    return this.#speaking;
  }

  // level: 0..1 or null; at: ms (a clock of the caller's choice, e.g. snapshot.at).
  update(level, at = Date.now()) {
    const value = typeof level === 'number' && Number.isFinite(level) ? level : 0;
    if (value >= this.#start) {
      this.#speaking = true;
      this.#quietSince = null;
    } else if (!this.#speaking || value >= this.#stop) {
      this.#quietSince = null;
    } else {
      // A clock that stepped back restarts the count instead of ending speech early or never.
      if (this.#quietSince === null || at < this.#quietSince) this.#quietSince = at;
      if (at - this.#quietSince >= this.#holdMs) {
        this.#speaking = false;
        this.#quietSince = null;
      }
    }
    return this.#speaking;
  }

  reset() {
    this.#speaking = false;
    this.#quietSince = null;
  }
}

const rate = (kbps) => (kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbps` : `${Math.round(kbps)} kbps`);
// One decimal where it carries information (0.4% vs 0%), none past 10%.
const percent = (value) => `${value < 10 ? Math.round(value * 10) / 10 : Math.round(value)}%`;
const known = (value) => typeof value === 'number' && Number.isFinite(value);

// A linkQuality() result as one short line for a tooltip or overlay, unknown parts left
// out: "512 kbps ↓ · 480 kbps ↑ · 0.4% loss · 23 ms". '' when nothing is known.
export function formatQuality(quality) {
  if (!quality) return '';
  const parts = [];
  if (known(quality.inboundKbps)) parts.push(`${rate(quality.inboundKbps)} ↓`);
  if (known(quality.outboundKbps)) parts.push(`${rate(quality.outboundKbps)} ↑`);
  if (known(quality.lossPercent)) parts.push(`${percent(quality.lossPercent)} loss`);
  if (known(quality.rttMs)) parts.push(`${Math.round(quality.rttMs)} ms`);
  return parts.join(' · ');
}
