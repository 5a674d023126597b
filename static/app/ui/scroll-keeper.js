// ScrollKeeper: keeps a conversation where its reader left it. At the newest message it
// stays there whatever changes size (a picture that finishes loading, a file card that
// grows, the invite panel opening, the list hidden and shown again); scrolled up, the
// reader keeps their place, and nothing scrolls them down until they ask.
//
//   const keeper = new ScrollKeeper(list)   // the scrolling element
//   keeper.pinned                           // true while at the newest message
//   keeper.toBottom()                       // go to the newest message and stay there
//   keeper.release()                        // stop keeping to the end (before a jump)
//   'change' events when `pinned` changes
const SLACK_PX = 48; // this close to the end counts as at the end

export class ScrollKeeper extends EventTarget {
  constructor(el) {
    super();
    this.el = el;
    this.pinned = true;
    this.top = 0; // the reader's place while not pinned
    this.hidden = false;
    el.addEventListener('scroll', () => this.#onScroll(), { passive: true });
    // Pictures load after their message is placed; `load` does not bubble, so capture it.
    el.addEventListener('load', () => this.#settle(), true);
    // Each item is watched for its size too: a picture can take its height a frame
    // after it loaded, with no event on the list at all.
    this.items = new ResizeObserver(() => this.#settle());
    new MutationObserver((records) => this.#onMutation(records))
      .observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
    new ResizeObserver(() => this.#onResize()).observe(el);
  }

  #onMutation(records) {
    for (const { target, addedNodes, removedNodes } of records) {
      if (target !== this.el) continue;
      for (const node of addedNodes) if (node.nodeType === 1) this.items.observe(node);
      for (const node of removedNodes) if (node.nodeType === 1) this.items.unobserve(node);
    }
    this.#settle();
  }

  toBottom() {
    this.#setPinned(true);
    this.#settle();
  }

  // The view is about to go elsewhere (a reply's quote, a search result): stay off the end.
  release() {
    this.#setPinned(false);
  }

  // Only the reader moves the view up. Down, or not at all, with the end further away,
  // the content grew under a view that was at the end: it stays there.
  #onScroll() {
    if (this.el.clientHeight === 0) return; // hidden: its scroll position means nothing
    const fromBottom = this.#fromBottom();
    const movedUp = this.el.scrollTop < this.top;
    this.top = this.el.scrollTop;
    if (this.pinned && !movedUp) this.#settle();
    else this.#setPinned(fromBottom <= SLACK_PX);
  }

  #onResize() {
    if (this.el.clientHeight === 0) {
      this.hidden = true;
      return;
    }
    // Shown again after display: none, which forgot the scroll position.
    if (this.hidden && !this.pinned) this.el.scrollTop = this.top;
    this.hidden = false;
    this.#settle();
  }

  #settle() {
    if (!this.pinned || this.el.clientHeight === 0) return;
    // The view went up since we last placed it, away from the end: the reader moved it,
    // and the scroll event saying so comes with the next frame. A change in between
    // must not pull them back down. (Content that shrank lowers scrollTop too, but
    // leaves the view at the end.)
    if (this.el.scrollTop < this.top && this.#fromBottom() > SLACK_PX) {
      this.top = this.el.scrollTop;
      this.#setPinned(false);
      return;
    }
    this.el.scrollTop = this.el.scrollHeight;
    this.top = this.el.scrollTop;
  }

  #fromBottom() {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight;
  }

  #setPinned(pinned) {
    if (pinned === this.pinned) return;
    this.pinned = pinned;
    this.dispatchEvent(new Event('change'));
  }
}
