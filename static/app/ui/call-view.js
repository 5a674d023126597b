// The call overlay (calls/call-manager.js): ringing in and out, the tiles of a call
// (the other person large, this device small) and its controls. Shown over everything,
// whichever room is open; hidden while there is no call.
import { h, replaceChildren } from './dom.js';

const ENDED_TEXT = {
  declined: 'Call declined', busy: 'Busy in another call', no_answer: 'No answer',
  missed: 'Missed call', connection_lost: 'Connection lost', no_devices: 'No microphone or camera',
  cancelled: 'Call cancelled', hung_up: 'Call ended',
};

export class CallView {
  constructor({ app }) {
    this.calls = app.calls;
    this.remoteVideo = h('video', { class: 'call-remote-video', autoplay: true, playsInline: true, 'data-testid': 'remote-video' });
    this.localVideo = h('video', { class: 'call-local-video', autoplay: true, playsInline: true, muted: true, 'data-testid': 'local-video' });
    this.remoteLabel = h('div', { class: 'call-tile-label' });
    this.remoteAvatar = h('div', { class: 'call-avatar', 'aria-hidden': 'true' });
    this.status = h('p', { class: 'call-status', 'data-testid': 'call-status', 'aria-live': 'polite' });
    this.controls = h('div', { class: 'call-controls' });
    this.remoteTile = h('div', { class: 'call-tile call-tile-remote' }, this.remoteVideo, this.remoteAvatar, this.remoteLabel);
    this.localTile = h('div', { class: 'call-tile call-tile-local' }, this.localVideo, h('div', { class: 'call-tile-label' }, 'You'));
    this.el = h('section', { class: 'call-view', hidden: true, 'data-testid': 'call-view', 'aria-label': 'Call' },
      h('div', { class: 'call-stage' }, this.remoteTile, this.localTile), this.status, this.controls);
    this.calls.addEventListener('change', () => this.render());
  }

  render() {
    const { calls } = this;
    const { phase, video, reason } = calls.state;
    this.el.hidden = phase === 'idle';
    this.el.dataset.phase = phase;
    if (phase === 'idle') {
      this.#setStream(this.remoteVideo, null);
      this.#setStream(this.localVideo, null);
      return;
    }
    const name = calls.peerName;
    this.remoteAvatar.textContent = [...name][0]?.toUpperCase() ?? '?';
    this.remoteLabel.textContent = name;
    this.#setStream(this.localVideo, calls.localStream);
    this.#setStream(this.remoteVideo, phase === 'active' ? calls.remoteStream : null);
    const localVideo = Boolean(calls.localStream?.getVideoTracks().some((t) => t.readyState === 'live'));
    const remoteVideo = phase === 'active' &&
      Boolean(calls.remoteStream?.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted));
    this.localTile.hidden = !localVideo;
    this.remoteTile.classList.toggle('has-video', remoteVideo);
    this.status.textContent = {
      outgoing: `Calling ${name}…`,
      incoming: `${name} is calling you (${video ? 'video' : 'voice'})`,
      active: `In a call with ${name}`,
      ended: ENDED_TEXT[reason] ?? 'Call ended',
    }[phase];
    replaceChildren(this.controls, this.#controls(phase));
  }

  #controls(phase) {
    const { calls } = this;
    const button = (testid, label, onclick, extra = {}) =>
      h('button', { type: 'button', class: `button call-button ${extra.class ?? ''}`, 'data-testid': testid, onclick, ...extra.attrs }, label);
    if (phase === 'incoming') {
      return [
        button('call-accept', 'Accept', () => calls.accept(), { class: 'call-accept' }),
        button('call-decline', 'Decline', () => calls.decline(), { class: 'call-hangup' }),
      ];
    }
    if (phase === 'ended') return [];
    return [
      button('call-mute', calls.muted ? 'Unmute' : 'Mute', () => calls.setMuted(!calls.muted),
        { attrs: { 'aria-pressed': String(calls.muted) } }),
      button('call-camera', calls.cameraOn ? 'Camera off' : 'Camera on', () => calls.setCamera(!calls.cameraOn),
        { attrs: { 'aria-pressed': String(!calls.cameraOn) } }),
      button('call-hangup', phase === 'outgoing' ? 'Cancel' : 'Hang up', () => calls.hangup(), { class: 'call-hangup' }),
    ];
  }

  #setStream(video, stream) {
    if (video.srcObject !== stream) video.srcObject = stream;
  }
}
