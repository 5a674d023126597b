// DownloadControl: the course of each download of a room (docs/protocol.md §11): started,
// paused, resumed, cancelled or failed, and while it runs, what is asked of whom: `have?`
// to every ready peer, `want` for the runs its DownloadPlan picks, and the chunks asked of
// a peer that went quiet taken back and asked again.
//
//   const downloads = new DownloadControl(host)
//     host: { files, transfers (TransferRegistry), links (FileLinks), receiver,
//             changed(root), stallMs, perPeer }   (the TransferManager's, shared)
//   downloads.download(t); downloads.pause(t); await downloads.cancel(t)
//   downloads.begin(t)         a new plan: asks every ready peer `have?`
//   downloads.pump(t)          asks for what the plan picks now (a `have`, a `lack`, a peer gone)
//   downloads.fail(t, error); downloads.stop()

// Chunks in flight per peer: asked, on their way, or here and written but not yet
// flushed (8 MiB). A chunk's slot is freed at its flush, FLUSH_CHUNKS at a time
// (files/chunk-receiver.js), so this is well above that: 16 was too few to keep the
// pipeline (read, seal, send, verify, write, flush) busy.
const PER_PEER = 64;
// A peer that sent nothing of a file for this long while chunks were asked of it (a lost
// message, a peer stuck) gets those chunks taken back; others (or it again) are asked.
const STALL_MS = 30_000;

export class DownloadControl {
  constructor({ files, transfers, links, receiver, changed, stallMs = STALL_MS, perPeer = PER_PEER }) {
    Object.assign(this, { files, transfers, links, receiver, changed, stallMs, perPeer });
    this.stallTimer = null;
  }

  stop() {
    clearTimeout(this.stallTimer);
  }

  download(t) {
    if (!this.files) return;
    const how = t.start();
    if (!how) return;
    this.#checkRoom(t);
    if (how === 'resume') {
      // What was asked before the pause and never came was dropped by its server.
      for (const link of this.links) {
        for (const index of t.plan.inFlightChunks(link.peerKey)) {
          if (!t.isWriting(index)) t.plan.giveBack(link.peerKey, index);
        }
      }
      this.pump(t);
    } else {
      this.begin(t);
    }
    this.receiver.saveNow(t);
  }

  // A download that cannot fit fails now, not at the write that runs out of room.
  async #checkRoom(t) {
    try {
      const { usage, quota } = (await this.files.estimate?.()) ?? {};
      const needed = t.offer.size - t.heldBytes;
      if (quota && quota - usage < needed) this.fail(t, codeError('storage_full'));
    } catch {
      // no estimate: the writes will tell
    }
  }

  pause(t) {
    if (t.pause()) this.#halted(t);
  }

  async cancel(t) {
    const cancelled = t.cancel();
    if (!cancelled) return;
    this.#halted(t);
    const { fileName } = cancelled;
    if (fileName) await this.files?.delete(fileName).catch(() => {});
  }

  fail(t, error) {
    if (!t.isActive) return;
    console.warn('parley: a file transfer failed', error);
    t.fail(error?.code ?? 'storage_failed');
    this.#halted(t);
  }

  // Peers drop what they were serving of it; what is written is flushed and saved.
  #halted(t) {
    for (const link of this.links) link.channel.send({ type: 'cancel', root: t.rootBytes });
    this.receiver.flush(t);
    this.receiver.saveNow(t);
    this.changed(t.root);
  }

  begin(t) {
    t.beginPlan(this.perPeer);
    for (const link of this.links) {
      link.has.delete(t.root);
      if (this.links.isCurrent(link)) this.links.askHave(link, t.root, t.rootBytes);
    }
    if (t.tree.complete) this.receiver.finish(t);
    this.changed(t.root);
  }

  pump(t) {
    this.receiver.flush(t); // a peer gone, a chunk lacked or given back: maybe none else comes
    if (!t.plan || !t.isActive) return;
    for (const link of this.links.current()) {
      if (this.links.isBanned(link.peerKey)) continue;
      const runs = t.plan.next(link.peerKey);
      if (runs.length && !link.heardAt.has(t.root)) link.heardAt.set(t.root, performance.now());
      for (const { first, count } of runs) {
        link.channel.send({ type: 'want', root: t.rootBytes, first, count });
      }
    }
    this.#watchStalls();
    this.changed(t.root);
  }

  // One check every few seconds while anything is asked for.
  #watchStalls() {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      const now = performance.now();
      let waiting = false;
      for (const t of this.transfers) {
        if (!t.plan || !t.isActive) continue;
        for (const link of this.links) {
          const asked = t.plan.inFlightChunks(link.peerKey).filter((index) => !t.isWriting(index));
          if (!asked.length) {
            link.heardAt.delete(t.root);
            continue;
          }
          waiting = true;
          if (now - (link.heardAt.get(t.root) ?? now) < this.stallMs) continue;
          link.channel.send({ type: 'cancel', root: t.rootBytes });
          for (const index of asked) t.plan.giveBack(link.peerKey, index);
          link.heardAt.delete(t.root);
          this.pump(t);
        }
      }
      if (waiting) this.#watchStalls();
    }, Math.min(5000, this.stallMs / 2));
    this.stallTimer.unref?.(); // node: tests need not wait for it
  }
}

function codeError(code) {
  return Object.assign(new Error(code), { code });
}
