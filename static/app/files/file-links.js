// FileLinks: the ready links of one room that carry its files (a `parley-file` channel
// each, files/file-channel.js), which link is a peer's newest (only that one is asked
// and listened to: an older one is on its way out), and the peers no longer asked for
// chunks this session because their links sent too much that was malformed or damaged.
//
//   const links = new FileLinks()
//   links.add(link)      link: { connectionId, peer, peerKey, strikes, asked, has, heardAt, channel }
//   links.remove(connectionId) -> { link, wasCurrent } | null
//   links.get(connectionId); links.isCurrent(link); links.current(); for (const link of links)
//   links.strike(link) -> true when this strike banned the peer; links.isBanned(peerKey)
//   links.sourcesOf(root)   current links that announced a chunk of that file
//   links.askHave(link, root, rootBytes); links.askingOf(root)   `have?` asked, not answered
//
// Per link, keyed by root: `asked` (the peer asked `have?`: tell it of new chunks), `has`
// (it announced a chunk), `heardAt` (when it last sent a chunk we asked for), `awaiting`
// (we asked it `have?` and its answer has not come).
const MAX_LINK_STRIKES = 16;

export class FileLinks {
  #byConnection = new Map();
  #current = new Map(); // peer key (identity id) -> connectionId of its newest link
  #banned = new Set();

  add(link) {
    this.#byConnection.set(link.connectionId, link);
    this.#current.set(link.peerKey, link.connectionId);
  }

  get(connectionId) {
    return this.#byConnection.get(connectionId);
  }

  has(connectionId) {
    return this.#byConnection.has(connectionId);
  }

  remove(connectionId) {
    const link = this.#byConnection.get(connectionId);
    if (!link) return null;
    this.#byConnection.delete(connectionId);
    const wasCurrent = this.isCurrent(link);
    if (wasCurrent) this.#current.delete(link.peerKey);
    return { link, wasCurrent };
  }

  isCurrent(link) {
    return this.#current.get(link.peerKey) === link.connectionId;
  }

  // Every link, also one a newer link of its peer replaced (it may still owe answers).
  [Symbol.iterator]() {
    return [...this.#byConnection.values()][Symbol.iterator]();
  }

  current() {
    return [...this.#byConnection.values()].filter((link) => this.isCurrent(link));
  }

  strike(link) {
    link.strikes += 1;
    if (link.strikes <= MAX_LINK_STRIKES || this.#banned.has(link.peerKey)) return false;
    this.#banned.add(link.peerKey);
    return true;
  }

  isBanned(peerKey) {
    return this.#banned.has(peerKey);
  }

  sourcesOf(root) {
    return this.current().filter((link) => link.has.get(root)).length;
  }

  // Asks `have?` of a link for a file: until its `have` answer comes, it may hold it.
  askHave(link, root, rootBytes) {
    link.awaiting.add(root);
    link.channel.send({ type: 'have?', root: rootBytes });
  }

  // Current links asked `have?` for the file that have not answered yet.
  askingOf(root) {
    return this.current().filter((link) => link.awaiting.has(root)).length;
  }

  closeAll() {
    for (const link of this.#byConnection.values()) link.channel.close();
    this.#byConnection.clear();
    this.#current.clear();
  }
}
