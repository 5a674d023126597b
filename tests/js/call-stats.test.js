import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  QUALITY_THRESHOLDS, SPEAKING_HOLD_MS, SpeakingDetector, formatQuality, linkQuality, snapshotOf,
} from '../../static/app/calls/call-stats.js';

// A real Chromium capture, trimmed (scripts/capture_call_stats.py): the caller's side of two
// connected RTCPeerConnections with fake-device audio and video, two reports ~1 s apart.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/chromium-call-stats.json', import.meta.url)));
const asReport = (list) => new Map(list.map((stats) => [stats.id, stats]));
const [first, second] = fixture.reports.map(asReport);

// Synthetic reports in the same shapes: one audio and one video stream each way.
function report({
  at = 10_000, audioIn = {}, videoIn = {}, audioOut = 0, videoOut = 0, remoteEnergy = [0, 0], localEnergy = [0, 0],
  transport = true, pairs = [{ id: 'CP1', state: 'succeeded', nominated: true, currentRoundTripTime: 0.05 }],
} = {}) {
  const list = [
    { type: 'inbound-rtp', id: 'ITa', kind: 'audio', bytesReceived: 0, packetsReceived: 0, packetsLost: 0,
      totalAudioEnergy: remoteEnergy[0], totalSamplesDuration: remoteEnergy[1], trackIdentifier: 'remote-mic',
      ...audioIn },
    { type: 'inbound-rtp', id: 'ITv', kind: 'video', bytesReceived: 0, packetsReceived: 0, packetsLost: 0,
      trackIdentifier: 'remote-cam', ...videoIn },
    { type: 'outbound-rtp', id: 'OTa', kind: 'audio', bytesSent: audioOut },
    { type: 'outbound-rtp', id: 'OTv', kind: 'video', bytesSent: videoOut },
    { type: 'media-source', id: 'SA', kind: 'audio', totalAudioEnergy: localEnergy[0], totalSamplesDuration: localEnergy[1] },
    { type: 'media-source', id: 'SV', kind: 'video' },
    ...pairs.map((pair) => ({ type: 'candidate-pair', ...pair })),
  ];
  if (transport) list.push({ type: 'transport', id: 'T01', selectedCandidatePairId: pairs[0]?.id });
  return asReport(list.map((stats) => ({ timestamp: at, ...stats })));
}

test('a real Chromium report becomes a snapshot', () => {
  const snapshot = snapshotOf(second);
  const timestamps = fixture.reports[1].map((stats) => stats.timestamp);
  assert.equal(snapshot.at, Math.max(...timestamps));
  for (const kind of ['audio', 'video']) {
    assert.ok(snapshot[kind].bytesReceived > 0, kind);
    assert.ok(snapshot[kind].packetsReceived > 0, kind);
    assert.ok(snapshot[kind].bytesSent > 0, kind);
    assert.ok(snapshot[kind].packetsLost >= 0, kind);
  }
  assert.ok(snapshot.remoteAudio.duration > 0);
  assert.ok(snapshot.localAudio.duration > 0);
  assert.equal(typeof snapshot.rttMs, 'number');
  const videoTracks = fixture.reports[1].filter((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  assert.deepEqual(snapshot.remoteVideoTrackIds, videoTracks.map((s) => s.trackIdentifier));
  assert.equal(snapshotOf(second, 1234).at, 1234);
});

test('the RTT is the selected candidate pair\'s, not just any nominated one', () => {
  const stats = fixture.reports[1];
  const selectedId = stats.find((s) => s.type === 'transport').selectedCandidatePairId;
  const selected = stats.find((s) => s.id === selectedId);
  assert.equal(snapshotOf(second).rttMs, selected.currentRoundTripTime * 1000);
  // Chromium keeps several succeeded, nominated pairs: the transport's pointer decides.
  const pairs = [
    { id: 'CPold', state: 'succeeded', nominated: true, currentRoundTripTime: 0.3 },
    { id: 'CPnew', state: 'succeeded', nominated: true, currentRoundTripTime: 0.02 },
  ];
  const list = [...report({ pairs }).values()].filter((s) => s.type !== 'transport');
  list.push({ type: 'transport', id: 'T01', timestamp: 10_000, selectedCandidatePairId: 'CPnew' });
  assert.equal(snapshotOf(asReport(list)).rttMs, 20);
});

test('a real interval gives bitrates, an RTT and levels in range', () => {
  const quality = linkQuality(snapshotOf(first), snapshotOf(second));
  assert.ok(quality.inboundKbps > 0);
  assert.ok(quality.outboundKbps > 0);
  assert.ok(quality.lossPercent >= 0 && quality.lossPercent <= 100);
  assert.equal(typeof quality.rttMs, 'number');
  // The fake device beeps on both sides, and the remote audio is played out.
  for (const level of [quality.level, quality.localLevel]) assert.ok(level > 0 && level <= 1, String(level));
  assert.ok(['good', 'fair', 'poor'].includes(quality.grade));
  assert.match(formatQuality(quality), /^\S+ [kM]bps ↓ · \S+ [kM]bps ↑ · [\d.]+% loss · \d+ ms$/);
});

test('bitrates and loss are computed over the interval, both kinds', () => {
  const before = snapshotOf(report({ at: 10_000 }));
  const after = snapshotOf(report({
    at: 10_500,
    audioIn: { bytesReceived: 4_000, packetsReceived: 25, packetsLost: 0 },
    videoIn: { bytesReceived: 60_000, packetsReceived: 70, packetsLost: 5 },
    audioOut: 3_000, videoOut: 27_000,
  }));
  const quality = linkQuality(before, after);
  assert.equal(quality.inboundKbps, (64_000 * 8) / 1000 / 0.5); // 1024 kbps
  assert.equal(quality.outboundKbps, (30_000 * 8) / 1000 / 0.5); // 480 kbps
  assert.equal(quality.lossPercent, 5); // 5 lost of 100 expected
  assert.equal(quality.rttMs, 50);
  assert.equal(quality.grade, 'fair'); // 5% is fair; more than 5% is poor
  assert.equal(formatQuality(quality), '1.0 Mbps ↓ · 480 kbps ↑ · 5% loss · 50 ms');
});

test('grades follow the documented thresholds', () => {
  const grade = ({ lost = 0, rtt = 0.05 }) => linkQuality(
    snapshotOf(report({ at: 0 })),
    snapshotOf(report({
      at: 1000,
      audioIn: { packetsReceived: 1000 - lost, packetsLost: lost },
      pairs: [{ id: 'CP1', state: 'succeeded', nominated: true, currentRoundTripTime: rtt }],
    })),
  ).grade;
  const { poor, fair } = QUALITY_THRESHOLDS;
  assert.equal(grade({}), 'good');
  assert.equal(grade({ lost: fair.lossPercent * 10 }), 'good');
  assert.equal(grade({ lost: fair.lossPercent * 10 + 1 }), 'fair');
  assert.equal(grade({ lost: poor.lossPercent * 10 + 1 }), 'poor');
  assert.equal(grade({ rtt: fair.rttMs / 1000 + 0.001 }), 'fair');
  assert.equal(grade({ rtt: poor.rttMs / 1000 + 0.001 }), 'poor');
  assert.equal(grade({ lost: 2 * fair.lossPercent * 10, rtt: poor.rttMs / 1000 + 0.001 }), 'poor');
});

test('no interval, or nothing at all to judge by, is unknown', () => {
  const current = snapshotOf(report({ at: 10_000, audioIn: { packetsReceived: 50 } }));
  for (const previous of [null, current, snapshotOf(report({ at: 11_000 }))]) {
    const quality = linkQuality(previous, current);
    assert.deepEqual(quality, {
      inboundKbps: null, outboundKbps: null, lossPercent: null, rttMs: 50, level: null, localLevel: null,
      grade: 'unknown',
    });
    assert.equal(formatQuality(quality), '50 ms');
  }
  // An interval where nothing arrived: 0% loss, but no evidence either way without an RTT.
  const silent = (at) => snapshotOf(report({ at, pairs: [] }));
  const quality = linkQuality(silent(0), silent(500));
  assert.equal(quality.lossPercent, 0);
  assert.equal(quality.rttMs, null);
  assert.equal(quality.grade, 'unknown');
  assert.equal(quality.level, null);
  assert.equal(formatQuality(quality), '0 kbps ↓ · 0 kbps ↑ · 0% loss');
  // With an RTT, nothing expected still grades on the RTT.
  assert.equal(linkQuality(snapshotOf(report({ at: 0 })), snapshotOf(report({ at: 500 }))).grade, 'good');
});

test('counters that went down restart their baseline instead of going negative', () => {
  const before = snapshotOf(report({
    at: 0,
    audioIn: { bytesReceived: 50_000, packetsReceived: 500, packetsLost: 10 },
    videoIn: { bytesReceived: 900_000, packetsReceived: 900, packetsLost: 3 },
    audioOut: 40_000, videoOut: 800_000, remoteEnergy: [5, 10], localEnergy: [2, 10],
  }));
  // The video receiver restarted (its counters from 0), the audio sender was replaced, and
  // late duplicates corrected the audio loss count downwards.
  const after = snapshotOf(report({
    at: 1000,
    audioIn: { bytesReceived: 54_000, packetsReceived: 550, packetsLost: 8 },
    videoIn: { bytesReceived: 10_000, packetsReceived: 12, packetsLost: 0 },
    audioOut: 1_000, videoOut: 820_000, remoteEnergy: [0.1, 0.5], localEnergy: [2.01, 11],
  }));
  const quality = linkQuality(before, after);
  assert.equal(quality.inboundKbps, 32); // audio's 4000 bytes; the restarted video adds nothing
  assert.equal(quality.outboundKbps, 160); // video's 20000 bytes; the replaced audio adds nothing
  assert.equal(quality.lossPercent, 0);
  assert.equal(quality.level, null); // the remote audio's energy restarted: no interval for it
  assert.ok(Math.abs(quality.localLevel - 0.1) < 1e-9);
  for (const value of Object.values(quality)) if (typeof value === 'number') assert.ok(value >= 0);
});

test('the RTT falls back to a nominated pair, then to RTCP, else null', () => {
  const pairs = [
    { id: 'CPfailed', state: 'failed', nominated: false, currentRoundTripTime: 0.9 },
    { id: 'CPok', state: 'succeeded', nominated: true, currentRoundTripTime: 0.04 },
  ];
  // No transport stats at all, or one pointing at a pair that is not in the report.
  assert.equal(snapshotOf(report({ pairs, transport: false })).rttMs, 40);
  const dangling = [...report({ pairs, transport: false }).values()];
  dangling.push({ type: 'transport', id: 'T01', timestamp: 0, selectedCandidatePairId: 'CPgone' });
  assert.equal(snapshotOf(asReport(dangling)).rttMs, 40);
  // Firefox marks the pair in use `selected`.
  const firefox = [{ id: 'CPff', state: 'succeeded', nominated: false, selected: true, currentRoundTripTime: 0.07 }];
  assert.equal(snapshotOf(report({ pairs: firefox, transport: false })).rttMs, 70);
  // No pair with an RTT: the worst RTCP round trip.
  const rtcp = [...report({ pairs: [{ id: 'CPx', state: 'in-progress', nominated: false }] }).values()];
  rtcp.push(
    { type: 'remote-inbound-rtp', id: 'RIA', timestamp: 0, kind: 'audio', roundTripTime: 0.081 },
    { type: 'remote-inbound-rtp', id: 'RIV', timestamp: 0, kind: 'video', roundTripTime: 0.12 },
  );
  assert.equal(snapshotOf(asReport(rtcp)).rttMs, 120);
  assert.equal(snapshotOf(report({ pairs: [], transport: false })).rttMs, null);
});

test('snapshots take arrays and odd reports, and default their time', () => {
  assert.equal(snapshotOf(fixture.reports[0]).video.bytesReceived, snapshotOf(first).video.bytesReceived);
  const bare = snapshotOf(new Map([['x', { type: 'inbound-rtp', id: 'x', kind: 'audio', bytesReceived: 'n/a' }]]), 5);
  assert.equal(bare.audio.bytesReceived, 0);
  assert.equal(bare.rttMs, null);
  assert.deepEqual(bare.remoteVideoTrackIds, []);
  const empty = snapshotOf(new Map());
  assert.equal(typeof empty.at, 'number');
  assert.ok(Number.isFinite(empty.at));
});

test('levels are the RMS over the interval', () => {
  const at = (time, remote, local) => snapshotOf(report({ at: time, remoteEnergy: remote, localEnergy: local }));
  // 0.5 s at level 0.2 adds 0.2² × 0.5 = 0.02 energy.
  const quality = linkQuality(at(0, [1, 10], [0, 0]), at(500, [1.02, 10.5], [0, 0]));
  assert.ok(Math.abs(quality.level - 0.2) < 1e-9);
  assert.equal(quality.localLevel, null); // no local audio measured (no microphone)
});

test('the speaking detector starts at once and stops after a held silence', () => {
  const detector = new SpeakingDetector();
  const feed = (samples) => samples.map(([level, at]) => detector.update(level, at));
  assert.deepEqual(feed([[0, 0], [0.015, 500], [null, 1000]]), [false, false, false]);
  assert.equal(detector.update(0.05, 1500), true);
  // Quiet but above the stop level keeps speaking however long it lasts.
  assert.deepEqual(feed([[0.015, 2000], [0.012, 3000], [0.011, 9000]]), [true, true, true]);
  // Below the stop level: still speaking until SPEAKING_HOLD_MS of it.
  assert.deepEqual(feed([[0.005, 10_000], [0, 10_000 + SPEAKING_HOLD_MS - 1]]), [true, true]);
  assert.equal(detector.update(null, 10_000 + SPEAKING_HOLD_MS), false);
  assert.equal(detector.speaking, false);
});

test('a word between pauses restarts the silence count', () => {
  const detector = new SpeakingDetector();
  detector.update(0.1, 0);
  assert.equal(detector.update(0, 500), true);
  assert.equal(detector.update(0.03, 1000), true); // speech again
  assert.equal(detector.update(0, 1500), true);
  assert.equal(detector.update(0.015, 1900), true); // in between: counts as not silent
  assert.equal(detector.update(0, 2000), true);
  assert.equal(detector.update(0, 2000 + SPEAKING_HOLD_MS), false);
  // A clock that steps back does not end speech early.
  detector.update(0.5, 5000);
  detector.update(0, 5000);
  assert.equal(detector.update(0, 4000), true);
  assert.equal(detector.update(0, 4000 + SPEAKING_HOLD_MS - 1), true);
  detector.reset();
  assert.equal(detector.speaking, false);
  assert.throws(() => new SpeakingDetector({ startLevel: 0.01, stopLevel: 0.02 }), RangeError);
  const custom = new SpeakingDetector({ startLevel: 0.5, stopLevel: 0.1, holdMs: 100 });
  assert.equal(custom.update(0.3, 0), false);
});

test('formatQuality leaves out what is unknown', () => {
  assert.equal(formatQuality(null), '');
  assert.equal(formatQuality({ inboundKbps: null, outboundKbps: null, lossPercent: null, rttMs: null }), '');
  assert.equal(
    formatQuality({ inboundKbps: 512.4, outboundKbps: 479.6, lossPercent: 0.44, rttMs: 23.2 }),
    '512 kbps ↓ · 480 kbps ↑ · 0.4% loss · 23 ms',
  );
  assert.equal(formatQuality({ inboundKbps: 2345, outboundKbps: null, lossPercent: 12.6, rttMs: null }), '2.3 Mbps ↓ · 13% loss');
  assert.equal(formatQuality({ inboundKbps: null, outboundKbps: 64, lossPercent: 0, rttMs: 0 }), '64 kbps ↑ · 0% loss · 0 ms');
});
