// MessageList: the <ol> of a conversation. It shows a window of the latest messages
// (more on request), keeps the DOM nodes of unchanged messages, and touches only what
// changed, so a catch-up of thousands of entries costs little layout.
//
//   const list = new MessageList({ element: (message) => li })
//   list.update(messages)      // in display order
//   list.reveal(id)            // widen the window to include a message; returns its node
import { h } from './dom.js';
import { dayLabel } from './format.js';

const PAGE = 200;
const DAY_MS = 86_400_000;

export class MessageList {
  constructor({ element }) {
    this.element = element;
    this.limit = PAGE;
    this.messages = [];
    this.separators = new Map(); // day number -> separator node
    this.earlier = h('li', { class: 'earlier' },
      h('button', { type: 'button', class: 'link-button', 'data-testid': 'show-earlier', onclick: () => this.#showMore() },
        'Show earlier messages'));
    this.el = h('ol', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite' });
  }

  update(messages) {
    this.messages = messages;
    this.el.dataset.total = String(messages.length);
    const start = Math.max(0, messages.length - this.limit);
    const desired = start > 0 ? [this.earlier] : [];
    let lastDay = null;
    for (let i = start; i < messages.length; i++) {
      const day = localDay(messages[i].ts);
      if (day !== lastDay) desired.push(this.#separator(day, messages[i].ts));
      lastDay = day;
      desired.push(this.element(messages[i]));
    }
    this.#patch(desired);
  }

  showEmpty(node) {
    this.messages = [];
    this.el.dataset.total = '0';
    this.#patch([node]);
  }

  reveal(id) {
    const index = this.messages.findIndex((message) => message.id === id);
    if (index < 0) return null;
    if (index < this.messages.length - this.limit) {
      this.limit = this.messages.length - index + 20;
      this.update(this.messages);
    }
    return this.element(this.messages[index]);
  }

  reset() {
    this.limit = PAGE;
    this.separators.clear();
    this.el.replaceChildren();
  }

  #showMore() {
    const before = this.el.scrollHeight;
    this.limit += PAGE;
    this.update(this.messages);
    this.el.scrollTop += this.el.scrollHeight - before; // keep the reader's place
  }

  #separator(day, ts) {
    const label = dayLabel(ts);
    let node = this.separators.get(day);
    if (!node || node.textContent !== label) {
      node = h('li', { class: 'day-separator' }, h('span', {}, label));
      this.separators.set(day, node);
    }
    return node;
  }

  // Moves, inserts and removes only the nodes that differ from the desired list.
  #patch(desired) {
    let cursor = this.el.firstChild;
    for (const node of desired) {
      if (cursor === node) {
        cursor = cursor.nextSibling;
      } else {
        this.el.insertBefore(node, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
  }
}

function localDay(ts) {
  return Math.floor((ts - new Date(ts).getTimezoneOffset() * 60_000) / DAY_MS);
}
