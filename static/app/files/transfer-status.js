// What a file card shows of a transfer (files/transfer-manager.js status()): its state
// as the user sees it, what is held, and the speed over the last few seconds.
import { CHUNK_SIZE } from './chunk-crypto.js';

const SPEED_WINDOW_MS = 3000;

// t: the transfer; sources: ready peers that announced a chunk it still lacks.
export function transferStatus(t, sources) {
  const held = t.tree.held.count();
  const heldBytes = Math.min(t.offer.size, held * CHUNK_SIZE);
  const speed = speedOf(t);
  let state = t.record.state;
  if (state === 'active') {
    if (t.finishing || held === t.count) state = 'verifying';
    else if (sources === 0) state = 'waiting';
    else state = 'transferring';
  }
  const remaining = t.offer.size - heldBytes;
  return {
    state, reason: t.record.reason, role: t.record.role, held, count: t.count, size: t.offer.size,
    bytes: heldBytes, speed, eta: speed > 0 && state === 'transferring' ? remaining / speed : null,
    received: t.record.received, duplicates: t.record.duplicates, rejected: t.rejected,
    ignored: t.ignored, served: t.served,
    peers: sources,
    // Who was marked for sending damaged chunks, by the name this room knows.
    banned: [...t.bannedPeers.values()],
  };
}

// Bytes/s of the chunks verified over the last SPEED_WINDOW_MS (t.samples: [at, bytes]).
function speedOf(t) {
  const now = performance.now();
  t.samples = t.samples.filter(([at]) => now - at <= SPEED_WINDOW_MS);
  if (t.samples.length < 2) return 0;
  const span = Math.max(500, now - t.samples[0][0]);
  return t.samples.reduce((sum, [, bytes]) => sum + bytes, 0) / (span / 1000);
}
