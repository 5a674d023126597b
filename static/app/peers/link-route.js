// Whether a link's traffic goes straight between the two devices or through a TURN
// relay, read from the browser's own statistics (docs/protocol.md §6, "ICE
// configuration"): the selected candidate pair, relayed when either end of it is a
// `relay` candidate.
//
//   await selectedRoute(pc) -> 'direct' | 'relayed' | null (no pair selected yet)
//   await selectedPairTypes(pc) -> { local: 'relay', remote: 'srflx', localUfrag } | null
//   await selectedRoundTripMs(pc) -> the selected pair's current round trip (ms) | null
//
// LinkRoute keeps one link's route as it is now:
//   const route = new LinkRoute(pc, { onChange: (now) => ..., onRead: () => ... })
//                                    onChange each time the route changes, onRead after
//                                    each reading of the selected pair
//   route.now                        'direct' | 'relayed' | null (unknown yet)
//   route.localType, route.localUfrag   this end's candidate in the pair: its type
//                                    ('relay', ...) and the ICE ufrag it was gathered for
//   route.refresh()                  read it again (the link is ready, ICE changed state)
//   route.followSelectedPair()       and whenever the ICE transport selects another pair
//   route.renewed(localSdp)          the ICE servers were renewed: what was gathered for
//                                    the ICE ufrag of `localSdp` (and before) is old
//   route.takeStaleRelay()           true, once per ufrag, when a relay carries the link
//                                    and our end of it was gathered before a renewal:
//                                    restart ICE
//   route.stop()                     the link closed: no more changes
//
// Why restart (docs/protocol.md §6, "Renewal"): so no allocation carrying the link stays
// under an old credential. Our own allocation may carry it even when our end of the
// selected pair is not our relay candidate: the two ends' selected pairs can differ (each
// sends to the other's relay), so any relayed link whose ufrag is stale restarts, and the
// restart makes both ends gather anew. The pair can move onto an old allocation after
// the renewal (the peer restarted while our answer gathered under the old credential), so
// each reading checks again. One restart per stale ufrag: the browser keeps a restart
// that a crossing offer rolled back pending, and negotiates it once stable.
export async function selectedRoute(pc) {
  const types = await selectedPairTypes(pc);
  return types && routeOf(types);
}

const routeOf = ({ local, remote }) => (local === 'relay' || remote === 'relay' ? 'relayed' : 'direct');

// The candidate types of the selected pair, { local, remote }, and the ICE ufrag of the
// local one, or null (none selected).
export async function selectedPairTypes(pc) {
  const reports = new Map();
  (await pc.getStats()).forEach((report) => reports.set(report.id, report));
  const pair = selectedPair(reports);
  if (!pair) return null;
  const local = reports.get(pair.localCandidateId);
  const remote = reports.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return { local: local.candidateType, remote: remote.candidateType, localUfrag: local.usernameFragment ?? null };
}

export async function selectedRoundTripMs(pc) {
  const reports = new Map();
  (await pc.getStats()).forEach((report) => reports.set(report.id, report));
  const seconds = selectedPair(reports)?.currentRoundTripTime;
  return Number.isFinite(seconds) ? seconds * 1000 : null;
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
  constructor(pc, { onChange = () => {}, onRead = () => {} } = {}) {
    this.pc = pc;
    this.onChange = onChange;
    this.onRead = onRead;
    this.now = null;
    this.localType = null;
    this.localUfrag = null;
    this.staleUfrags = new Set(); // ours, gathered before the latest renewal
    this.restartedFor = null;
    this.queries = 0; // only the latest of overlapping reads counts
    this.stopped = false;
    this.iceTransport = null;
  }

  async refresh() {
    if (this.stopped || typeof this.pc.getStats !== 'function') return;
    const query = ++this.queries;
    let types;
    try {
      types = await selectedPairTypes(this.pc);
    } catch {
      return; // closed meanwhile: nothing to show
    }
    if (query !== this.queries || this.stopped || types === null) return;
    this.localType = types.local;
    this.localUfrag = types.localUfrag;
    const route = routeOf(types);
    if (route !== this.now) {
      this.now = route;
      this.onChange(route);
    }
    this.onRead();
  }

  // ICE may select a better pair while it stays `connected` (the relay's pair first, the
  // direct one once its checks succeed): only the ICE transport says so.
  followSelectedPair() {
    const iceTransport = this.pc.sctp?.transport?.iceTransport;
    if (!iceTransport || iceTransport === this.iceTransport) return;
    this.iceTransport = iceTransport;
    iceTransport.addEventListener('selectedcandidatepairchange', () => this.refresh());
  }

  renewed(localSdp) {
    const ufrag = /^a=ice-ufrag:(\S+)\s*$/m.exec(localSdp ?? '')?.[1];
    if (ufrag) this.staleUfrags.add(ufrag);
  }

  takeStaleRelay() {
    const ufrag = this.localUfrag;
    if (this.now !== 'relayed' || !this.staleUfrags.has(ufrag) || this.restartedFor === ufrag) return false;
    this.restartedFor = ufrag;
    return true;
  }

  stop() {
    this.stopped = true;
  }
}
