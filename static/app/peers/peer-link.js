// PeerLink: one RTCPeerConnection with the perfect-negotiation pattern and the
// `parley` data channel (docs/protocol.md §6).
//
//   const link = new PeerLink({ polite, initiator, rtcConfig })
//   link.addEventListener('signal', e => send e.detail.payload through a sealed envelope)
//   await link.signal(payload)            // a payload from a verified envelope
//   link.addEventListener('open', ...)    // certificate checked, channel open (the peer's
//                                         //   channel: once a frame came on it)
//   link.addEventListener('message', e => e.detail.frame)
//   link.addEventListener('closed', e => e.detail.reason)
//   link.addEventListener('bad-frame', e => e.detail.code)   a frame that failed its schema
//   link.addEventListener('route', ...)   link.route: 'direct' | 'relayed' | null (unknown yet)
//   link.updateConfiguration(rtcConfig)  new ICE servers (renewed credentials) for a live link
//   link.send(frame); link.close(reason, error, { lastWord: frame })
//   link.takeChannel('parley-file') -> { channel, early } | null   a side channel the
//     peer opened (docs/protocol.md §11), with the messages that came before its owner
//
// Until the link is authenticated, its signals go out as 'signal' events and the room
// swarm decides how they travel (sealed envelopes through the server). Once the owner
// calls authenticated(), every later negotiation (a call adding tracks, an ICE restart,
// §6) travels as `sdp` and `ice` frames on the `parley` channel itself, never through
// the server.
//
// When ICE fails on an authenticated link (a network change, a router restart) the link
// is not given up at once: the impolite end restarts ICE, and only if the connection is
// not back within iceRecoveryMs does the link close (`connection_failed`), for the room
// swarm to dial again. A link that never connected closes with a reason that says why
// when ICE could not find a path: `no_relay`, `relay_failed` or `relay_missing`.
import { hasRelay } from '../signaling/ice-servers.js';
import { checkRemoteCertificate, sdpFingerprint } from './dtls-fingerprint.js';
import { DataFrameError, encodeDataFrame, parseDataFrame, MAX_DATA_FRAME_BYTES } from './data-frames.js';
import { LinkRoute, selectedRoundTripMs } from './link-route.js';
import { SideChannels } from './side-channels.js';

const CONNECT_TIMEOUT_MS = 20_000;
const MAX_EARLY_FRAMES = 32;
const LAST_WORD_MS = 2000;
// Chromium closes a data channel whose send buffer passes 16 MiB; stop well before.
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
// ICE that stays `disconnected` this long (a network change, a NAT rebinding) is
// restarted by the impolite end; the restart's offer goes on the channel like any other.
export const ICE_RESTART_AFTER_MS = 3000;
// ICE that failed on an authenticated link gets this long to come back after the restart.
export const ICE_RECOVERY_MS = 15_000;

export class PeerLink extends EventTarget {
  constructor({
    polite, initiator, rtcConfig = {}, RTCPeerConnectionImpl = globalThis.RTCPeerConnection,
    iceRestartAfterMs = ICE_RESTART_AFTER_MS, iceRecoveryMs = ICE_RECOVERY_MS,
  }) {
    super();
    this.iceRestartAfterMs = iceRestartAfterMs;
    this.iceRecoveryMs = iceRecoveryMs;
    this.iceTimer = null;
    this.recoveryTimer = null;
    this.relayOnly = rtcConfig.iceTransportPolicy === 'relay';
    this.relayConfigured = hasRelay(rtcConfig.iceServers ?? []);
    this.polite = polite;
    this.state = 'connecting';
    this.closedReason = null;
    this.pc = new RTCPeerConnectionImpl(rtcConfig);
    this.linkRoute = new LinkRoute(this.pc, {
      onChange: (route) => this.#emit('route', { route }),
      onRead: () => this.#restartIfRelayIsStale(),
    });
    this.channel = null;
    this.ownChannel = null; // the `parley` channel we opened, while it may still be given up
    this.channelListeners = [];
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.pendingCandidates = [];
    this.verifiedRemoteSdp = null;
    this.certificateOk = false;
    this.certificateCheck = null; // the §6 check's promise, once the connection is up
    this.overChannel = false; // negotiation travels on the channel (after authenticated())
    this.earlyFrames = [];
    this.iceEverConnected = false; // a check succeeded on this link at some point
    this.sideChannels = new SideChannels();
    this.timeout = setTimeout(() => this.close(this.#unreachableReason('timeout')), CONNECT_TIMEOUT_MS);

    this.pc.addEventListener('negotiationneeded', () => this.#offer());
    this.pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) this.#sendSignal({ candidate: candidate.toJSON() });
    });
    this.pc.addEventListener('connectionstatechange', () => this.#onConnectionState());
    this.pc.addEventListener('iceconnectionstatechange', () => this.#onIceState());
    this.pc.addEventListener('datachannel', ({ channel }) => {
      if (channel.label === 'parley') {
        if (!this.channel) this.#adoptChannel(channel, { ours: false });
      } else {
        this.#holdSideChannel(channel);
      }
    });
    if (initiator) {
      this.ownChannel = this.pc.createDataChannel('parley', { ordered: true });
      this.#adoptChannel(this.ownChannel, { ours: true });
    }
  }

  get route() {
    return this.linkRoute.now;
  }

  // The link's round trip now (ms), or null: what a big room's shuffle weighs (§6).
  async roundTripMs() {
    try {
      return this.state === 'closed' ? null : await selectedRoundTripMs(this.pc);
    } catch {
      return null; // closed meanwhile
    }
  }

  async signal({ description, candidate }) {
    if (this.state === 'closed') return;
    try {
      if (description) await this.#acceptDescription(description);
      else if (candidate) await this.#acceptCandidate(candidate);
    } catch (error) {
      this.close('negotiation_failed', error);
    }
  }

  // False when the frame could not be handed to the channel (closing, or too far behind).
  send(frame) {
    if (this.state !== 'open' || this.channel?.readyState !== 'open') return false;
    if (this.channel.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    try {
      this.channel.send(encodeDataFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  // A side channel the peer opened, taken once by its owner with the messages that
  // arrived before (side-channels.js).
  takeChannel(label) {
    return this.sideChannels.take(label);
  }

  #holdSideChannel(channel) {
    if (this.state === 'closed') {
      channel.close();
      return;
    }
    if (this.sideChannels.hold(channel)) this.#emit('side-channel', { label: channel.label });
  }

  // The owner calls this once the peer has proven its identity on the link; until then
  // the connect timeout keeps running.
  authenticated() {
    clearTimeout(this.timeout);
    this.overChannel = true;
  }

  // Renewed ICE servers (peers/ice-config.js): later gatherings use them, and the link's
  // own relay, if it carries the link, is made anew under them (below).
  updateConfiguration(rtcConfig) {
    if (this.state === 'closed') return;
    this.relayConfigured = hasRelay(rtcConfig.iceServers ?? []);
    try {
      this.pc.setConfiguration(rtcConfig);
    } catch (error) {
      console.warn(`parley: a link kept its old ICE configuration: ${error.message}`);
      return;
    }
    this.linkRoute.renewed(this.pc.localDescription?.sdp);
    this.linkRoute.refresh();
  }

  // Renewal (docs/protocol.md §6): polite or not, each end renews its own credential.
  #restartIfRelayIsStale() {
    if (this.overChannel && this.state === 'open' && this.linkRoute.takeStaleRelay()) this.pc.restartIce();
  }

  // `lastWord`: a frame for the peer to read before the link goes. Closing a data channel
  // sends what it holds first; the connection under it waits for that, or LAST_WORD_MS.
  close(reason = 'closed', error = null, { lastWord = null } = {}) {
    if (this.state === 'closed') return;
    const parting = lastWord !== null && this.send(lastWord);
    this.state = 'closed';
    this.closedReason = reason;
    clearTimeout(this.timeout);
    clearTimeout(this.iceTimer);
    clearTimeout(this.recoveryTimer);
    this.linkRoute.stop();
    try {
      this.channel?.close();
      if (parting) this.#closeOnceSaid();
      else this.pc.close();
    } catch {
      // already closed by the browser
    }
    this.#emit('closed', { reason, error });
  }

  #closeOnceSaid() {
    const timer = setTimeout(() => this.pc.close(), LAST_WORD_MS);
    this.channel.addEventListener('close', () => clearTimeout(timer) || this.pc.close(), { once: true });
  }

  async #offer() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.#sendSignal({ description: toPlainDescription(this.pc.localDescription) });
    } catch (error) {
      this.close('negotiation_failed', error);
    } finally {
      this.makingOffer = false;
    }
  }

  async #acceptDescription(description) {
    const collision =
      description.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    if (collision) this.#yieldOwnChannel();
    // On the channel, the peer is the one that proved itself for this very certificate:
    // a description naming another one is refused.
    if (this.overChannel && sdpFingerprint(description.sdp) !== this.remoteFingerprint) {
      throw new Error('renegotiation with another certificate');
    }
    this.verifiedRemoteSdp = description.sdp; // before the await: DTLS may finish first
    await this.pc.setRemoteDescription(description);
    if (description.type === 'offer') {
      await this.pc.setLocalDescription();
      this.#sendSignal({ description: toPlainDescription(this.pc.localDescription) });
    }
    const waiting = this.pendingCandidates.splice(0);
    for (const candidate of waiting) await this.#acceptCandidate(candidate);
  }

  async #acceptCandidate(candidate) {
    if (!this.pc.remoteDescription) {
      if (this.pendingCandidates.length < 64) this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!this.ignoreOffer) throw error;
    }
  }

  #onConnectionState() {
    const state = this.pc.connectionState;
    if (state === 'connected' && !this.certificateCheck) {
      this.certificateCheck = this.#checkCertificate();
    } else if (state === 'failed') {
      if (this.overChannel) this.#recover();
      else this.close(this.#unreachableReason('connection_failed'));
    } else if (state === 'closed') {
      this.close('closed');
    }
  }

  async #checkCertificate() {
    const { verdict, fingerprint } = await checkRemoteCertificate(this.pc, this.verifiedRemoteSdp);
    if (verdict === 'mismatch') return this.close('certificate_mismatch');
    if (verdict !== 'ok') return this.close('certificate_unavailable');
    this.remoteFingerprint = fingerprint;
    this.localFingerprint = sdpFingerprint(this.pc.localDescription?.sdp);
    if (!this.localFingerprint) return this.close('certificate_unavailable');
    this.certificateOk = true;
    this.#maybeReady();
  }

  // Only once negotiation runs on the channel: before, the link is still being made and
  // the connect timeout decides. One end restarts, so the two restarts never collide.
  #onIceState() {
    clearTimeout(this.iceTimer);
    const ice = this.pc.iceConnectionState;
    if (ice === 'connected' || ice === 'completed') {
      this.iceEverConnected = true;
      clearTimeout(this.recoveryTimer);
      this.recoveryTimer = null;
      this.linkRoute.followSelectedPair();
      this.linkRoute.refresh();
      return;
    }
    if (!this.overChannel) return;
    if (ice === 'failed') {
      this.#recover();
      return;
    }
    if (ice !== 'disconnected' || this.polite) return;
    this.iceTimer = setTimeout(() => {
      if (this.state === 'open' && this.pc.iceConnectionState === 'disconnected') this.pc.restartIce();
    }, this.iceRestartAfterMs);
  }

  // ICE failed on a link that worked: one restart by the impolite end (its offer goes on
  // the channel, which comes back with the path), then the swarm's redial if that fails.
  #recover() {
    if (this.recoveryTimer || this.state !== 'open') return;
    if (!this.polite) this.pc.restartIce();
    this.recoveryTimer = setTimeout(() => {
      const ice = this.pc.iceConnectionState;
      if (ice !== 'connected' && ice !== 'completed') this.close('connection_failed');
    }, this.iceRecoveryMs);
  }

  // Why a link that never connected failed, in words a person can act on: when the peer
  // answered but ICE found no path, it is the networks (and the relay), not the peer.
  // Chromium may fail the connection while ICE still says `disconnected` when no check
  // ever succeeded: that too is no path, unless ICE had connected on this link.
  #unreachableReason(otherwise) {
    const ice = this.pc.iceConnectionState;
    const neverConnected = ice === 'disconnected' && !this.iceEverConnected;
    const noPath = ice === 'failed' || neverConnected
      || (this.pc.remoteDescription && (!ice || ice === 'new' || ice === 'checking'));
    if (!noPath) return otherwise;
    if (!this.relayConfigured) return this.relayOnly ? 'relay_missing' : 'no_relay';
    return 'relay_failed';
  }

  // Both ends dialled at once (docs/protocol.md §6, dialling again): the impolite end
  // keeps its offer and with it its `parley` channel, which reaches us as a 'datachannel'
  // event. Ours, rolled back before it ever opened, would be a second `parley` that the
  // other end never listens to: each end would greet on a channel the other ignores, and
  // the link would wait out its timeout. So the polite end gives its own up.
  #yieldOwnChannel() {
    const own = this.ownChannel;
    this.ownChannel = null;
    if (!own || this.channel !== own || own.readyState !== 'connecting') return;
    for (const [type, listener] of this.channelListeners.splice(0)) own.removeEventListener(type, listener);
    this.channel = null;
    own.close();
  }

  // Whether the adopted channel can carry what we send. Ours can once it is open. The
  // peer's is announced already `open`, 'open' event and all, but Chromium 156 drops
  // without an error what is sent on it until the stream underneath is open, which can be
  // a moment later (about 1 link set-up in 120: the hello never counted in messagesSent,
  // the frames after it arrived, and the peer closed the link as `unauthenticated`). A
  // frame from the peer on it proves it open, so on the peer's channel the link opens
  // (and we greet) only once one came; the peer, which opened it, greets without waiting
  // (docs/protocol.md §6, link authentication).
  #channelCarries = false;

  #adoptChannel(channel, { ours }) {
    this.channel = channel;
    this.#channelCarries = ours;
    this.channelListeners = [
      ['open', () => this.#maybeReady()],
      ['close', () => this.close('channel_closed')],
      ['message', ({ data }) => this.#onChannelMessage(data)],
    ];
    for (const [type, listener] of this.channelListeners) channel.addEventListener(type, listener);
  }

  #maybeReady() {
    const usable = this.#channelCarries && this.channel?.readyState === 'open';
    if (this.state !== 'connecting' || !this.certificateOk || !usable) return;
    this.state = 'open';
    this.#emit('open', {});
    this.linkRoute.refresh();
    for (const data of this.earlyFrames.splice(0)) this.#onChannelMessage(data);
  }

  #onChannelMessage(data) {
    if (this.state === 'connecting') {
      // The remote side finished its certificate check before we did: hold its frames.
      const small = typeof data === 'string' && data.length <= MAX_DATA_FRAME_BYTES;
      if (small && this.earlyFrames.length < MAX_EARLY_FRAMES) this.earlyFrames.push(data);
      this.#channelCarries = true;
      this.#maybeReady();
      return;
    }
    if (this.state !== 'open') return;
    try {
      const frame = parseDataFrame(data);
      if (this.overChannel && frame.t === 'sdp') {
        this.signal({ description: { type: frame.type, sdp: frame.sdp } });
      } else if (this.overChannel && frame.t === 'ice') {
        this.signal({ candidate: { candidate: frame.candidate, sdpMid: frame.mid, sdpMLineIndex: frame.index } });
      } else {
        this.#emit('message', { frame });
      }
    } catch (error) {
      if (!(error instanceof DataFrameError)) throw error;
      // A strike against the peer: its owner keeps the count (peers/swarm-peer.js).
      this.#emit('bad-frame', { code: error.code });
    }
  }

  #sendSignal(payload) {
    if (!this.overChannel) return this.#emit('signal', { payload });
    const { description, candidate } = payload;
    const frame = description
      ? { t: 'sdp', type: description.type, sdp: description.sdp }
      : { t: 'ice', candidate: candidate.candidate ?? '', mid: candidate.sdpMid ?? null, index: candidate.sdpMLineIndex ?? null };
    if (!this.send(frame)) this.close('negotiation_failed');
    return undefined;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function toPlainDescription(description) {
  return { type: description.type, sdp: description.sdp };
}
