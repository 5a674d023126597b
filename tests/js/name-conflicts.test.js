import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameConflicts, sameName, sharedNames } from '../../static/app/room/name-conflicts.js';

test('names match the way people read them', () => {
  assert.ok(sameName('Bob', ' bob '));
  assert.ok(sameName('Ｂｏｂ', 'Bob'), 'full-width letters read the same');
  assert.ok(!sameName('Bob', 'Bobby'));
  assert.ok(!sameName('', ''));
});

test('the later key under a known name is flagged, the earlier one is not', () => {
  const names = new Map([['old', 'Bob'], ['new', 'bob'], ['cyd', 'Cyd']]);
  const firstSeen = new Map([['old', 1], ['new', 5], ['cyd', 2]]);
  assert.deepEqual(nameConflicts(names, { selfId: 'me', selfName: 'Ada', firstSeen }), [
    { name: 'bob', knownId: 'old', newId: 'new' },
  ]);
});

test('someone taking the user\'s own name is flagged', () => {
  const names = new Map([['mallory', 'Ada']]);
  assert.deepEqual(nameConflicts(names, { selfId: 'me', selfName: 'Ada', firstSeen: new Map([['mallory', 3]]) }), [
    { name: 'Ada', knownId: 'me', newId: 'mallory' },
  ]);
});

test('no conflict without a shared name', () => {
  const names = new Map([['a', 'Ann'], ['b', 'Ben']]);
  assert.deepEqual(nameConflicts(names, { selfId: 'me', selfName: 'Ada' }), []);
});

test('the names more than one identity goes by, this device included', () => {
  const names = new Map([['a', 'Ada'], ['b', 'Bob'], ['c', ' bob'], ['d', 'Dee']]);
  assert.deepEqual([...sharedNames(names, { selfId: 's', selfName: 'Cy' })], ['bob']);
  assert.deepEqual([...sharedNames(names, { selfId: 's', selfName: 'DEE' })].sort(), ['bob', 'dee']);
  assert.deepEqual([...sharedNames(new Map([['s', 'Cy']]), { selfId: 's', selfName: 'Cy' })], [], 'one identity, one name');
});
