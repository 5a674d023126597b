// LocalMedia: this device's side of a call — the microphone, the camera and a shared
// screen, which device each comes from, and letting go of all of them. It touches no
// peer connection: the call manager hands its tracks to every link (link-media.js).
//
//   const media = new LocalMedia({ getUserMedia, getDisplayMedia, onScreenEnded })
//   await media.open({ video })            microphone, and camera for a video call
//   media.setMuted(on); await media.setCamera(on)
//   await media.useDevice('audioinput' | 'videoinput', deviceId)
//   await media.startScreen(); media.stopScreen()
//   media.tracks() -> { stream, audio, camera, screen, screenStream }
//   media.release()                        every track stopped: the devices are free
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };
const SCREEN = { video: { frameRate: { ideal: 15 } }, audio: false };

export class LocalMedia {
  constructor({ getUserMedia, getDisplayMedia, onScreenEnded = () => {} }) {
    this.getUserMedia = getUserMedia;
    this.getDisplayMedia = getDisplayMedia;
    this.onScreenEnded = onScreenEnded;
    this.stream = null; // microphone and camera, the stream the peers see them in
    this.screenStream = null;
    this.muted = false;
    this.cameraOn = false;
    this.deviceIds = { audioinput: null, videoinput: null }; // null: the default device
  }

  async open({ video }) {
    this.release();
    const stream = await this.getUserMedia({ audio: this.#audio(), video: video ? this.#video() : false });
    this.stream = stream;
    this.cameraOn = Boolean(video) && stream.getVideoTracks().length > 0;
    for (const track of stream.getAudioTracks()) track.enabled = !this.muted;
  }

  setMuted(muted) {
    this.muted = Boolean(muted);
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !this.muted;
  }

  // Camera off stops the camera (its light goes out); on opens it again. False when
  // nothing changed (no call, or already so).
  async setCamera(on) {
    if (!this.stream || on === this.cameraOn) return false;
    if (!on) {
      this.#drop('video');
      this.cameraOn = false;
      return true;
    }
    const stream = await this.getUserMedia({ video: this.#video() });
    const [track] = stream.getVideoTracks();
    if (!this.stream) {
      track.stop(); // the call ended while the camera was opening
      return false;
    }
    this.#drop('video');
    this.stream.addTrack(track);
    this.cameraOn = true;
    return true;
  }

  // Another microphone or camera: its new track takes the old one's place (the links
  // replace it on their senders, no renegotiation). The choice is kept for later.
  async useDevice(kind, deviceId) {
    if (kind !== 'audioinput' && kind !== 'videoinput') return false;
    this.deviceIds[kind] = deviceId || null;
    if (!this.stream || (kind === 'videoinput' && !this.cameraOn)) return false;
    const audio = kind === 'audioinput';
    const stream = await this.getUserMedia(audio ? { audio: this.#audio() } : { video: this.#video() });
    const [track] = audio ? stream.getAudioTracks() : stream.getVideoTracks();
    if (!this.stream) {
      track.stop();
      return false;
    }
    if (audio) track.enabled = !this.muted;
    this.#drop(track.kind);
    this.stream.addTrack(track);
    return true;
  }

  async startScreen() {
    if (!this.stream || this.screenStream) return false;
    const stream = await this.getDisplayMedia(SCREEN);
    const [track] = stream.getVideoTracks();
    for (const extra of stream.getAudioTracks()) extra.stop();
    if (!this.stream || !track) {
      for (const each of stream.getTracks()) each.stop();
      return false;
    }
    // The browser's own "Stop sharing" ends the track: the call stops sharing too.
    track.addEventListener('ended', () => {
      if (this.screenStream === stream) this.onScreenEnded();
    });
    this.screenStream = stream;
    return true;
  }

  stopScreen() {
    if (!this.screenStream) return false;
    for (const track of this.screenStream.getTracks()) track.stop();
    this.screenStream = null;
    return true;
  }

  tracks() {
    const live = (track) => (track && track.readyState === 'live' ? track : null);
    return {
      stream: this.stream,
      audio: live(this.stream?.getAudioTracks()[0]),
      camera: live(this.stream?.getVideoTracks()[0]),
      screen: live(this.screenStream?.getVideoTracks()[0]),
      screenStream: this.screenStream,
    };
  }

  deviceId(kind) {
    const track = kind === 'audioinput' ? this.stream?.getAudioTracks()[0] : this.stream?.getVideoTracks()[0];
    return track?.getSettings?.().deviceId ?? this.deviceIds[kind];
  }

  release() {
    this.stopScreen();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.cameraOn = false;
    this.muted = false;
  }

  #drop(kind) {
    for (const track of this.stream?.getTracks() ?? []) {
      if (track.kind !== kind) continue;
      track.stop();
      this.stream.removeTrack(track);
    }
  }

  #audio() {
    const id = this.deviceIds.audioinput;
    return id ? { deviceId: { exact: id } } : true;
  }

  #video() {
    const id = this.deviceIds.videoinput;
    return id ? { ...VIDEO, deviceId: { exact: id } } : VIDEO;
  }
}
