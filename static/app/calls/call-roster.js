// Who is in which call, as this device has heard it from its peer links: a peer is in a
// call from its `invite`, `accept` or `present` frame until its `hangup` or until its
// link is gone (docs/protocol.md §6). A peer is in one call at most. Pure: peers are
// whatever objects the caller uses for them.
//
//   const roster = new CallRoster()
//   roster.note(topic, id, peer, { video })   peer said it is in call `id` of room `topic`
//   roster.leave(peer, id); roster.drop(peer) -> [{ topic, id }] calls it was in
//   roster.members(topic, id) -> [peer]; roster.running(topic) -> { id, video, count } | null
const MAX_CALLS_PER_ROOM = 8;

export class CallRoster {
  constructor() {
    this.calls = new Map(); // `${topic} ${id}` -> { topic, id, video, members: Set(peer), since }
  }

  note(topic, id, peer, { video = false } = {}) {
    const key = `${topic} ${id}`;
    let call = this.calls.get(key);
    if (call?.members.has(peer)) return false;
    this.drop(peer);
    if (!call) {
      // A peer cannot make this device remember calls without end: a room holds few.
      if (this.#callsIn(topic).length >= MAX_CALLS_PER_ROOM) return false;
      call = { topic, id, video: Boolean(video), members: new Set(), since: this.calls.size };
      this.calls.set(key, call);
    }
    call.members.add(peer);
    return true;
  }

  leave(peer, id) {
    for (const [key, call] of this.calls) {
      if (call.id !== id || !call.members.delete(peer)) continue;
      if (call.members.size === 0) this.calls.delete(key);
      return true;
    }
    return false;
  }

  drop(peer) {
    const left = [];
    for (const [key, call] of this.calls) {
      if (!call.members.delete(peer)) continue;
      left.push({ topic: call.topic, id: call.id });
      if (call.members.size === 0) this.calls.delete(key);
    }
    return left;
  }

  members(topic, id) {
    return [...(this.calls.get(`${topic} ${id}`)?.members ?? [])];
  }

  has(topic, id, peer) {
    return Boolean(this.calls.get(`${topic} ${id}`)?.members.has(peer));
  }

  // The call of a room that most of its members are in (a room rarely has two).
  running(topic) {
    const calls = this.#callsIn(topic).sort((a, b) => b.members.size - a.members.size);
    const [call] = calls;
    return call ? { id: call.id, video: call.video, count: call.members.size } : null;
  }

  #callsIn(topic) {
    return [...this.calls.values()].filter((call) => call.topic === topic);
  }
}
