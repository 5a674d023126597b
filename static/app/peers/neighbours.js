// Neighbours: whom a room's swarm knows of and which of them it links to. It keeps the
// connection keys the rendezvous server and the room's members named (`peers`, `joined`,
// a `signal`'s sender, `members` frames) and the overlay's plan (peers/overlay.js) over
// them, so the swarm only dials, answers and prunes what it is told.
//
//   const neighbours = new Neighbours({ degree, random, isOwnConnection })
//   neighbours.announce(id, key) -> known now?     neighbours.keyOf(id) -> bytes | undefined
//   neighbours.learn(id, key) -> known now?        also a candidate to link to (the server's)
//   neighbours.hearOf(id, key)                     a candidate a member named (`members`)
//   neighbours.gone(id)                            left the room (a ready link stays counted)
//   neighbours.untracked(id)                       a link the overlay does not count (a mirror)
//   neighbours.wantsMore()                         under the low mark in a big room
//   neighbours.forgetCandidates()                  a new rendezvous connection: only links stay
//   neighbours.dialling(id, { ours }) / linked(id) / closed(id, { lost })
//   neighbours.shuffle() -> { dial, prune }         now and then, in a big room
//   neighbours.makeRoom(id) -> ids to prune        someone dials in
//   neighbours.plan() -> { dial, prune }            neighbours.mayDial() -> boolean
//   neighbours.isBig()                             more members than a full mesh would link
//   neighbours.membersFor(others) -> [{ id, key }]  what a new neighbour is told of
//   neighbours.degree = { target, low, high }      from now on
import { toBase64Url, fromBase64Url } from '../crypto/bytes.js';
import { MAX_MEMBERS_PER_FRAME } from './data-frames.js';
import { Overlay, OVERLAY_DEGREE, pickAtRandom } from './overlay.js';

// Connections remembered with their keys, linked or candidates (the overlay's own bound
// is the same): beyond, the oldest not linked is forgotten.
const MAX_ANNOUNCED = 1024;

export class Neighbours {
  #keys = new Map(); // connectionId -> connection key bytes, in the order first heard of
  #heardFromMembers = new Set(); // ids only a member named: the first to make way
  #overlay;
  #random;
  #isOwnConnection;

  constructor({ degree = OVERLAY_DEGREE, random = Math.random, isOwnConnection = () => false } = {}) {
    this.#overlay = new Overlay({ degree, random });
    this.#random = random;
    this.#isOwnConnection = isOwnConnection;
  }

  get degree() {
    return this.#overlay.degree;
  }

  set degree(degree) {
    this.#overlay.setDegree(degree);
  }

  announce(id, key) {
    if (typeof id !== 'string' || this.#isOwnConnection(id)) return false;
    let bytes;
    try {
      bytes = fromBase64Url(key, 32);
    } catch {
      return false; // a malformed key gets no link
    }
    if (!this.#keys.has(id) && this.#keys.size >= MAX_ANNOUNCED) this.#forgetOldestCandidate();
    this.#keys.set(id, bytes);
    this.#heardFromMembers.delete(id);
    return true;
  }

  // A member may name anyone, truly or not: what it says never replaces a key the server
  // gave, and what only members said makes way first when the list is full.
  hearOf(id, key) {
    if (this.#keys.has(id) || typeof id !== 'string' || this.#isOwnConnection(id)) return;
    if (this.#keys.size >= MAX_ANNOUNCED && !this.#forgetOldestCandidate({ onlyHeard: true })) return;
    if (!this.announce(id, key)) return;
    this.#heardFromMembers.add(id);
    this.#overlay.learn([id]);
  }

  learn(id, key) {
    if (!this.announce(id, key)) return false;
    this.#overlay.learn([id]);
    return true;
  }

  keyOf(id) {
    return this.#keys.get(id);
  }

  has(id) {
    return this.#keys.has(id);
  }

  // A ready link does not need the server: it stays, and counted, until it closes.
  gone(id) {
    this.#keys.delete(id);
    this.#heardFromMembers.delete(id);
    if (this.#overlay.links.has(id)) this.#overlay.known.delete(id);
    else this.#overlay.forget(id);
  }

  untracked(id) {
    this.#overlay.refused(id);
  }

  wantsMore() {
    return this.isBig() && this.#overlay.degreeNow < this.#overlay.degree.low;
  }

  forgetCandidates() {
    this.#keys.clear();
    this.#heardFromMembers.clear();
    for (const id of [...this.#overlay.known]) if (!this.#overlay.links.has(id)) this.#overlay.forget(id);
  }

  dialling(id, { ours = false } = {}) {
    this.#overlay.dialling(id, { ours });
  }

  linked(id) {
    this.#overlay.linked(id);
  }

  // Not a candidate any more: dialled again only by the redial rules (one end, after a
  // wait), by the other end, or once it is heard of again. A ready link `lost` to a
  // failure is replaced by another member at the next plan.
  closed(id, { lost = false } = {}) {
    if (lost) this.#overlay.lost(id);
    else this.#overlay.refused(id);
  }

  shuffle({ slow = null } = {}) {
    const { dial, prune } = this.#overlay.shuffle({ slow });
    return { dial: dial.filter((id) => this.#keys.has(id)), prune };
  }

  makeRoom(id) {
    return this.#overlay.makeRoom(id);
  }

  setBusy(id, busy) {
    this.#overlay.setBusy(id, busy);
  }

  plan() {
    const { dial, prune } = this.#overlay.plan();
    return { dial: dial.filter((id) => this.#keys.has(id)), prune };
  }

  // Our own dials stay under the high mark; someone who dials in is made room for.
  mayDial() {
    return this.#overlay.degreeNow < this.#overlay.degree.high;
  }

  isStarved() {
    return this.#overlay.starved;
  }

  isBig() {
    return this.#overlay.known.size > this.#overlay.degree.high;
  }

  membersFor(others) {
    return pickAtRandom(others, MAX_MEMBERS_PER_FRAME, this.#random)
      .map(({ connectionId, connectionKey }) => ({ id: connectionId, key: toBase64Url(connectionKey) }));
  }

  #forgetOldestCandidate({ onlyHeard = false } = {}) {
    const pool = onlyHeard ? this.#heardFromMembers : this.#keys.keys();
    for (const id of pool) {
      if (!this.#overlay.links.has(id) && !this.#overlay.pending.has(id)) {
        this.gone(id);
        return true;
      }
    }
    return false;
  }
}
