// Calls in a big room (docs/protocol.md §6 Calls, big rooms): a member links to a few
// others only, so a call links its participants itself, and nobody else. Whoever is in
// the call, or about to join it, also joins the call's own rendezvous topic, a hash of
// the call id keyed with the room's membership key (the server cannot tell which room
// it belongs to); the server's `peers` answer names who is there, and the newcomer dials
// them through the room's topic, whatever the overlay plans (the links are busy: kept).
// Those already there wait for its offer. A member with no link to anyone in the call
// learns of it from the room's history (a `call` entry without its `ended`).
//
//   const calls = new BigRoomCalls({ calls: callManager, signaling })
//   calls.attach(topic, { swarm, session, membershipKey }); calls.detach(topic)
//   calls.openCall(topic)   -> the call the history says is going on, for a "Join" button
//   await calls.join(topic) -> joins it: through the rendezvous when no member of it is linked
import { sodium } from '../crypto/sodium.js';
import { concatBytes, toBase64Url, utf8Encode } from '../crypto/encoding.js';
import { isInCall } from './call-state.js';

const CALL_TOPIC_CONTEXT = utf8Encode('parley-call-topic-v1');
const JOIN_WAIT_MS = 15_000; // for a member of the call to link and say it is in it
// A call the history shows without its end is taken for over after this long (its last
// member's page may have gone before writing `ended`).
export const OPEN_CALL_MS = 4 * 3_600_000;

export function callTopic(membershipKey, callId) {
  const message = concatBytes(CALL_TOPIC_CONTEXT, utf8Encode(callId));
  return toBase64Url(sodium.crypto_generichash(32, message, membershipKey));
}

// One room's rendezvous: at most one call topic joined at a time.
class CallRendezvous {
  constructor({ signaling, swarm, membershipKey }) {
    Object.assign(this, { signaling, swarm, membershipKey, topic: null, linked: new Set() });
    this.onPeers = ({ detail }) => {
      if (detail.topic !== this.topic) return;
      for (const { id, key } of detail.peers ?? []) this.#link(id, key, { dial: true });
    };
    // One who came to the call: its offer is on its way, and its link is the call's.
    this.onJoined = ({ detail }) => {
      if (detail.topic === this.topic && detail.peer) this.#link(detail.peer.id, detail.peer.key, { dial: false });
    };
    signaling.addEventListener('peers', this.onPeers);
    signaling.addEventListener('joined', this.onJoined);
  }

  enter(callId) {
    const topic = callTopic(this.membershipKey, callId);
    if (topic === this.topic) return;
    this.leave();
    this.topic = topic;
    this.signaling.join(topic);
  }

  leave() {
    if (!this.topic) return;
    this.signaling.leave(this.topic);
    this.topic = null;
    this.swarm.releaseCallLinks([...this.linked]);
    this.linked.clear();
  }

  stop() {
    this.leave();
    this.signaling.removeEventListener('peers', this.onPeers);
    this.signaling.removeEventListener('joined', this.onJoined);
  }

  #link(id, key, { dial }) {
    this.linked.add(id);
    this.swarm.linkForCall(id, key, { dial });
  }
}

export class BigRoomCalls {
  #rooms = new Map(); // topic -> { rendezvous, session }
  #joining = null; // the topic whose call this device is about to join

  constructor({ calls, signaling }) {
    this.calls = calls;
    this.signaling = signaling;
    calls.addEventListener('change', () => this.#follow());
  }

  attach(topic, { swarm, session, membershipKey }) {
    const rendezvous = new CallRendezvous({ signaling: this.signaling, swarm, membershipKey });
    this.#rooms.set(topic, { rendezvous, session });
  }

  detach(topic) {
    this.#rooms.get(topic)?.rendezvous.stop();
    this.#rooms.delete(topic);
  }

  // The call going on in a big room, as its history tells, that this device is not in
  // and hears nothing of on its links: { id, video, count } or null.
  openCall(topic, now = Date.now()) {
    const room = this.#rooms.get(topic);
    if (!room?.session.isBig() || this.calls.running(topic)) return null;
    const call = room.session.view.messages.findLast((message) => message.call)?.call;
    if (!call || call.ended || call.starter === null || now - call.startedAt > OPEN_CALL_MS) return null;
    if (this.calls.state.id === call.call && isInCall(this.calls.state)) return null;
    return { id: call.call, video: call.video, count: 1 + call.joined.length };
  }

  async join(topic) {
    const open = this.openCall(topic);
    if (!open) return this.calls.join(topic);
    this.#joining = topic;
    this.#rooms.get(topic).rendezvous.enter(open.id);
    // A member of the call greets the newcomer's link with `present`, or with `invite`
    // while it is still ringing (then this device is rung, and accepts).
    const rung = () => this.calls.state.phase === 'incoming' && this.calls.state.id === open.id;
    try {
      await this.#until(() => this.calls.running(topic)?.id === open.id || rung());
      await (rung() ? this.calls.accept() : this.calls.join(topic));
    } finally {
      this.#joining = null;
      this.#follow();
    }
  }

  #until(done) {
    return new Promise((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        this.calls.removeEventListener('change', check);
        reject(new Error('call_not_found'));
      }, JOIN_WAIT_MS);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.calls.removeEventListener('change', check);
        resolve();
      };
      this.calls.addEventListener('change', check);
    });
  }

  // In a big room's call (or joining one): at its rendezvous; otherwise at none.
  #follow() {
    const { state, entered } = this.calls;
    for (const [topic, { rendezvous, session }] of this.#rooms) {
      if (entered && isInCall(state) && state.topic === topic && session.isBig()) rendezvous.enter(state.id);
      else if (this.#joining !== topic) rendezvous.leave();
    }
  }
}
