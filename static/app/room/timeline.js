// Timeline: the messages of one room as this device knows them, in display order, with
// the per-author chain checks of docs/protocol.md §7 (checks 3 and 4). Pure data: no
// DOM, no crypto, no storage, so it is unit-tested in node.
//
//   const timeline = new Timeline()
//   timeline.check({ author, seq, prev, id })  -> 'new' | 'duplicate' | 'fork' | 'broken_chain'
//   timeline.add(record); timeline.markDelivered(id, peerId); timeline.messages()

const ZERO_ID = 'A'.repeat(43); // base64url of 32 zero bytes

export class Timeline {
  constructor() {
    this.byId = new Map();
    this.chains = new Map(); // author -> Map(seq -> id)
  }

  check({ author, seq, prev, id }) {
    if (this.byId.has(id)) return 'duplicate';
    const chain = this.chains.get(author);
    if (chain?.has(seq)) return 'fork';
    if (seq === 0 && prev !== ZERO_ID) return 'broken_chain';
    const previous = chain?.get(seq - 1);
    if (previous !== undefined && previous !== prev) return 'broken_chain';
    const next = this.#entryAt(author, seq + 1);
    if (next && next.prev !== id) return 'broken_chain';
    return 'new';
  }

  add(record) {
    if (this.byId.has(record.id)) return false;
    this.byId.set(record.id, { ...record, deliveredTo: new Set(record.deliveredTo ?? []) });
    if (!this.chains.has(record.author)) this.chains.set(record.author, new Map());
    this.chains.get(record.author).set(record.seq, record.id);
    return true;
  }

  get(id) {
    return this.byId.get(id);
  }

  markDelivered(id, peerId) {
    const record = this.byId.get(id);
    if (!record || record.author === peerId || record.deliveredTo.has(peerId)) return false;
    record.deliveredTo.add(peerId);
    return true;
  }

  nextSeq(author) {
    const chain = this.chains.get(author);
    return chain ? Math.max(...chain.keys()) + 1 : 0;
  }

  headId(author) {
    const chain = this.chains.get(author);
    return chain ? chain.get(Math.max(...chain.keys())) : null;
  }

  entriesBy(author) {
    return [...this.byId.values()].filter((r) => r.author === author).sort((a, b) => a.seq - b.seq);
  }

  // Display order: timestamp, then author and sequence, so two devices holding the same
  // entries show them the same way. (The causal order of the room-history issue
  // replaces this.)
  messages() {
    return [...this.byId.values()].sort(
      (a, b) => a.ts - b.ts || (a.author < b.author ? -1 : a.author > b.author ? 1 : a.seq - b.seq),
    );
  }

  #entryAt(author, seq) {
    const id = this.chains.get(author)?.get(seq);
    return id === undefined ? null : this.byId.get(id);
  }
}
