// The call overlay (calls/call-manager.js): ringing in and out, one tile per participant
// and per shared screen (ui/call-tile.js), and the controls. Two people are shown as the
// other one large and this device small; more as a grid. Shown over everything, whichever
// room is open; hidden while there is no call.
import { h, replaceChildren } from './dom.js';
import { CallTile } from './call-tile.js';
import { DeviceMenu } from './call-devices-menu.js';
import { callDuration } from './format.js';

const ENDED_TEXT = {
  declined: 'Call declined', busy: 'Busy in another call', no_answer: 'No answer',
  missed: 'Missed call', connection_lost: 'Connection lost', no_devices: 'No microphone or camera',
  cancelled: 'Call cancelled', hung_up: 'Call ended',
};

export class CallView {
  constructor({ app, monitor }) {
    this.app = app;
    this.calls = app.calls;
    this.monitor = monitor;
    this.tiles = new Map(); // `${key} ${kind}` -> CallTile
    this.stage = h('div', { class: 'call-stage', 'data-testid': 'call-stage' });
    this.status = h('p', { class: 'call-status', 'data-testid': 'call-status', 'aria-live': 'polite' });
    this.ringAvatar = h('div', { class: 'call-avatar call-ring-avatar', 'aria-hidden': 'true' });
    this.ringName = h('p', { class: 'call-ring-name' });
    this.ringRoom = h('p', { class: 'call-ring-room' });
    this.ringing = h('div', { class: 'call-ringing', 'data-testid': 'call-ringing' }, this.ringAvatar, this.ringName, this.ringRoom);
    this.controls = h('div', { class: 'call-controls', role: 'toolbar', 'aria-label': 'Call controls' });
    this.devices = new DeviceMenu({ calls: this.calls });
    this.buttons = this.#buttons();
    this.el = h('section', { class: 'call-view', hidden: true, 'data-testid': 'call-view', 'aria-label': 'Call' },
      this.ringing, this.stage, this.status, this.controls);
    this.el.addEventListener('keydown', (event) => this.#onKey(event));
    this.calls.addEventListener('change', () => this.render());
    monitor?.addEventListener('update', () => this.#renderStats());
  }

  render() {
    const { calls } = this;
    const { phase, video } = calls.state;
    this.el.hidden = phase === 'idle';
    this.el.dataset.phase = phase;
    if (phase === 'idle') {
      this.shownPhase = phase;
      this.#tick(false);
      this.#renderTiles([]);
      return;
    }
    const name = calls.peerName;
    const room = this.#roomName();
    this.status.textContent = this.#statusText();
    this.ringAvatar.textContent = [...name][0]?.toUpperCase() ?? '?';
    this.ringName.textContent = name;
    this.ringRoom.textContent = `${video ? 'Video' : 'Voice'} call · ${room}`;
    if (phase !== 'active' && phase !== 'outgoing') this.devices.close(); // not into the next call
    this.#renderTiles(phase === 'incoming' ? [] : calls.participants());
    this.#renderControls(phase);
    this.#tick(phase === 'active');
    // Keyboard users land on the call: Accept when it rings, the controls once in it.
    if (phase !== this.shownPhase && phase !== 'ended') this.controls.querySelector('button')?.focus();
    this.shownPhase = phase;
  }

  // The call's length in the status line, once a second while in a call.
  #tick(running) {
    if (running && !this.ticker) {
      this.ticker = setInterval(() => {
        this.status.textContent = this.#statusText();
      }, 1000);
    }
    if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  #renderTiles(participants) {
    const wanted = [];
    for (const participant of participants) {
      wanted.push([participant, 'camera']);
      if (participant.screenStream) wanted.push([participant, 'screen']);
    }
    const keys = new Set(wanted.map(([p, kind]) => `${p.key} ${kind}`));
    for (const [key, tile] of this.tiles) {
      if (keys.has(key)) continue;
      tile.video.srcObject = null;
      tile.el.remove();
      this.tiles.delete(key);
    }
    // Screens first: what is shown matters more than who shows it.
    wanted.sort(([, a], [, b]) => Number(b === 'screen') - Number(a === 'screen'));
    for (const [participant, kind] of wanted) {
      const key = `${participant.key} ${kind}`;
      let tile = this.tiles.get(key);
      if (!tile) {
        tile = new CallTile({ key: participant.key, kind });
        this.tiles.set(key, tile);
      }
      tile.update(participant);
      this.stage.append(tile.el); // in order
    }
    const screens = wanted.filter(([, kind]) => kind === 'screen').length;
    this.stage.dataset.count = String(wanted.length);
    // A shared screen takes the stage, the people a strip beneath it.
    this.stage.dataset.layout = screens > 0 ? 'screen' : wanted.length === 2 ? 'pip' : 'grid';
    this.stage.style.setProperty('--people', String(Math.max(1, wanted.length - screens)));
    this.stage.style.setProperty('--screens', String(Math.max(1, screens)));
    this.#renderStats();
  }

  #renderStats() {
    if (!this.monitor) return;
    for (const tile of this.tiles.values()) {
      if (tile.kind === 'camera') tile.setStats(this.monitor.statsFor(tile.key));
    }
  }

  #roomName() {
    return this.app.rooms?.get(this.calls.state.topic)?.name ?? 'the room';
  }

  #statusText() {
    const { calls } = this;
    const { phase, video, reason } = calls.state;
    if (phase === 'outgoing') return `Calling everyone in ${this.#roomName()}…`;
    if (phase === 'incoming') return `${calls.peerName} is calling you (${video ? 'video' : 'voice'})`;
    if (phase === 'ended') return ENDED_TEXT[reason] ?? 'Call ended';
    const others = calls.participants().filter((p) => !p.self);
    if (others.length === 0) return 'Connecting…';
    const who = others.length === 1 ? `In a call with ${others[0].name}` : `In a call with ${others.length} people`;
    return `${who} · ${callDuration(Date.now() - calls.joinedAt)}`;
  }

  // Made once and updated in place, so the focus stays on a button that was pressed.
  #buttons() {
    const { calls } = this;
    const button = (testid, onclick, cls = '') =>
      h('button', { type: 'button', class: `button call-button ${cls}`, 'data-testid': testid, onclick });
    return {
      accept: button('call-accept', () => calls.accept(), 'call-accept'),
      decline: button('call-decline', () => calls.decline(), 'call-hangup'),
      mute: button('call-mute', () => calls.setMuted(!calls.muted)),
      camera: button('call-camera', () => calls.setCamera(!calls.cameraOn)),
      screen: button('call-screen', () => (calls.sharingScreen
        ? calls.stopScreenShare()
        : calls.startScreenShare().catch((error) => console.warn('screen share', error)))),
      hangup: button('call-hangup', () => calls.hangup(), 'call-hangup'),
    };
  }

  #renderControls(phase) {
    const { calls, buttons } = this;
    buttons.accept.textContent = 'Accept';
    buttons.decline.textContent = 'Decline';
    buttons.mute.textContent = calls.muted ? 'Unmute' : 'Mute';
    buttons.mute.setAttribute('aria-pressed', String(calls.muted));
    buttons.mute.title = 'Microphone (M)';
    buttons.camera.textContent = calls.cameraOn ? 'Camera off' : 'Camera on';
    buttons.camera.setAttribute('aria-pressed', String(!calls.cameraOn));
    buttons.camera.title = 'Camera (V)';
    buttons.screen.textContent = calls.sharingScreen ? 'Stop sharing' : 'Share screen';
    buttons.screen.setAttribute('aria-pressed', String(calls.sharingScreen));
    buttons.hangup.textContent = phase === 'outgoing' ? 'Cancel' : 'Hang up';
    const shown = phase === 'incoming' ? [buttons.accept, buttons.decline]
      : phase === 'ended' ? []
        : [buttons.mute, buttons.camera, phase === 'active' && canShareScreen() ? buttons.screen : null,
          this.devices.render(), buttons.hangup].filter(Boolean);
    const current = [...this.controls.children];
    if (current.length !== shown.length || current.some((el, i) => el !== shown[i])) {
      replaceChildren(this.controls, shown);
    }
  }

  // M mutes, V turns the camera on or off, Escape closes the devices menu. Escape never
  // ends a call: pressed to close a menu, it would hang up on everyone.
  #onKey(event) {
    if (event.key === 'Escape') {
      if (this.devices.close()) event.preventDefault();
      return;
    }
    if (event.target.closest('select, input') || event.ctrlKey || event.metaKey || event.altKey) return;
    const { calls } = this;
    const { phase } = calls.state;
    const key = event.key.toLowerCase();
    if (key === 'm' && phase !== 'incoming') {
      calls.setMuted(!calls.muted);
    } else if (key === 'v' && phase !== 'incoming') {
      calls.setCamera(!calls.cameraOn);
    } else {
      return;
    }
    event.preventDefault();
  }
}

function canShareScreen() {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}
