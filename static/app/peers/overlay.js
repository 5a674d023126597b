// Overlay: which members of one room this device keeps links to. In a small room it links
// to everyone (a full mesh); in a big one it keeps its number of links between a low
// and a high water mark around a target, so a room of thousands costs each member a
// handful of links, and the links together still connect every member (issue 20).
//
//   const overlay = new Overlay({ degree: OVERLAY_DEGREE, random })
//   overlay.learn(ids)        members heard of: the server's sample, `joined`, peers' lists
//   overlay.forget(id)        the member left the room
//   overlay.dialling(id, { ours })  a link to it is being set up (by either end; `ours`:
//                             this one dialled it, a link it chose)
//   overlay.linked(id)        that link is ready
//   overlay.unlinked(id)      that link closed (the member may still be in the room)
//   overlay.refused(id)       it turned our link down (full): a candidate no more, until
//                             it is heard of again
//   overlay.lost(id)          a ready link whose member went (page closed, network gone):
//                             as refused, and replaced at the next plan, up to the target
//   overlay.shuffle({ slow }) -> { dial: [id], prune: [id] }   in a big room, one link
//                             swapped for a random candidate: run now and then, it heals
//                             a room cut in two; the link given as `slow` (slowestOf)
//                             goes first, so slow neighbours are replaced
//   slowestOf(Map id -> round trip ms) -> the id of a link far slower than the others | null
//   overlay.plan() -> { dial: [ids], prune: [ids] }   what to do now; call after changes
//   overlay.makeRoom(id) -> [ids]   links to close so that the one `id` offers fits
//                             under the high mark
//   overlay.setDegree(degree)  another degree from now on (the server's suggestion)
//   overlay.setBusy(id, busy)  a link that carries a call: never pruned, shed or shuffled
//   overlay.links, overlay.known
//
// No timers and no I/O: the swarm tells it what happened and does what it plans. Which
// members are dialled and which pruned is random (the swarm passes Math.random, the
// simulation a seeded generator), so the links form a random graph: with each member
// at the low water mark or more, such a graph is connected but for vanishing odds, and
// its diameter grows with the logarithm of the room's size.

// Gossipsub's defaults are D = 6, D_low = 4, D_high = 12. A link here also carries the
// room's history to a member catching up and serves its files, and a browser keeps a
// link open for as long as the page is, so a little more redundancy is cheap: a member
// whose two neighbours leave at once still has six. The high mark leaves room for the
// members who dial in while this one is at its target, without pruning at once.
export const OVERLAY_DEGREE = Object.freeze({ target: 8, low: 6, high: 12 });
const MAX_DEGREE = 64;

// A degree as a server may suggest one (`welcome.limits.overlay`, docs/protocol.md §3),
// if it is one: whole numbers, 1 <= low <= target <= high <= 64. Else null.
export function overlayDegreeOf(value) {
  if (typeof value !== 'object' || value === null) return null;
  const { target, low, high } = value;
  const whole = [target, low, high].every((n) => Number.isSafeInteger(n));
  if (!whole || !(low >= 1 && low <= target && target <= high && high <= MAX_DEGREE)) return null;
  return Object.freeze({ target, low, high });
}
const MAX_KNOWN = 1024; // members remembered as candidates; beyond, new ones replace old

export class Overlay {
  constructor({ degree = OVERLAY_DEGREE, random = Math.random } = {}) {
    this.setDegree(degree);
    this.random = random;
    this.known = new Set(); // members heard of and not gone, linked or not
    this.links = new Set(); // ready links
    this.pending = new Set(); // links being set up
    this.chosen = new Set(); // links (ready or pending) this member dialled itself
    this.busy = new Set(); // links carrying something that must not be cut (a call)
    this.toReplace = 0; // ready links lost since the last plan
  }

  // A busy link is never pruned, shed or shuffled away; it still counts in the degree.
  setBusy(id, busy) {
    if (busy) this.busy.add(id);
    else this.busy.delete(id);
  }

  // Links already made stay: a smaller degree is reached by the next plan's pruning.
  setDegree(degree) {
    if (!(degree.low <= degree.target && degree.target <= degree.high)) {
      throw new RangeError('the overlay needs low <= target <= high');
    }
    this.degree = degree;
  }

  learn(ids) {
    for (const id of ids) {
      if (this.known.has(id)) continue;
      if (this.known.size >= MAX_KNOWN) this.#forgetACandidate();
      this.known.add(id);
    }
  }

  forget(id) {
    this.known.delete(id);
    this.unlinked(id);
  }

  dialling(id, { ours = false } = {}) {
    this.learn([id]);
    if (!this.links.has(id)) this.pending.add(id);
    if (ours) this.chosen.add(id);
  }

  linked(id) {
    this.learn([id]);
    this.pending.delete(id);
    this.links.add(id);
  }

  unlinked(id) {
    this.pending.delete(id);
    this.links.delete(id);
    this.chosen.delete(id);
    this.busy.delete(id);
  }

  refused(id) {
    this.unlinked(id);
    this.known.delete(id);
  }

  lost(id) {
    if (this.links.has(id)) this.toReplace += 1;
    this.refused(id);
  }

  // Links ready or on their way.
  get degreeNow() {
    return this.links.size + this.pending.size;
  }

  // No link at all and nobody left to dial (every neighbour pruned this one, say): only a
  // fresh sample from the server helps. (Under the low mark with a link or more is a
  // small room's normal state: everyone known is linked.)
  get starved() {
    return this.degreeNow === 0 && this.#candidates().length === 0;
  }

  // A member that dials in (`id`) is always taken: a newcomer whose dials were all
  // refused would have no link at all, and as a room grows every member would fill up
  // with links it did not choose. At the high mark this one first sheds links at random
  // down to one under the target: links others dialled before those it chose (so that
  // members who keep dialling in cannot take all of its links, only the ones others
  // chose), ready ones before dials still on their way. A member shed falls under its
  // low mark only rarely, and then dials someone else. A member already linked or being
  // linked to (both ends dialled at once) costs nothing: it is one link.
  makeRoom(id) {
    if (this.links.has(id) || this.pending.has(id)) return [];
    this.learn([id]);
    if (this.degreeNow < this.degree.high) return [];
    const count = this.degreeNow - this.degree.target + 1;
    const shed = [];
    for (const chosen of [false, true]) {
      for (const pool of [this.links, this.pending]) {
        const group = [...pool].filter((other) => this.chosen.has(other) === chosen && !this.busy.has(other));
        shed.push(...this.#pick(group, count - shed.length));
      }
    }
    for (const gone of shed) this.unlinked(gone);
    return shed;
  }

  plan() {
    const { target, high } = this.degree;
    const candidates = this.#candidates();
    const lostSince = this.toReplace;
    this.toReplace = 0;
    // A room small enough: everyone. Its size is a guess from here: the members heard
    // of and not known to be gone.
    if (this.known.size <= high) return { dial: candidates, prune: [] };
    if (this.degreeNow < this.degree.low) {
      return { dial: this.#pick(candidates, target - this.degreeNow), prune: [] };
    }
    // A neighbour that went is replaced, up to the target: the room's links stay a
    // random graph. Nothing else changes between the marks, so a member pruned by
    // another does not dial in turn and churn does not ripple through the room.
    if (lostSince > 0 && this.degreeNow < target) {
      return { dial: this.#pick(candidates, Math.min(lostSince, target - this.degreeNow)), prune: [] };
    }
    if (this.degreeNow > high) {
      return { dial: [], prune: this.#pick(this.#prunable(), this.degreeNow - target) };
    }
    return { dial: [], prune: [] };
  }

  shuffle({ slow = null } = {}) {
    if (this.known.size <= this.degree.high) return { dial: [], prune: [] };
    const dial = this.#pick(this.#candidates(), 1);
    if (!dial.length || this.degreeNow < this.degree.target) return { dial, prune: [] };
    const prunable = this.#prunable();
    return { dial, prune: prunable.includes(slow) ? [slow] : this.#pick(prunable, 1) };
  }

  #prunable() {
    return [...this.links].filter((id) => !this.busy.has(id));
  }

  #candidates() {
    return [...this.known].filter((id) => !this.links.has(id) && !this.pending.has(id));
  }

  #pick(ids, count) {
    return pickAtRandom(ids, count, this.random);
  }

  #forgetACandidate() {
    const [gone] = this.#pick(this.#candidates(), 1);
    if (gone !== undefined) this.known.delete(gone);
  }
}

// A link is slow when its round trip is at least SLOW_LINK_MS and three times the median
// of the others': a far-away or congested neighbour, whose entries come late to everyone
// behind it. Of several, the slowest.
export const SLOW_LINK_MS = 400;
export function slowestOf(roundTrips) {
  const known = [...roundTrips].filter(([, ms]) => Number.isFinite(ms)).sort((a, b) => a[1] - b[1]);
  if (known.length < 3) return null;
  const [id, ms] = known.at(-1);
  const others = known.slice(0, -1).map(([, each]) => each);
  const median = others[Math.floor(others.length / 2)];
  return ms >= SLOW_LINK_MS && ms >= 3 * median ? id : null;
}

// `count` of `items` (or all), each equally likely, in random order.
export function pickAtRandom(items, count, random = Math.random) {
  const pool = [...items];
  const picked = [];
  while (picked.length < count && pool.length) {
    const at = Math.floor(random() * pool.length);
    picked.push(pool[at]);
    pool[at] = pool[pool.length - 1];
    pool.pop();
  }
  return picked;
}
