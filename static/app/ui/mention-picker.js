// @mentions in the composer: typing "@" and the start of a name offers the room's
// members; ArrowUp/ArrowDown choose, Enter or Tab puts "@Name " in, Escape closes the
// list (and only the list). A mention is plain text, "@" and the display name, which is
// what the wake for members on the "mentions" level looks for (push/notify-levels.js).
//
//   const picker = new MentionPicker({ input, members: () => [{ id, name }] })
//   picker.el          the list, placed above the composer
//   picker.onKey(event) -> whether the key was the picker's
//   mentionQuery(textBeforeCaret) -> the name begun after an "@", or null
//   matchMembers(members, query)  -> the members whose name has a word starting so
import { h, replaceChildren } from './dom.js';

const MAX_SHOWN = 6;

export function mentionQuery(before) {
  const match = /(?:^|\s)@([^\s@]{0,32})$/u.exec(before);
  return match ? match[1] : null;
}

export function matchMembers(members, query) {
  const wanted = query.toLowerCase();
  return members
    .filter(({ name }) => name.toLowerCase().split(/\s+/).some((word) => word.startsWith(wanted)) || name.toLowerCase().startsWith(wanted))
    .slice(0, MAX_SHOWN);
}

export class MentionPicker {
  constructor({ input, members }) {
    this.input = input;
    this.members = members;
    this.shown = [];
    this.active = 0;
    this.el = h('ul', { class: 'mention-picker', role: 'listbox', 'aria-label': 'Mention someone', 'data-testid': 'mention-picker', hidden: true });
    input.addEventListener('input', () => this.#update());
    input.addEventListener('click', () => this.#update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get open() {
    return !this.el.hidden;
  }

  close() {
    this.el.hidden = true;
    this.shown = [];
  }

  onKey(event) {
    if (!this.open) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.shown.length) % this.shown.length;
      this.#render();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      this.#choose(this.shown[this.active]);
    } else if (event.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  #update() {
    const caret = this.input.selectionStart;
    const query = caret === this.input.selectionEnd ? mentionQuery(this.input.value.slice(0, caret)) : null;
    this.shown = query === null ? [] : matchMembers(this.members(), query);
    this.active = 0;
    this.el.hidden = this.shown.length === 0;
    this.#render();
  }

  #render() {
    replaceChildren(this.el, this.shown.map((member, i) => h('li', {
      role: 'option', class: 'mention-option', 'aria-selected': String(i === this.active), 'data-testid': 'mention-option',
      onpointerdown: (event) => {
        event.preventDefault(); // keep the focus in the composer
        this.#choose(member);
      },
    }, member.name)));
  }

  #choose(member) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret);
    const start = before.lastIndexOf('@');
    const inserted = `@${member.name} `;
    this.input.value = this.input.value.slice(0, start) + inserted + this.input.value.slice(caret);
    this.input.selectionStart = this.input.selectionEnd = start + inserted.length;
    this.close();
    this.input.dispatchEvent(new Event('input'));
  }
}
