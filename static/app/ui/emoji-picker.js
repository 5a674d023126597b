// The reaction picker: six quick reactions, and the full emoji set with search and
// categories (data from emojibase, loaded on first use). Keyboard: Tab into the grid,
// arrow keys move, Enter picks, Escape closes.
//
//   openEmojiPicker({ anchor, onPick: (emoji) => … })
import { h, replaceChildren } from './dom.js';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
const GROUPS = [
  [0, 'Smileys'], [1, 'People'], [3, 'Nature'], [4, 'Food'], [5, 'Travel'],
  [6, 'Activities'], [7, 'Objects'], [8, 'Symbols'], [9, 'Flags'],
];
const COLUMNS = 8;
const MAX_RESULTS = 240;

let emojiRows = null;
async function loadEmoji() {
  emojiRows ??= (await import('../../vendor/emoji-data.js')).default;
  return emojiRows;
}

let openPicker = null;

export function closeEmojiPicker() {
  openPicker?.close();
}

export function openEmojiPicker({ anchor, onPick }) {
  closeEmojiPicker();
  const pick = (emoji) => {
    close();
    onPick(emoji);
  };
  const grid = h('div', { class: 'emoji-grid', role: 'grid', 'aria-label': 'Emoji' });
  const search = h('input', {
    type: 'search', class: 'emoji-search', placeholder: 'Search emoji', 'aria-label': 'Search emoji',
    'data-testid': 'emoji-search',
  });
  const tabs = h('div', { class: 'emoji-tabs', role: 'tablist' });
  const quick = h('div', { class: 'emoji-quick', role: 'group', 'aria-label': 'Quick reactions' },
    QUICK_REACTIONS.map((emoji) => emojiButton(emoji, emoji, pick)));
  const panel = h('div', {
    class: 'emoji-picker', role: 'dialog', 'aria-label': 'Choose a reaction', 'data-testid': 'emoji-picker',
  }, quick, search, tabs, grid);

  let group = 0;
  const render = async () => {
    const rows = await loadEmoji();
    const query = search.value.trim().toLowerCase();
    const shown = query
      ? rows.filter(([, name, , words]) => name.includes(query) || words.includes(query)).slice(0, MAX_RESULTS)
      : rows.filter(([, , g]) => g === group);
    replaceChildren(grid, shown.length
      ? shown.map(([emoji, name]) => emojiButton(emoji, name, pick))
      : h('p', { class: 'emoji-empty' }, 'No emoji found'));
    replaceChildren(tabs, GROUPS.map(([id, label]) => h('button', {
      type: 'button', role: 'tab', class: 'emoji-tab', 'aria-selected': String(!query && id === group),
      onclick: () => { group = id; search.value = ''; render(); },
    }, label)));
  };
  search.addEventListener('input', render);
  grid.addEventListener('keydown', (event) => moveFocus(event, grid));
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
      anchor?.focus();
    }
  });
  const onOutside = (event) => {
    if (!panel.contains(event.target) && event.target !== anchor) close();
  };
  function close() {
    document.removeEventListener('pointerdown', onOutside, true);
    panel.remove();
    if (openPicker?.panel === panel) openPicker = null;
  }
  document.addEventListener('pointerdown', onOutside, true);
  document.body.append(panel);
  place(panel, anchor);
  openPicker = { panel, close };
  render();
  quick.querySelector('button')?.focus();
  return openPicker;
}

function emojiButton(emoji, name, pick) {
  return h('button', {
    type: 'button', class: 'emoji-button', title: name, 'aria-label': name,
    dataset: { emoji }, onclick: () => pick(emoji),
  }, emoji);
}

function moveFocus(event, grid) {
  const buttons = [...grid.querySelectorAll('button')];
  const index = buttons.indexOf(document.activeElement);
  if (index < 0) return;
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[event.key];
  if (!step) return;
  event.preventDefault();
  buttons[Math.max(0, Math.min(buttons.length - 1, index + step))].focus();
}

// Below the anchor when there is room, above it otherwise; always inside the viewport.
function place(panel, anchor) {
  const margin = 8;
  const rect = anchor?.getBoundingClientRect() ?? { left: margin, bottom: margin, top: margin };
  const width = Math.min(340, window.innerWidth - 2 * margin);
  panel.style.width = `${width}px`;
  const left = Math.min(Math.max(margin, rect.left), window.innerWidth - width - margin);
  panel.style.left = `${left}px`;
  const height = Math.min(380, window.innerHeight - 2 * margin);
  panel.style.maxHeight = `${height}px`;
  const below = rect.bottom + 4;
  panel.style.top = `${below + height < window.innerHeight ? below : Math.max(margin, rect.top - height - 4)}px`;
}
