// Whether a link's traffic goes straight between the two devices or through a TURN
// relay, read from the browser's own statistics (docs/protocol.md §6, "ICE
// configuration"): the selected candidate pair, relayed when either end of it is a
// `relay` candidate.
//
//   await selectedRoute(pc) -> 'direct' | 'relayed' | null (no pair selected yet)
//   await selectedPairTypes(pc) -> { local: 'relay', remote: 'srflx' } | null
//
// LinkRoute keeps one link's route as it is now:
//   const route = new LinkRoute(pc, (now) => ...)   called each time the route changes
//   route.now                        'direct' | 'relayed' | null (unknown yet)
//   route.refresh()                  read it again (the link is ready, ICE changed state)
//   route.followSelectedPair()       and whenever the ICE transport selects another pair
//   await route.relaysHere()         whether this end's own relay candidate carries it
//   route.stop()                     the link closed: no more changes
export async function selectedRoute(pc) {
  const types = await selectedPairTypes(pc);
  if (!types) return null;
  return types.local === 'relay' || types.remote === 'relay' ? 'relayed' : 'direct';
}

// The candidate types of the selected pair, { local, remote }, or null (none selected).
export async function selectedPairTypes(pc) {
  const reports = new Map();
  (await pc.getStats()).forEach((report) => reports.set(report.id, report));
  const pair = selectedPair(reports);
  if (!pair) return null;
  const local = reports.get(pair.localCandidateId);
  const remote = reports.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return { local: local.candidateType, remote: remote.candidateType };
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

export class LinkRoute {
  constructor(pc, onChange) {
    this.pc = pc;
    this.onChange = onChange;
    this.now = null;
    this.queries = 0; // only the latest of overlapping reads counts
    this.stopped = false;
    this.iceTransport = null;
  }

  async refresh() {
    if (this.stopped || typeof this.pc.getStats !== 'function') return;
    const query = ++this.queries;
    let route;
    try {
      route = await selectedRoute(this.pc);
    } catch {
      return; // closed meanwhile: nothing to show
    }
    if (query !== this.queries || this.stopped || route === null || route === this.now) return;
    this.now = route;
    this.onChange(route);
  }

  // ICE may select a better pair while it stays `connected` (the relay's pair first, the
  // direct one once its checks succeed): only the ICE transport says so.
  followSelectedPair() {
    const iceTransport = this.pc.sctp?.transport?.iceTransport;
    if (!iceTransport || iceTransport === this.iceTransport) return;
    this.iceTransport = iceTransport;
    iceTransport.addEventListener('selectedcandidatepairchange', () => this.refresh());
  }

  async relaysHere() {
    if (this.stopped || typeof this.pc.getStats !== 'function') return false;
    try {
      return (await selectedPairTypes(this.pc))?.local === 'relay';
    } catch {
      return false; // closed meanwhile
    }
  }

  stop() {
    this.stopped = true;
  }
}
