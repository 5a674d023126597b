// LinkMedia: a call's media on one peer link — what this device sends on the link's own
// RTCPeerConnection (microphone, camera, screen) and the streams that come back. Every
// change of senders renegotiates, and after the link is ready that travels as `sdp`/`ice`
// frames on its `parley` channel (peer-link.js), never through the server.
//
//   const media = new LinkMedia({ peer, local: () => localMedia.tracks(), onChange })
//   media.begin()            the peer is in the call: start sending (see below)
//   media.sync()             the local tracks changed: replace, add or remove senders
//   media.setRemote({ mic, camera, screen })   the peer's `call-media` frame
//   media.cameraStream, media.screenStream, media.remote
//   media.stop()             senders removed, nothing more received
//
// Who offers first: the impolite end of the link (peer-link.js) adds its tracks at once;
// the polite end adds its own once that offer brought the first remote track, or after
// OFFER_WAIT_MS. Both offering at once would collide, and Chromium can leave the remote
// tracks muted after a collision's rollback.
export const OFFER_WAIT_MS = 4000;

export class LinkMedia {
  constructor({ peer, local, onChange = () => {}, offerWaitMs = OFFER_WAIT_MS }) {
    this.peer = peer;
    this.pc = peer.link.pc;
    this.local = local;
    this.onChange = onChange;
    this.offerWaitMs = offerWaitMs;
    this.senders = new Map(); // 'audio' | 'camera' | 'screen' -> RTCRtpSender
    this.streams = new Map(); // remote stream id -> MediaStream
    this.remote = { mic: true, camera: true, screen: null }; // as the peer says (call-media)
    this.sending = false;
    this.stopped = false;
    this.timer = null;
    this.onTrack = ({ track, streams }) => this.#onTrack(track, streams);
    this.pc.addEventListener('track', this.onTrack);
  }

  begin() {
    if (this.sending || this.stopped) return;
    if (!this.peer.link.polite) {
      this.#startSending();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#startSending(), this.offerWaitMs);
  }

  sync() {
    if (!this.sending || this.stopped || this.pc.signalingState === 'closed') return;
    const { stream, audio, camera, screen, screenStream } = this.local();
    this.#put('audio', audio, stream);
    this.#put('camera', camera, stream);
    this.#put('screen', screen, screenStream);
  }

  setRemote({ mic, camera, screen }) {
    this.remote = { mic, camera, screen };
    this.onChange();
  }

  // The stream the peer's microphone and camera come in, and its shared screen's.
  get cameraStream() {
    for (const [id, stream] of this.streams) if (id !== this.remote.screen) return stream;
    return null;
  }

  get screenStream() {
    return this.remote.screen ? this.streams.get(this.remote.screen) ?? null : null;
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.pc.removeEventListener('track', this.onTrack);
    if (this.pc.signalingState !== 'closed') {
      for (const sender of this.senders.values()) {
        try {
          this.pc.removeTrack(sender);
        } catch {
          // the link is closing
        }
      }
    }
    this.senders.clear();
    this.streams.clear();
  }

  #startSending() {
    if (this.sending || this.stopped) return;
    clearTimeout(this.timer);
    this.sending = true;
    this.sync();
  }

  // The microphone and camera keep their senders (a camera turned off is replaced by no
  // track, and its transceiver only receives); a shared screen is added and removed.
  #put(slot, track, stream) {
    const sender = this.senders.get(slot);
    if (!sender) {
      if (track) this.senders.set(slot, this.pc.addTrack(track, stream));
      return;
    }
    if (sender.track === track) return;
    if (slot === 'screen' && !track) {
      this.pc.removeTrack(sender);
      this.senders.delete(slot);
      return;
    }
    sender.replaceTrack(track).catch((error) => console.warn('replaceTrack', error));
    const transceiver = this.pc.getTransceivers().find((t) => t.sender === sender);
    if (transceiver && slot === 'camera') transceiver.direction = track ? 'sendrecv' : 'recvonly';
  }

  #onTrack(track, streams) {
    if (this.stopped) return;
    if (this.peer.link.polite && !this.sending) queueMicrotask(() => this.#startSending());
    const stream = streams[0] ?? new MediaStream([track]);
    this.streams.set(stream.id, stream);
    for (const type of ['mute', 'unmute', 'ended']) track.addEventListener(type, () => this.onChange());
    stream.addEventListener('removetrack', () => this.onChange());
    this.onChange();
  }
}
