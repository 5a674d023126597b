// CallManager: the one call of this device (1:1 for now), on the peer link of a room.
// Control travels as `call` frames on the link's `parley` channel; the media are added to
// the link's own RTCPeerConnection, whose renegotiation then also stays on that channel
// (peer-link.js, docs/protocol.md §6). Nothing about a call goes through the server.
//
//   const calls = new CallManager({ getUserMedia })
//   calls.attach(topic, swarm)                  each open room
//   await calls.start(topic, peer, { video })   ring a ready peer
//   await calls.accept(); calls.decline(); calls.hangup()
//   calls.setMuted(on); await calls.setCamera(on)
//   calls.state  -> { phase, id, video, direction, reason } (call-state.js)
//   calls.localStream, calls.remoteStream, calls.peerName, calls.muted, calls.cameraOn
//   calls.addEventListener('change', ...)
import { toBase64Url } from '../crypto/bytes.js';
import { IDLE, nextCallState, RING_TIMEOUT_MS } from './call-state.js';

const ENDED_SHOWN_MS = 2500;
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };

export class CallManager extends EventTarget {
  constructor({ getUserMedia = (c) => navigator.mediaDevices.getUserMedia(c) } = {}) {
    super();
    this.getUserMedia = getUserMedia;
    this.state = IDLE;
    this.topic = null;
    this.peer = null;
    this.swarm = null;
    this.localStream = null;
    this.remoteStream = null;
    this.muted = false;
    this.cameraOn = false;
    this.senders = new Map(); // kind -> RTCRtpSender
    this.awaitingOffer = false;
    this.timer = null;
    this.onTrack = ({ track, streams }) => this.#onTrack(track, streams);
  }

  get peerName() {
    return this.peer?.name || 'Someone';
  }

  attach(topic, swarm) {
    swarm.addEventListener('frame', ({ detail }) => {
      if (detail.frame.t === 'call') this.#onFrame(topic, swarm, detail.peer, detail.frame);
    });
    swarm.addEventListener('peer', ({ detail }) => {
      if (detail.peer === this.peer && detail.peer.state === 'closed') this.#move({ type: 'gone' });
    });
  }

  async start(topic, swarm, peer, { video }) {
    if (this.#live() || peer.state !== 'ready') return;
    const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    this.#bind(topic, swarm, peer);
    if (!this.#move({ type: 'start', id, video })) return;
    try {
      await this.#acquire(video);
    } catch (error) {
      this.#move({ type: 'hangup' }, 'no_devices', error);
      return;
    }
    if (this.state.id !== id || this.state.phase !== 'outgoing') return this.#stopLocal();
    this.#send('invite');
    this.#ring();
    return undefined;
  }

  async accept() {
    if (this.state.phase !== 'incoming') return;
    const { id, video } = this.state;
    clearTimeout(this.timer);
    try {
      await this.#acquire(video);
    } catch (error) {
      this.decline(error);
      return;
    }
    if (this.state.id !== id || !this.#move({ type: 'accept' })) return this.#stopLocal();
    this.#send('accept');
    // The caller adds its tracks on `accept` and offers; the callee adds its own once
    // that offer arrived (its first remote track), so the two offers never collide.
    // Chromium can leave remote tracks muted after a collision's rollback.
    this.awaitingOffer = true;
    this.timer = setTimeout(() => this.#addOwnTracks(), 4000);
    return undefined;
  }

  decline(error = null) {
    if (this.state.phase !== 'incoming') return;
    this.#send('decline');
    this.#move({ type: 'decline' }, null, error);
  }

  hangup() {
    if (!this.#live()) return;
    this.#send('hangup');
    this.#move({ type: 'hangup' });
  }

  setMuted(muted) {
    this.muted = muted;
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#changed();
  }

  // Camera off stops the camera (its light goes out) and stops sending video; camera on
  // opens it again. Both renegotiate, on the link's channel.
  async setCamera(on) {
    if (!this.#live() || on === this.cameraOn || !this.localStream) return;
    const pc = this.peer.link.pc;
    const sender = this.senders.get('video');
    if (!on) {
      for (const track of this.localStream.getVideoTracks()) {
        track.stop();
        this.localStream.removeTrack(track);
      }
      this.cameraOn = false;
      if (sender) {
        await sender.replaceTrack(null);
        const transceiver = pc.getTransceivers().find((t) => t.sender === sender);
        if (transceiver) transceiver.direction = 'recvonly';
      }
      this.#changed();
      return;
    }
    const stream = await this.getUserMedia({ video: VIDEO });
    const [track] = stream.getVideoTracks();
    if (!this.#live() || !this.localStream) return track.stop();
    this.localStream.addTrack(track);
    this.cameraOn = true;
    if (this.state.phase === 'active') {
      if (sender) {
        await sender.replaceTrack(track);
        const transceiver = pc.getTransceivers().find((t) => t.sender === sender);
        if (transceiver) transceiver.direction = 'sendrecv';
      } else {
        this.senders.set('video', pc.addTrack(track, this.localStream));
      }
    }
    this.#changed();
    return undefined;
  }

  #live() {
    return ['outgoing', 'incoming', 'active'].includes(this.state.phase);
  }

  #bind(topic, swarm, peer) {
    this.topic = topic;
    this.swarm = swarm;
    this.peer = peer;
    this.remoteStream = new MediaStream();
    this.muted = false;
    peer.link.pc.addEventListener('track', this.onTrack);
  }

  #onFrame(topic, swarm, peer, frame) {
    if (this.#live() && peer !== this.peer) {
      if (frame.action === 'invite') swarm.sendTo(peer, { t: 'call', id: frame.id, action: 'busy', video: false });
      return;
    }
    if (frame.action === 'invite') {
      if (this.#live()) {
        swarm.sendTo(peer, { t: 'call', id: frame.id, action: 'busy', video: false });
        return;
      }
      this.#bind(topic, swarm, peer);
      if (this.#move({ type: 'frame', ...frame })) this.#ring();
      return;
    }
    const before = this.state.phase;
    if (!this.#move({ type: 'frame', ...frame })) return;
    if (before === 'outgoing' && this.state.phase === 'active') {
      clearTimeout(this.timer);
      this.#addTracks();
    }
  }

  #ring() {
    clearTimeout(this.timer);
    const { id } = this.state;
    this.timer = setTimeout(() => {
      if (this.state.id !== id) return;
      if (this.state.phase === 'outgoing') this.#send('hangup');
      this.#move({ type: 'timeout' });
    }, RING_TIMEOUT_MS);
  }

  async #acquire(video) {
    this.localStream = await this.getUserMedia({ audio: true, video: video ? VIDEO : false });
    this.cameraOn = video;
    for (const track of this.localStream.getAudioTracks()) track.enabled = !this.muted;
    this.#changed();
  }

  #stopLocal() {
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
    this.localStream = null;
  }

  #addTracks() {
    const pc = this.peer?.link.pc;
    if (!pc || !this.localStream || pc.signalingState === 'closed') return;
    for (const track of this.localStream.getTracks()) {
      if (!this.senders.has(track.kind)) this.senders.set(track.kind, pc.addTrack(track, this.localStream));
    }
  }

  #addOwnTracks() {
    if (!this.awaitingOffer) return;
    this.awaitingOffer = false;
    clearTimeout(this.timer);
    if (this.state.phase === 'active') this.#addTracks();
  }

  #onTrack(track, streams) {
    if (!this.#live() || !this.remoteStream) return;
    if (this.awaitingOffer) queueMicrotask(() => this.#addOwnTracks());
    const stream = streams[0];
    if (stream && this.remoteStream !== stream) this.remoteStream = stream;
    else if (!stream) this.remoteStream.addTrack(track);
    track.addEventListener('mute', () => this.#changed());
    track.addEventListener('unmute', () => this.#changed());
    this.#changed();
  }

  #send(action) {
    if (!this.peer || !this.state.id) return;
    this.swarm.sendTo(this.peer, { t: 'call', id: this.state.id, action, video: Boolean(this.state.video) });
  }

  // One step of the state machine; leaving a live call releases everything it held.
  #move(event, reason = null, error = null) {
    const next = nextCallState(this.state, event);
    if (!next) return false;
    this.state = reason ? { ...next, reason } : next;
    if (error) console.warn('call', this.state.reason, error);
    if (next.phase === 'ended') {
      clearTimeout(this.timer);
      this.#release();
      const { id } = next;
      this.timer = setTimeout(() => {
        if (this.state.id === id) this.#move({ type: 'reset' });
      }, ENDED_SHOWN_MS);
    }
    this.#changed();
    return true;
  }

  // Every local track stopped (the devices are free), the senders taken off the link.
  #release() {
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
    const pc = this.peer?.link.pc;
    if (pc) {
      pc.removeEventListener('track', this.onTrack);
      if (pc.signalingState !== 'closed') {
        for (const sender of this.senders.values()) {
          try {
            pc.removeTrack(sender);
          } catch {
            // the link is closing
          }
        }
      }
    }
    this.senders.clear();
    this.awaitingOffer = false;
    this.localStream = null;
    this.remoteStream = null;
    this.cameraOn = false;
    this.muted = false;
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
