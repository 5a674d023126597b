// One tile of a call (ui/call-view.js): a participant's camera — or a shared screen —
// with their name, a muted-microphone mark, a speaking ring, and a connection-quality
// badge that opens the numbers behind it (calls/call-stats.js).
//
//   const tile = new CallTile({ key, kind: 'camera' | 'screen' })
//   tile.update(participant)     from calls.participants()
//   tile.setStats({ speaking, quality, text })
import { h } from './dom.js';

const GRADE_LABEL = { good: 'Good connection', fair: 'Fair connection', poor: 'Poor connection', unknown: 'Measuring…' };

export class CallTile {
  constructor({ key, kind = 'camera' }) {
    this.key = key;
    this.kind = kind;
    this.video = h('video', { autoplay: true, playsInline: true, 'data-testid': 'tile-video' });
    this.avatar = h('div', { class: 'call-avatar', 'aria-hidden': 'true' });
    this.name = h('span', { class: 'call-tile-name' });
    this.micOff = h('span', { class: 'call-mic-off', title: 'Microphone off', role: 'img', 'aria-label': 'microphone off', hidden: true });
    this.details = h('p', { class: 'call-quality-details', 'data-testid': 'quality-details', hidden: true });
    this.badge = h('button', {
      type: 'button', class: 'call-quality', 'data-testid': 'quality-badge', 'aria-expanded': 'false',
      title: GRADE_LABEL.unknown, 'aria-label': GRADE_LABEL.unknown, hidden: true,
      onclick: () => this.#toggleDetails(),
    }, h('span', { class: 'bars', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')));
    this.el = h('div', {
      class: `call-tile call-tile-${kind}`, 'data-testid': 'call-tile', dataset: { key, kind, speaking: 'false' },
    },
    this.video, this.avatar,
    h('div', { class: 'call-tile-label' }, this.micOff, this.name),
    this.badge, this.details);
  }

  update(participant) {
    const { self, name } = participant;
    const stream = this.kind === 'screen' ? participant.screenStream : participant.cameraStream;
    const showsVideo = Boolean(stream?.getVideoTracks().some((t) => t.readyState === 'live' && (self || !t.muted))) &&
      (this.kind === 'screen' || participant.camera);
    if (this.video.srcObject !== stream) this.video.srcObject = stream ?? null;
    // Only others are heard: playing this device's own microphone would echo.
    this.video.muted = self || this.kind === 'screen';
    this.video.classList.toggle('mirrored', self && this.kind === 'camera');
    this.el.classList.toggle('has-video', showsVideo);
    this.el.dataset.self = String(Boolean(self));
    this.el.dataset.video = String(showsVideo);
    this.avatar.textContent = [...(name || '?')][0].toUpperCase();
    this.name.textContent = this.kind === 'screen' ? `${self ? 'Your' : `${name}’s`} screen` : name;
    this.micOff.hidden = this.kind === 'screen' || participant.mic;
    this.el.dataset.mic = String(Boolean(participant.mic));
    this.badge.hidden = self || this.kind === 'screen';
  }

  setStats({ speaking, quality, text }) {
    this.el.dataset.speaking = String(Boolean(speaking));
    if (!quality) return;
    const label = GRADE_LABEL[quality.grade] ?? GRADE_LABEL.unknown;
    this.badge.dataset.grade = quality.grade;
    this.badge.title = label;
    this.badge.setAttribute('aria-label', `${label}: ${text}`);
    this.details.textContent = text || 'Measuring…';
  }

  #toggleDetails() {
    this.details.hidden = !this.details.hidden;
    this.badge.setAttribute('aria-expanded', String(!this.details.hidden));
  }
}
