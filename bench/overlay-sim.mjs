// A room of thousands, simulated: the real Overlay (static/app/peers/overlay.js) in every
// member, over an in-memory transport with latency, with members joining and leaving.
// No WebRTC and no crypto: what it measures is the shape of the links, which is all the
// overlay decides.
//
//   simulate({ members, churn, seed, ... }) -> {
//     linksPerMember: { min, median, max }, maxLinksEver, components,
//     spread: { hops99, hopsAll, ms99, msAll, reachedAll }, ... }
//
// The model, step by step (times in simulated ms; a seeded generator draws everything):
// - a member joins every `joinEveryMs`; the server answers its `join` with a random
//   sample of at most `sample` members online and tells at most `announce` of them
//   about it (the bounded `joined` a room of thousands needs; today's server tells all);
// - a member told of a newcomer may dial it (if it is under its low mark, or the room
//   is small); a link takes `setupMs` to set up; the member dialled takes it, shedding
//   links first if it is at its high mark (Overlay.makeRoom), and two members that
//   dialled each other make one link; when a link is up both ends tell each
//   other at most `exchange` of their other links (candidates beyond the server's
//   sample);
// - after everyone joined and the links settled, `churn` of the members leave and as
//   many new ones join, at random moments over `churnMs`; a member that leaves takes
//   its links with it, and its neighbours forget it;
// - then, once settled again, `messages` messages from random members spread over the
//   links, each link with its own latency drawn from `hopMs`, every member passing a
//   message on to its other links the first time it gets it (as heads and wants pass
//   an entry on): hops and time until 99 % and every member online hold it.
import { Overlay, OVERLAY_DEGREE, pickAtRandom } from '../static/app/peers/overlay.js';
import { replicate } from './replication-sim.mjs';

// mulberry32: small, fast, and the same sequence for the same seed on every run.
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Earliest first; equal times in the order they were scheduled.
class EventQueue {
  constructor() {
    this.heap = [];
    this.count = 0;
  }

  push(at, run) {
    this.heap.push({ at, order: this.count++, run });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(this.heap[i], this.heap[parent])) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent], this.heap[i]];
      i = parent;
    }
  }

  pop() {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let first = i;
        if (left < this.heap.length && this.#before(this.heap[left], this.heap[first])) first = left;
        if (right < this.heap.length && this.#before(this.heap[right], this.heap[first])) first = right;
        if (first === i) break;
        [this.heap[i], this.heap[first]] = [this.heap[first], this.heap[i]];
        i = first;
      }
    }
    return top;
  }

  get size() {
    return this.heap.length;
  }

  #before(a, b) {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }
}

const between = (random, [low, high]) => low + random() * (high - low);

class Room {
  constructor(options) {
    this.options = options;
    this.random = seededRandom(options.seed);
    this.queue = new EventQueue();
    this.now = 0;
    this.members = new Map(); // id -> { overlay, online }
    this.online = new Set();
    this.latency = new Map(); // "a|b" -> ms, for each link up
    this.maxLinksEver = 0;
    this.nextId = 0;
    this.dials = 0;
    this.events = 0;
  }

  at(time, run) {
    this.queue.push(time, run);
  }

  // A policy that never settles (links shed and made again without end) fails here
  // rather than running on.
  runUntil(time) {
    while (this.queue.size && this.queue.heap[0].at <= time) {
      if (++this.events > this.options.maxEvents) {
        throw new Error(`the room did not settle: ${this.events} events by ${Math.round(this.now)} ms`);
      }
      const { at, run } = this.queue.pop();
      this.now = at;
      run();
    }
    this.now = time;
  }

  join() {
    const id = `m${this.nextId++}`;
    const overlay = new Overlay({ degree: this.options.degree, random: this.random });
    const member = { id, overlay, online: true, dials: new Map() };
    const others = [...this.online];
    this.members.set(id, member);
    this.online.add(id);
    overlay.learn(pickAtRandom(others, this.options.sample, this.random));
    for (const other of pickAtRandom(others, this.options.announce, this.random)) {
      const told = this.members.get(other);
      told.overlay.learn([id]);
      this.act(told);
    }
    this.act(member);
  }

  leave(id) {
    const member = this.members.get(id);
    member.online = false;
    this.online.delete(id);
    for (const other of [...member.overlay.links, ...member.overlay.pending]) {
      const neighbour = this.members.get(other);
      if (!neighbour.online) continue;
      // Its ready links are lost (and replaced, up to the target); its dials forgotten.
      neighbour.overlay.lost(id);
      this.latency.delete(key(id, other));
      this.act(neighbour);
    }
  }

  act(member) {
    if (!member.online) return;
    const { dial, prune } = member.overlay.plan();
    for (const id of dial) this.dial(member, this.members.get(id));
    for (const id of prune) this.close(member, this.members.get(id));
  }

  // A dial that a later one to the same member replaced, or that ended otherwise (a
  // link made from the other end, shed), comes to nothing when its time is up.
  dial(from, to) {
    from.overlay.dialling(to.id, { ours: true });
    const token = ++this.dials;
    from.dials.set(to.id, token);
    this.at(this.now + between(this.random, this.options.setupMs), () => {
      if (!from.online || from.dials.get(to.id) !== token) return;
      from.dials.delete(to.id);
      if (!from.overlay.pending.has(to.id)) return;
      if (!to.online) {
        from.overlay.forget(to.id);
        this.act(from);
        return;
      }
      // Both ends dialled each other: one link (makeRoom sheds nothing for it).
      for (const id of to.overlay.makeRoom(from.id)) this.close(to, this.members.get(id));
      this.link(from, to);
    });
  }

  link(a, b) {
    a.overlay.linked(b.id);
    b.overlay.linked(a.id);
    this.latency.set(key(a.id, b.id), between(this.random, this.options.hopMs));
    this.maxLinksEver = Math.max(this.maxLinksEver, a.overlay.links.size, b.overlay.links.size);
    const { exchange } = this.options;
    a.overlay.learn(pickAtRandom([...b.overlay.links].filter((id) => id !== a.id), exchange, this.random));
    b.overlay.learn(pickAtRandom([...a.overlay.links].filter((id) => id !== b.id), exchange, this.random));
    this.act(a);
    this.act(b);
  }

  close(a, b) {
    a.overlay.unlinked(b.id);
    b.overlay.unlinked(a.id);
    this.latency.delete(key(a.id, b.id));
    this.act(b);
  }

  // The links among members online, as lists.
  neighbours(id) {
    return [...this.members.get(id).overlay.links].filter((other) => this.online.has(other));
  }

  components() {
    const seen = new Set();
    let count = 0;
    for (const start of this.online) {
      if (seen.has(start)) continue;
      count += 1;
      const stack = [start];
      seen.add(start);
      while (stack.length) {
        for (const next of this.neighbours(stack.pop())) {
          if (!seen.has(next)) {
            seen.add(next);
            stack.push(next);
          }
        }
      }
    }
    return count;
  }

  // Each member passes the message on the first time it gets it: the time it first
  // arrives is the shortest path over the links' latencies (Dijkstra), and its hops are
  // those of that path.
  spread(source) {
    const arrival = new Map([[source, { ms: 0, hops: 0 }]]);
    const queue = new EventQueue();
    queue.push(0, source);
    const done = new Set();
    while (queue.size) {
      const { run: id } = queue.pop();
      if (done.has(id)) continue;
      done.add(id);
      const here = arrival.get(id);
      for (const next of this.neighbours(id)) {
        const ms = here.ms + this.latency.get(key(id, next));
        const known = arrival.get(next);
        if (!known || ms < known.ms) {
          arrival.set(next, { ms, hops: here.hops + 1 });
          queue.push(ms, next);
        }
      }
    }
    return arrival;
  }
}

const key = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`);

export function simulate({
  members = 1000, churn = 0.1, degree = OVERLAY_DEGREE, seed = 1, sample = 32, announce = 32,
  exchange = 16, joinEveryMs = 20, setupMs = [150, 450], hopMs = [20, 80], churnMs = 10_000,
  settleMs = 5000, messages = 20, maxEvents = 1000 * members + 100_000, replicated = 0,
} = {}) {
  const room = new Room({ degree, seed, sample, announce, exchange, setupMs, hopMs, maxEvents });
  for (let i = 0; i < members; i += 1) room.at(i * joinEveryMs, () => room.join());
  let time = members * joinEveryMs + settleMs;
  room.runUntil(time);
  const changes = Math.round(members * churn);
  for (let i = 0; i < changes; i += 1) {
    room.at(time + room.random() * churnMs, () => {
      const [gone] = pickAtRandom(room.online, 1, room.random);
      room.leave(gone);
    });
    room.at(time + room.random() * churnMs, () => room.join());
  }
  time += churnMs + settleMs;
  room.runUntil(time);

  const links = [...room.online].map((id) => room.neighbours(id).length).sort((a, b) => a - b);
  const spreads = [];
  for (let i = 0; i < messages; i += 1) {
    const [source] = pickAtRandom(room.online, 1, room.random);
    const arrival = room.spread(source);
    const reached = [...arrival.values()];
    const ms = reached.map((r) => r.ms).sort((a, b) => a - b);
    const hops = reached.map((r) => r.hops).sort((a, b) => a - b);
    // The value by which 99 % (and all) of the members online hold it; Infinity if they
    // never do.
    const by = (sorted, fraction) => sorted[Math.ceil(fraction * room.online.size) - 1] ?? Infinity;
    spreads.push({
      reached: reached.length,
      ms99: by(ms, 0.99), msAll: by(ms, 1), hops99: by(hops, 0.99), hopsAll: by(hops, 1),
    });
  }
  // Then entries by the real replication modules over the same links (replication-sim.mjs).
  room.options.maxEvents = Infinity;
  const replication = replicated ? replicate(room, { messages: replicated }) : null;
  const worst = (field) => Math.max(...spreads.map((s) => s[field]));
  const median = (field) => spreads.map((s) => s[field]).sort((a, b) => a - b)[spreads.length >> 1];
  return {
    members, online: room.online.size, joinedInAll: room.nextId, left: changes, degree,
    linksPerMember: { min: links[0], median: links[links.length >> 1], max: links.at(-1) },
    maxLinksEver: room.maxLinksEver,
    replication,
    components: room.components(),
    spread: {
      messages,
      reachedAll: spreads.every((s) => s.reached === room.online.size),
      hops99: median('hops99'), hopsAll: median('hopsAll'), worstHopsAll: worst('hopsAll'),
      ms99: Math.round(median('ms99')), msAll: Math.round(median('msAll')), worstMsAll: Math.round(worst('msAll')),
    },
  };
}
