// ScrollKeeper: keeps a conversation where its reader left it. At the newest message it
// stays there whatever changes size (a picture that finishes loading, a file card that
// grows, the invite panel opening, the list hidden and shown again); scrolled up, the
// reader keeps their place, and nothing scrolls them down until they ask.
//
//   const keeper = new ScrollKeeper(list)   // the scrolling element
//   keeper.pinned                           // true while at the newest message
//   keeper.toBottom()                       // go to the newest message and stay there
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
    new MutationObserver(() => this.#settle())
      .observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
    new ResizeObserver(() => this.#onResize()).observe(el);
  }

  toBottom() {
    this.#setPinned(true);
    this.#settle();
  }

  #onScroll() {
    if (this.el.clientHeight === 0) return; // hidden: its scroll position means nothing
    const fromBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight;
    this.top = this.el.scrollTop;
    this.#setPinned(fromBottom <= SLACK_PX);
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
    if (this.pinned && this.el.clientHeight > 0) this.el.scrollTop = this.el.scrollHeight;
  }

  #setPinned(pinned) {
    if (pinned === this.pinned) return;
    this.pinned = pinned;
    this.dispatchEvent(new Event('change'));
  }
}
