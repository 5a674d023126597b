import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRichText } from '../../static/app/ui/rich-text.js';

const parts = (text, names = []) => parseRichText(text, { names }).map(({ quote, parts: line }) =>
  [quote, line.map(({ type, text: inner }) => `${type}:${inner}`)]);

test('plain text stays one text part per line', () => {
  assert.deepEqual(parts('hello\nworld'), [[false, ['text:hello']], [false, ['text:world']]]);
  assert.deepEqual(parts(''), [[false, []]]);
});

test('links: http and https only, without the punctuation around them', () => {
  assert.deepEqual(parts('see https://example.org/a?b=1#c.'), [[false, ['text:see ', 'link:https://example.org/a?b=1#c', 'text:.']]]);
  assert.deepEqual(parts('(at http://example.org/x)'), [[false, ['text:(at ', 'link:http://example.org/x', 'text:)']]]);
  assert.deepEqual(parts('https://en.wikipedia.org/wiki/Tea_(meal)!'), [[false, ['link:https://en.wikipedia.org/wiki/Tea_(meal)', 'text:!']]]);
  for (const text of ['javascript:alert(1)', 'ftp://example.org', 'data:text/html,<b>x</b>', 'xhttps://a.example']) {
    assert.ok(parts(text)[0][1].every((part) => !part.startsWith('link:')), text);
  }
  assert.deepEqual(parts('"https://a.example/"><script>'), [[false, ['text:"', 'link:https://a.example/', 'text:"><script>']]]);
});

test('bold, italic and code, only where a marker opens and closes a phrase', () => {
  assert.deepEqual(parts('a *big* _small_ `x = *y*` end'), [[false, ['text:a ', 'bold:big', 'text: ', 'italic:small', 'text: ', 'code:x = *y*', 'text: end']]]);
  assert.deepEqual(parts('snake_case_name and 2*3*4'), [[false, ['text:snake_case_name and 2*3*4']]]);
  assert.deepEqual(parts('* not bold *'), [[false, ['text:* not bold *']]]);
  assert.deepEqual(parts('*bold*.'), [[false, ['bold:bold', 'text:.']]]);
  assert.deepEqual(parts('{{ 7*7 }} ${7*7}'), [[false, ['text:{{ 7*7 }} ${7*7}']]]);
});

test('a line that starts with "> " is a quote', () => {
  assert.deepEqual(parts('> you said *this*\nyes'), [[true, ['text:you said ', 'bold:this']], [false, ['text:yes']]]);
  assert.deepEqual(parts('>no space'), [[false, ['text:>no space']]]);
});

test('mentions: "@" and a member name, the longest first, not inside a word', () => {
  const names = ['Ada', 'Ada Lovelace', 'Bob'];
  assert.deepEqual(parts('hi @ada lovelace and @Bob, not me@ada or @Bobby', names),
    [[false, ['text:hi ', 'mention:@ada lovelace', 'text: and ', 'mention:@Bob', 'text:, not me@ada or @Bobby']]]);
  assert.deepEqual(parts('@A.B *x*', ['A.B']), [[false, ['mention:@A.B', 'text: ', 'bold:x']]], 'names are text, not patterns');
  assert.deepEqual(parts('@Bob', []), [[false, ['text:@Bob']]]);
});

test('a link trimmed of a long tail of punctuation and brackets keeps the rest as text', () => {
  const tail = `${'.'.repeat(1990)}a${')'.repeat(1990)}`;
  const [[, line]] = parts(`https://x/${tail}`);
  assert.deepEqual(line, [`link:https://x/${'.'.repeat(1990)}a`, `text:${')'.repeat(1990)}`]);
});
