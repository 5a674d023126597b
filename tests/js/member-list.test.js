import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memberList } from '../../static/app/room/member-list.js';

test('this device first, then who is online, then by name; last seen from links and entries', () => {
  const view = {
    members: new Set(['zed', 'me', 'bob', 'cy']),
    lastActive: new Map([['zed', 100], ['bob', 50], ['cy', 70]]),
    left: new Set(['cy']),
  };
  const names = { me: 'Me', bob: 'Bob', cy: 'Cy', zed: 'Zed' };
  const list = memberList({
    view, selfId: 'me', online: new Set(['zed']), lastLinked: { bob: 90 }, nameOf: (id) => names[id],
  });
  assert.deepEqual(list.map(({ id, online, lastSeen, left }) => [id, online, lastSeen, left]), [
    ['me', false, null, false], ['zed', true, 100, false], ['bob', false, 90, false], ['cy', false, 70, true],
  ]);
});
