import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchMessages, searchRooms, snippet } from '../../static/app/room/search.js';

const msg = (id, text, ts, extra = {}) => ({ id, text, ts, deleted: false, ...extra });

test('rooms match by name, whatever the case and width of the letters', () => {
  const rooms = [{ name: 'Weekend plans' }, { name: 'Work' }, { name: 'ＷＥＥＫ notes' }];
  assert.deepEqual(searchRooms(rooms, 'week').map((r) => r.name), ['Weekend plans', 'ＷＥＥＫ notes']);
  assert.deepEqual(searchRooms(rooms, '   '), []);
});

test('messages match across rooms, newest first, deleted ones and files never', () => {
  const sources = [
    { topic: 'a', messages: [msg('1', 'Lunch at noon?', 10), msg('2', 'no LUNCH today', 30), msg('3', 'lunch', 40, { deleted: true })] },
    { topic: 'b', messages: [msg('4', 'Lunch  at two', 20), { id: '5', text: null, ts: 50, deleted: false, file: {} }] },
  ];
  const found = searchMessages(sources, 'lunch');
  assert.deepEqual(found.map((f) => [f.topic, f.message.id, f.at]), [['a', '2', 3], ['b', '4', 0], ['a', '1', 0]]);
  const spaced = searchMessages(sources, 'lunch at');
  assert.deepEqual(spaced.map((f) => [f.message.id, f.at]), [['4', -1], ['1', 0]], 'spacing does not matter');
  assert.equal(searchMessages(sources, 'lunch', { limit: 1 }).length, 1);
});

test('a snippet shows the match with some words around it', () => {
  const text = `${'a'.repeat(60)}needle${'b'.repeat(60)}`;
  assert.deepEqual(snippet(text, 60, 6, { around: 5 }), { before: '…aaaaa', match: 'needle', after: 'bbbbb…' });
  assert.deepEqual(snippet('needle', 0, 6), { before: '', match: 'needle', after: '' });
});

test('a text whose lower case changes length has nothing marked', () => {
  const [found] = searchMessages([{ topic: 'a', messages: [msg('1', 'İİİİ hello world', 1)] }], 'hello');
  assert.equal(found.at, -1);
});
