import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchMembers, mentionQuery } from '../../static/app/ui/mention-picker.js';

test('a mention begins at an "@" at the start or after a space', () => {
  assert.equal(mentionQuery('@'), '');
  assert.equal(mentionQuery('hello @Ad'), 'Ad');
  assert.equal(mentionQuery('mail ada@example'), null);
  assert.equal(mentionQuery('@Ada '), null, 'a space ends it');
  assert.equal(mentionQuery('no at here'), null);
});

test('members match by the start of any word of their name', () => {
  const members = [{ name: 'Ada Lovelace' }, { name: 'Bob' }, { name: 'Lou' }];
  assert.deepEqual(matchMembers(members, 'lo').map((m) => m.name), ['Ada Lovelace', 'Lou']);
  assert.deepEqual(matchMembers(members, '').map((m) => m.name), ['Ada Lovelace', 'Bob', 'Lou']);
  assert.deepEqual(matchMembers(members, 'x'), []);
});
