// Whether a link's traffic goes straight between the two devices or through a TURN
// relay, read from the browser's own statistics (docs/protocol.md §6, "ICE
// configuration"): the selected candidate pair, relayed when either end of it is a
// `relay` candidate.
//
//   await selectedRoute(pc) -> 'direct' | 'relayed' | null (no pair selected yet)
export async function selectedRoute(pc) {
  const reports = new Map();
  (await pc.getStats()).forEach((report) => reports.set(report.id, report));
  const pair = selectedPair(reports);
  if (!pair) return null;
  const local = reports.get(pair.localCandidateId);
  const remote = reports.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return local.candidateType === 'relay' || remote.candidateType === 'relay' ? 'relayed' : 'direct';
}

// Chromium and Safari name the pair on the transport; Firefox marks it `selected`.
function selectedPair(reports) {
  for (const report of reports.values()) {
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      return reports.get(report.selectedCandidatePairId) ?? null;
    }
  }
  for (const report of reports.values()) {
    if (report.type === 'candidate-pair' && report.selected) return report;
  }
  return null;
}
