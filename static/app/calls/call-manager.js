// CallManager: this device's one call, in one room, with everyone in it — a mesh: the
// media go on each member's own peer link (link-media.js), DTLS-SRTP, no media server.
// Control travels as `call` and `call-media` frames on the links' `parley` channels, and
// so does every renegotiation; nothing about a call reaches the server (docs/protocol.md §6).
//
//   const calls = new CallManager({ getUserMedia, getDisplayMedia })
//   calls.attach(topic, swarm)                  each open room
//   await calls.start(topic, { video })         ring every member who is connected
//   await calls.accept(); calls.decline(); await calls.join(topic); calls.hangup()
//   calls.setMuted(on); await calls.setCamera(on); await calls.useDevice(kind, id)
//   await calls.startScreenShare(); calls.stopScreenShare()
//   calls.state (call-state.js); calls.participants(); calls.running(topic)
//   'change' events; 'history' events { topic, call, event, video, since } for the log
import { toBase64Url } from '../crypto/bytes.js';
import { IDLE, isInCall, isLive, nextCallState, RING_TIMEOUT_MS } from './call-state.js';
import { CallRoster } from './call-roster.js';
import { LinkMedia } from './link-media.js';
import { LocalMedia } from './local-media.js';
import { isPerson } from '../peers/swarm-peer.js';

const ENDED_SHOWN_MS = 2500;
// A mesh sends every stream to everyone: beyond this many, calls would fall apart.
export const MAX_CALL_MEMBERS = 6;

const mediaDevices = () => globalThis.navigator?.mediaDevices;

export class CallManager extends EventTarget {
  constructor({
    getUserMedia = (c) => mediaDevices().getUserMedia(c),
    getDisplayMedia = (c) => mediaDevices().getDisplayMedia(c),
  } = {}) {
    super();
    this.state = IDLE;
    this.roster = new CallRoster();
    this.swarms = new Map(); // topic -> swarm
    this.links = new Map(); // peer -> LinkMedia, for the members of this device's call
    this.invited = new Set(); // peers rung and not yet answered
    this.refusals = new Set(); // 'decline' | 'busy' answers so far
    this.inviter = null;
    // True once this device is in the call with its devices open: before, it invites
    // nobody, greets nobody, sends no media and writes no history.
    this.entered = false;
    this.joinedAt = 0;
    this.timer = null;
    this.local = new LocalMedia({ getUserMedia, getDisplayMedia, onScreenEnded: () => this.stopScreenShare() });
  }

  get muted() {
    return this.local.muted;
  }

  get cameraOn() {
    return this.local.cameraOn;
  }

  get sharingScreen() {
    return this.local.screenStream !== null;
  }

  get localStream() {
    return this.local.stream;
  }

  // Whoever rang this device, or the first other member: the name a 1:1 call shows.
  get peerName() {
    return (this.inviter ?? this.#members()[0])?.name || 'Someone';
  }

  attach(topic, swarm) {
    this.swarms.set(topic, swarm);
    swarm.addEventListener('frame', ({ detail: { peer, frame } }) => {
      if (frame.t === 'call') this.#onCallFrame(topic, peer, frame);
      else if (frame.t === 'call-media') this.#onMediaFrame(peer, frame);
    });
    swarm.addEventListener('peer', ({ detail: { peer } }) => {
      if (peer.state === 'ready') this.#greet(topic, peer);
      else if (peer.state === 'closed') this.#forget(peer);
    });
  }

  // The room is closed on this device (left): a call in it ends, and its frames stop.
  detach(topic) {
    if (this.state.topic === topic && this.state.phase !== 'idle') this.hangup();
    this.swarms.delete(topic);
  }

  async start(topic, { video }) {
    const swarm = this.swarms.get(topic);
    if (isLive(this.state) || !swarm || swarm.readyPeers().filter(isPerson).length === 0) return;
    const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    this.#reset();
    if (!this.#move({ type: 'start', id, topic, video })) return;
    if (!(await this.#open(video, id))) return;
    this.entered = true;
    this.joinedAt = Date.now();
    this.#history('started');
    for (const peer of swarm.readyPeers().filter(isPerson)) {
      this.invited.add(peer);
      this.#send(peer, 'invite');
    }
    this.#ring();
  }

  async accept() {
    if (this.state.phase !== 'incoming') return;
    const { id } = this.state;
    clearTimeout(this.timer);
    if (!(await this.#open(this.state.video, id))) {
      // No devices: the caller hears no. (A call that ended meanwhile needs no answer.)
      if (this.state.id === id && this.state.reason === 'no_devices' && this.inviter) this.#send(this.inviter, 'decline');
      return;
    }
    if (!this.#move({ type: 'accept' })) return;
    this.#entered();
  }

  // Joins the call running in a room (call-roster.js), without having been rung.
  async join(topic, { video } = {}) {
    const running = this.roster.running(topic);
    if (isLive(this.state) || !running) return;
    this.#reset();
    const wantsVideo = video ?? running.video;
    if (!this.#move({ type: 'join', id: running.id, topic, video: wantsVideo })) return;
    if (!(await this.#open(wantsVideo, running.id))) return;
    this.#entered();
  }

  decline() {
    if (this.state.phase !== 'incoming') return;
    if (this.inviter) this.#send(this.inviter, 'decline');
    this.#move({ type: 'decline' });
  }

  hangup() {
    if (!isLive(this.state)) return;
    this.#move({ type: 'hangup' });
  }

  setMuted(muted) {
    this.local.setMuted(muted);
    this.#mediaChanged();
  }

  async setCamera(on) {
    if (!isLive(this.state) || !(await this.local.setCamera(on))) return;
    this.#mediaChanged();
  }

  async useDevice(kind, deviceId) {
    if (await this.local.useDevice(kind, deviceId)) this.#mediaChanged();
    else this.#changed();
  }

  async startScreenShare() {
    if (!isInCall(this.state) || !(await this.local.startScreen())) return;
    this.#mediaChanged();
  }

  stopScreenShare() {
    if (this.local.stopScreen()) this.#mediaChanged();
  }

  // The call going on in a room that this device is not in, for a "Join" button.
  running(topic) {
    const call = this.roster.running(topic);
    if (!call || (isLive(this.state) && call.id === this.state.id)) return null;
    return call;
  }

  // Everyone in this device's call, this device first: what each sends and how to show it.
  participants() {
    if (!isLive(this.state)) return [];
    const { audio, camera, screenStream } = this.local.tracks();
    const self = {
      key: 'self', self: true, name: 'You', cameraStream: this.local.stream, screenStream,
      mic: Boolean(audio) && !this.local.muted, camera: Boolean(camera), link: null,
    };
    const others = [...this.links.values()].map((media) => ({
      key: media.peer.connectionId, self: false, name: media.peer.name || 'Someone', link: media,
      cameraStream: media.cameraStream, screenStream: media.screenStream,
      mic: media.remote.mic, camera: media.remote.camera,
    }));
    return [self, ...others];
  }

  async #open(video, id) {
    try {
      await this.local.open({ video });
    } catch (error) {
      console.warn('call: no devices', error);
      if (this.state.id === id) this.#move({ type: 'no_devices' });
      return false;
    }
    if (this.state.id === id && isLive(this.state)) return true;
    this.local.release(); // hung up while the devices were opening
    return false;
  }

  // This device is now in the call: everyone hears so, and media start with the members.
  #entered() {
    this.entered = true;
    this.joinedAt = Date.now();
    this.#history('joined');
    this.#broadcast('accept');
    this.#syncMembers();
  }

  #onCallFrame(topic, peer, { id, action, video }) {
    const mine = isLive(this.state) && this.state.topic === topic && this.state.id === id;
    switch (action) {
      case 'invite':
        // An invite the roster cannot hold (a room with too many calls) is not rung.
        if (!this.roster.note(topic, id, peer, { video }) && !this.roster.has(topic, id, peer)) {
          this.swarms.get(topic)?.sendTo(peer, { t: 'call', id, action: 'busy', video: false });
          return;
        }
        if (mine) break;
        if (isLive(this.state)) {
          this.swarms.get(topic)?.sendTo(peer, { t: 'call', id, action: 'busy', video: false });
          return;
        }
        this.#reset();
        this.inviter = peer;
        if (this.#move({ type: 'invited', id, topic, video })) this.#ring();
        return;
      case 'accept':
      case 'present':
        this.roster.note(topic, id, peer, { video });
        if (mine) this.invited.delete(peer);
        break;
      case 'decline':
      case 'busy':
        if (!mine || !this.invited.delete(peer)) return;
        this.refusals.add(action);
        this.#refusedByAll();
        return;
      case 'hangup':
        if (!this.roster.leave(peer, id)) return;
        break;
      default:
        return;
    }
    if (mine) this.#syncMembers('hung_up');
    else this.#changed();
  }

  #onMediaFrame(peer, { id, mic, camera, screen }) {
    const media = this.links.get(peer);
    if (media && id === this.state.id) media.setRemote({ mic, camera, screen });
  }

  // A link came up: a call this device is in is news to that member.
  #greet(topic, peer) {
    if (!this.entered || !isInCall(this.state) || this.state.topic !== topic) return;
    if (this.state.phase === 'outgoing') this.invited.add(peer);
    this.#send(peer, this.state.phase === 'outgoing' ? 'invite' : 'present');
  }

  #swarmOf() {
    return this.swarms.get(this.state.topic);
  }

  #forget(peer) {
    this.invited.delete(peer);
    const calls = this.roster.drop(peer);
    if (calls.some(({ id }) => id === this.state.id) || this.links.has(peer)) this.#syncMembers('connection_lost');
    else if (calls.length > 0) this.#changed();
    this.#refusedByAll();
  }

  // Ringing, and nobody is left to answer: every invitee declined, was busy, or went.
  #refusedByAll() {
    if (this.state.phase !== 'outgoing' || this.invited.size > 0 || this.#members().length > 0) return;
    const reason = this.refusals.has('decline') ? 'decline' : this.refusals.has('busy') ? 'busy' : 'gone';
    this.#move({ type: 'refused', reason });
  }

  #members() {
    if (!isLive(this.state)) return [];
    return this.roster.members(this.state.topic, this.state.id).slice(0, MAX_CALL_MEMBERS - 1);
  }

  // Media with exactly the call's members, then the phase follows how many there are.
  #syncMembers(reason = 'hung_up') {
    const members = this.#members();
    if (this.entered && isInCall(this.state)) {
      for (const peer of members) {
        if (this.links.has(peer) || peer.state !== 'ready') continue;
        const media = new LinkMedia({ peer, local: () => this.local.tracks(), onChange: () => this.#changed() });
        this.links.set(peer, media);
        this.#swarmOf()?.setBusy?.(peer, true); // the overlay keeps a call's links
        media.begin();
        this.#sendMedia(peer);
      }
    }
    for (const [peer, media] of this.links) {
      if (members.includes(peer)) continue;
      media.stop();
      this.links.delete(peer);
      this.#swarmOf()?.setBusy?.(peer, false);
    }
    if (!this.#move({ type: 'others', count: members.length, reason })) this.#changed();
  }

  #mediaChanged() {
    for (const [peer, media] of this.links) {
      media.sync();
      this.#sendMedia(peer);
    }
    this.#changed();
  }

  #sendMedia(peer) {
    const { audio, camera, screen, screenStream } = this.local.tracks();
    this.swarms.get(this.state.topic)?.sendTo(peer, {
      t: 'call-media', id: this.state.id, mic: Boolean(audio) && !this.local.muted, camera: Boolean(camera),
      screen: screen ? screenStream.id : null,
    });
  }

  #ring() {
    clearTimeout(this.timer);
    const { id } = this.state;
    this.timer = setTimeout(() => {
      if (this.state.id !== id) return;
      this.#move({ type: 'timeout' });
    }, RING_TIMEOUT_MS);
  }

  #send(peer, action) {
    this.swarms.get(this.state.topic)?.sendTo(peer, {
      t: 'call', id: this.state.id, action, video: Boolean(this.state.video),
    });
  }

  #broadcast(action) {
    this.swarms.get(this.state.topic)?.broadcast({
      t: 'call', id: this.state.id, action, video: Boolean(this.state.video),
    });
  }

  #reset() {
    clearTimeout(this.timer);
    this.invited.clear();
    this.refusals.clear();
    this.inviter = null;
    this.entered = false;
    this.joinedAt = 0;
  }

  #history(event, extra = {}) {
    const { topic, id, video } = this.state;
    this.dispatchEvent(new CustomEvent('history', { detail: { topic, call: id, event, video, ...extra } }));
  }

  // One step of the state machine; leaving a call releases everything it held.
  #move(event) {
    const before = this.state;
    const next = nextCallState(before, event);
    if (!next) return false;
    this.state = next;
    if (next.phase === 'active' && before.phase === 'outgoing') clearTimeout(this.timer);
    if (next.phase === 'ended') this.#ended(before);
    this.#changed();
    return true;
  }

  #ended(before) {
    clearTimeout(this.timer);
    const wasIn = this.entered;
    // Everyone hears this device left, whatever the reason: a member left alone in a
    // call leaves it too, and the room must not show it in the call any longer.
    if (wasIn) this.#broadcast('hangup');
    this.entered = false;
    const last = this.roster.members(before.topic, before.id).length === 0;
    for (const [peer, media] of this.links) {
      media.stop();
      this.swarms.get(before.topic)?.setBusy?.(peer, false);
    }
    this.links.clear();
    this.local.release();
    this.invited.clear();
    // The last one out writes how long the call lasted (docs/protocol.md §7).
    if (wasIn && last) this.#history('ended', { since: this.joinedAt });
    const { id } = this.state;
    this.timer = setTimeout(() => {
      if (this.state.id === id) this.#move({ type: 'reset' });
    }, ENDED_SHOWN_MS);
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
