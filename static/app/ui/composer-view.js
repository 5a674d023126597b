// The composer: writes new messages, replies and edits, and tells the room when the user
// is typing. Enter sends, Shift+Enter is a new line, Escape cancels a reply or an edit,
// ArrowUp in an empty composer edits the user's last message; "@" offers the room's
// members to mention (ui/mention-picker.js). Files come through the
// attach button (a picker, several at once) or a paste; ChatView takes dropped ones.
// The coins button opens "Request a payment" (ui/payment-request-dialog.js).
import { MAX_TEXT_CODE_POINTS } from '../room/entry-body.js';
import { h, replaceChildren } from './dom.js';
import { MentionPicker } from './mention-picker.js';

// From here on the composer shows how many characters are left to the limit.
const COUNT_FROM = MAX_TEXT_CODE_POINTS - 500;

export class ComposerView {
  constructor({ onSubmit, onTyping, onEditLast, onFiles = () => {}, onRequestPayment = () => {}, members = () => [] }) {
    this.onSubmit = onSubmit;
    this.onFiles = onFiles;
    this.onTyping = onTyping;
    this.onEditLast = onEditLast;
    this.mode = null; // null | { kind: 'reply' | 'edit', message, label }
    this.context = h('div', { class: 'composer-context', hidden: true, 'data-testid': 'composer-context' });
    this.input = h('textarea', {
      class: 'composer-input', rows: 1, placeholder: 'Write a message…',
      'aria-label': 'Message', 'data-testid': 'composer',
    });
    // No maxLength: the browser would cut a long paste without a word. The count says
    // how long the text is, and a text over the limit is kept but not sent.
    this.count = h('p', { class: 'composer-count', id: 'composer-count', hidden: true, 'data-testid': 'composer-count' });
    this.input.setAttribute('aria-describedby', 'composer-count');
    this.input.addEventListener('keydown', (event) => this.#onKey(event));
    this.input.addEventListener('input', () => {
      this.#autosize();
      this.#showCount();
      this.onTyping(this.input.value.length > 0);
    });
    this.input.addEventListener('paste', (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (!files.length) return;
      event.preventDefault();
      this.onFiles(files);
    });
    this.picker = h('input', {
      type: 'file', multiple: true, class: 'visually-hidden', tabIndex: -1, 'aria-hidden': 'true',
      'data-testid': 'file-input',
      onchange: () => {
        const files = [...this.picker.files];
        this.picker.value = '';
        if (files.length) this.onFiles(files);
      },
    });
    this.attach = h('button', {
      class: 'button attach-button', type: 'button', title: 'Send files', 'aria-label': 'Send files',
      'data-testid': 'attach', onclick: () => this.picker.click(),
    }, h('span', { class: 'attach-icon', 'aria-hidden': 'true' }));
    this.requestPayment = h('button', {
      class: 'button request-payment-button', type: 'button', title: 'Request a payment', 'aria-label': 'Request a payment',
      'data-testid': 'request-payment', onclick: () => onRequestPayment(),
    }, h('span', { class: 'request-payment-icon', 'aria-hidden': 'true' }));
    this.form = h('form', { class: 'composer', onsubmit: (event) => this.#submit(event) },
      this.attach, this.requestPayment, this.picker, this.input,
      h('button', { class: 'button primary', type: 'submit', 'data-testid': 'send' }, 'Send'));
    this.mentions = new MentionPicker({ input: this.input, members });
    this.el = h('div', { class: 'composer-area' }, this.mentions.el, this.context, this.count, this.form);
  }

  // While a safety warning is open, or a restored device is still catching up with its
  // own history, the room takes no new messages; the placeholder says why.
  setBlocked(reason) {
    const blocked = Boolean(reason);
    this.input.disabled = blocked;
    this.form.querySelector('button[type=submit]').disabled = blocked || this.tooLong;
    this.attach.disabled = blocked;
    this.requestPayment.disabled = blocked;
    this.blocked = blocked;
    this.input.placeholder = reason ?? 'Write a message…';
  }

  reset() {
    this.input.value = '';
    this.cancelMode();
    this.#autosize();
    this.#showCount();
  }

  focus() {
    this.input.focus();
  }

  startReply(message, authorName) {
    this.#setMode({ kind: 'reply', message, label: `Replying to ${authorName}` });
  }

  startEdit(message) {
    this.#setMode({ kind: 'edit', message, label: 'Editing your message' });
    this.input.value = message.text;
    this.#autosize();
    this.#showCount();
  }

  cancelMode() {
    const wasEdit = this.mode?.kind === 'edit';
    this.mode = null;
    this.context.hidden = true;
    replaceChildren(this.context);
    if (wasEdit) this.input.value = '';
    this.#showCount();
  }

  #setMode(mode) {
    this.mode = mode;
    const text = mode.message.file ? `File: ${mode.message.file.name}` : mode.message.payment ? 'Payment request' : mode.message.text;
    const snippet = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    replaceChildren(this.context,
      h('div', { class: 'composer-context-text' }, h('strong', {}, mode.label), h('span', {}, snippet)),
      h('button', {
        type: 'button', class: 'action-button', 'aria-label': 'Cancel', 'data-testid': 'composer-cancel',
        onclick: () => { this.cancelMode(); this.focus(); },
      }, '✕'));
    this.context.hidden = false;
    this.focus();
  }

  #onKey(event) {
    if (this.mentions.onKey(event)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.form.requestSubmit();
    } else if (event.key === 'Escape' && this.mode) {
      event.preventDefault();
      this.cancelMode();
    } else if (event.key === 'ArrowUp' && !this.input.value && !this.mode) {
      if (this.onEditLast()) event.preventDefault();
    }
  }

  async #submit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (!text) return;
    if ([...text].length > MAX_TEXT_CODE_POINTS) {
      this.#showCount();
      return;
    }
    const mode = this.mode;
    this.input.value = '';
    this.cancelMode();
    this.#autosize();
    this.#showCount();
    this.onTyping(false);
    await this.onSubmit(text, mode);
  }

  #showCount() {
    // Code units are never fewer than code points: a short text needs no counting.
    const length = this.input.value.length < COUNT_FROM ? 0 : [...this.input.value.trim()].length;
    const over = length > MAX_TEXT_CODE_POINTS;
    this.tooLong = over;
    this.count.hidden = length < COUNT_FROM;
    this.count.classList.toggle('over', over);
    this.form.querySelector('button[type=submit]').disabled = this.blocked || over;
    // The text only when shown (the first number formatted loads the locale's data);
    // a hidden one says nothing, as the textarea is described by it.
    if (this.count.hidden) {
      this.count.textContent = '';
      return;
    }
    const limit = MAX_TEXT_CODE_POINTS.toLocaleString('en');
    this.count.textContent = over
      ? `${length.toLocaleString('en')} / ${limit} characters: too long to send. Shorten it, or send it as a file.`
      : `${length.toLocaleString('en')} / ${limit} characters`;
  }

  // One row high as the style sheet draws it, taller while the text needs more rows.
  // An empty one is not measured: that would force a layout of the whole page (a room
  // opening draws an empty composer).
  #autosize() {
    this.input.style.height = '';
    if (!this.input.value) return;
    const { scrollHeight, clientHeight, offsetHeight } = this.input;
    if (scrollHeight <= clientHeight) return;
    this.input.style.height = `${Math.min(scrollHeight + offsetHeight - clientHeight, 160)}px`;
  }
}
