"""What a page's RTCPeerConnections were told and chose, without touching the app.

    watch_peer_connections(context)       # before the page loads (an init script)
    seen = peer_connections(page)         # one dict per RTCPeerConnection the page made

An init script replaces `window.RTCPeerConnection` with a subclass that records, per
connection, the configuration it was made with (and each `setConfiguration`), every
remote description and remote candidate it was handed, and keeps the connection so its
`getStats()` can be read. That is what the "Hide my IP address" tests of issue 16 need:
no candidate of the hiding side other than relay ever reaches the other page, whether
in the SDP it received or in a trickled candidate, and which pair each link selected.
The app's modules are not touched; Chromium runs init scripts before any page script.
"""

_INIT = """(() => {
  const Native = window.RTCPeerConnection;
  const records = [];
  const byConnection = new WeakMap();
  const copy = (value) => JSON.parse(JSON.stringify(value ?? {}));
  class WatchedRTCPeerConnection extends Native {
    constructor(config, ...rest) {
      super(config, ...rest);
      const record = {
        pc: this, configs: [copy(config)], remoteSdps: [], remoteCandidates: [], iceStates: [],
        restarts: 0,
      };
      byConnection.set(this, record);
      records.push(record);
      this.addEventListener('iceconnectionstatechange', () => {
        record.iceStates.push(this.iceConnectionState);
      });
    }
    restartIce() {
      byConnection.get(this).restarts += 1;
      return super.restartIce();
    }
    setConfiguration(config) {
      byConnection.get(this).configs.push(copy(config));
      return super.setConfiguration(config);
    }
    setRemoteDescription(description, ...rest) {
      if (description?.sdp) byConnection.get(this).remoteSdps.push(description.sdp);
      return super.setRemoteDescription(description, ...rest);
    }
    addIceCandidate(candidate, ...rest) {
      if (candidate?.candidate) byConnection.get(this).remoteCandidates.push(candidate.candidate);
      return super.addIceCandidate(candidate, ...rest);
    }
  }
  window.RTCPeerConnection = WatchedRTCPeerConnection;
  window.__labPeerConnections = records;
})();"""

_READ = r"""async () => Promise.all((window.__labPeerConnections ?? []).map(async (record) => {
  const stats = await record.pc.getStats();
  const candidate = (s) => s && { type: s.candidateType, address: s.address, port: s.port };
  let pair = null;
  const statsRemoteCandidates = [];
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const selected = stats.get(s.selectedCandidatePairId);
      pair = { local: candidate(stats.get(selected.localCandidateId)),
               remote: candidate(stats.get(selected.remoteCandidateId)),
               localUfrag: stats.get(selected.localCandidateId)?.usernameFragment ?? null };
    }
    if (s.type === 'remote-candidate') statsRemoteCandidates.push(candidate(s));
  });
  const { configs, remoteSdps, remoteCandidates, iceStates, restarts } = record;
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(record.pc.localDescription?.sdp ?? '')?.[1] ?? null;
  return { state: record.pc.connectionState, configs, remoteSdps, remoteCandidates,
           statsRemoteCandidates, pair, iceStates, restarts, ufrag,
           signaling: record.pc.signalingState };
}))"""


def watch_peer_connections(context) -> None:
    """Record every RTCPeerConnection the context's pages make from now on."""
    context.add_init_script(_INIT)


def peer_connections(page) -> list[dict]:
    """Per RTCPeerConnection of the page: state, configs, remoteSdps, remoteCandidates
    (trickled candidate lines), statsRemoteCandidates and the selected pair (getStats),
    iceStates (every ICE connection state it went through) and restarts (restartIce calls)."""
    return page.evaluate(_READ)


def received_candidate_types(connection: dict) -> set[str]:
    """The types of every candidate the other side sent this connection (SDP, trickle)."""
    lines = [
        line.removeprefix("a=")
        for sdp in connection["remoteSdps"]
        for line in sdp.splitlines()
        if line.startswith("a=candidate:")
    ] + connection["remoteCandidates"]
    return {line.split()[line.split().index("typ") + 1] for line in lines}


def connected_links(page) -> list[dict]:
    """The page's RTCPeerConnections that are connected now (a link dialled twice or
    redialled leaves closed ones behind)."""
    return [c for c in peer_connections(page) if c["state"] == "connected"]


def pair_types(connection: dict) -> tuple[str, str]:
    """(local, remote) candidate types of the connection's selected pair."""
    pair = connection["pair"]
    assert pair, f"no selected pair: {connection['state']}"
    return pair["local"]["type"], pair["remote"]["type"]


def everything_received(connection: dict) -> str:
    """Every word the other side's ICE reached this connection with: the SDPs, the
    trickled candidates, and the remote candidates getStats knows, as one text."""
    stats = [f"{c['type']} {c['address']}" for c in connection["statsRemoteCandidates"]]
    return "\n".join([*connection["remoteSdps"], *connection["remoteCandidates"], *stats])
