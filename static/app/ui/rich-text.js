// Message text as people format it in chat apps, without ever parsing HTML: links
// (http and https only; nothing is fetched for them), *bold*, _italic_, `code`, lines
// that start with "> " as quotes, and "@Name" of the room's members as mentions. Pure:
// the parse is unit-tested in node, and richText() builds DOM nodes from it with text
// nodes only.
//
//   parseRichText(text, { names }) -> [{ quote, parts: [{ type, text }] }]
//     type: 'text' | 'link' | 'bold' | 'italic' | 'code' | 'mention'
//   richText(text, { names, selfName }) -> nodes for a message's <p>
import { h } from './dom.js';

const CODE = /`([^`\n]+)`/gu;
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/giu;
// A marker counts where it opens and closes a phrase: after the start or a space (or an
// opening bracket or quote), before the end, a space or punctuation; never inside a
// word, so snake_case and 2*3*4 stay as typed.
const EMPHASIS = /(^|[\s([{"'])([*_])(?=\S)(.+?)(?<=\S)\2(?=$|[\s)\]}"'.,;:!?])/gu;
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"']);

export function parseRichText(text, { names = [] } = {}) {
  const mention = mentionPattern(names);
  return String(text).split('\n').map((line) => {
    const quote = line.startsWith('> ');
    return { quote, parts: parseLine(quote ? line.slice(2) : line, mention) };
  });
}

// "@" and a member's name, longest names first (so "@Ada Lovelace" beats "@Ada"),
// whatever the case, not inside a word.
function mentionPattern(names) {
  const escaped = [...new Set(names.filter(Boolean))]
    .sort((a, b) => b.length - a.length)
    .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.length ? new RegExp(`(?<![\\p{L}\\p{N}_])@(?:${escaped.join('|')})(?![\\p{L}\\p{N}_])`, 'giu') : null;
}

function parseLine(line, mention) {
  const parts = [];
  let at = 0;
  for (const match of line.matchAll(CODE)) {
    parts.push(...links(line.slice(at, match.index), mention), { type: 'code', text: match[1] });
    at = match.index + match[0].length;
  }
  parts.push(...links(line.slice(at), mention));
  return parts.filter((part) => part.text !== '');
}

function links(text, mention) {
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const url = trimUrl(match[0]);
    parts.push(...mentions(text.slice(at, match.index), mention), { type: 'link', text: url });
    at = match.index + url.length;
  }
  parts.push(...mentions(text.slice(at), mention));
  return parts;
}

function mentions(text, mention) {
  if (!mention) return emphasis(text);
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(mention)) {
    parts.push(...emphasis(text.slice(at, match.index)), { type: 'mention', text: match[0] });
    at = match.index + match[0].length;
  }
  parts.push(...emphasis(text.slice(at)));
  return parts;
}

// "(see https://a.example/x)." keeps the bracket and the full stop out of the link,
// but a link's own brackets, as in a wiki address, stay in it.
// One pass from the end, counting brackets once: linear in the length of the link.
function trimUrl(url) {
  let open = 0;
  let close = 0;
  for (const char of url) {
    if (char === '(') open += 1;
    else if (char === ')') close += 1;
  }
  let end = url.length;
  while (end > 0) {
    const char = url[end - 1];
    if (TRAILING.has(char)) {
      end -= 1;
    } else if (char === ')' && open < close) {
      end -= 1;
      close -= 1;
    } else {
      break;
    }
  }
  return url.slice(0, end);
}

function emphasis(text) {
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(EMPHASIS)) {
    const [, before, marker, inner] = match;
    parts.push({ type: 'text', text: text.slice(at, match.index) + before });
    parts.push({ type: marker === '*' ? 'bold' : 'italic', text: inner });
    at = match.index + match[0].length;
  }
  parts.push({ type: 'text', text: text.slice(at) });
  return parts;
}

const TAGS = { bold: 'strong', italic: 'em', code: 'code' };

export function richText(text, { names = [], selfName = null } = {}) {
  const lines = parseRichText(text, { names });
  const self = selfName ? `@${selfName}`.toLowerCase() : null;
  const nodes = [];
  lines.forEach(({ quote, parts }, i) => {
    const inline = parts.map((part) => partNode(part, self));
    if (quote) nodes.push(h('span', { class: 'quote-line' }, inline));
    else nodes.push(...inline, i < lines.length - 1 ? '\n' : null);
  });
  return nodes;
}

function partNode({ type, text }, self) {
  if (type === 'mention') return h('span', { class: text.toLowerCase() === self ? 'mention me' : 'mention' }, text);
  if (type === 'link') {
    return h('a', { href: text, target: '_blank', rel: 'noopener noreferrer', class: 'message-link' }, text);
  }
  return type === 'text' ? text : h(TAGS[type], {}, text);
}
