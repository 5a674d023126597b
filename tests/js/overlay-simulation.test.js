// Rooms simulated with the real Overlay in every member (bench/overlay-sim.mjs; a room
// that never settles fails there): small ones are a full mesh; in one of 1,000 and one
// of 10,000 members, with 10 % leaving and as many joining while it runs, no member ever
// holds more links than the high mark, the links connect every member online, and a
// message passed on over them reaches every one of them. The same rooms (seed 1) as
// `node bench/overlay.mjs`, whose figures bench/README.md shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OVERLAY_DEGREE } from '../../static/app/peers/overlay.js';
import { simulate } from '../../bench/overlay-sim.mjs';

test('small rooms settle as a full mesh up to the high mark, and one more is an overlay', () => {
  for (const members of [5, 12, 13, 14]) {
    const { linksPerMember, components, spread } = simulate({ members, churn: 0, messages: 5 });
    if (members <= OVERLAY_DEGREE.high + 1) {
      assert.deepEqual(linksPerMember, { min: members - 1, median: members - 1, max: members - 1 }, `${members} members`);
    } else {
      assert.ok(linksPerMember.min >= OVERLAY_DEGREE.low && linksPerMember.max <= OVERLAY_DEGREE.high, `${members} members`);
    }
    assert.equal(components, 1);
    assert.equal(spread.reachedAll, true);
  }
});

// Messages go out once the room has settled after the churn: a newcomer whose links
// are still being set up holds nothing yet.
for (const members of [1000, 10_000]) {
  test(`${members} members with 10 % churn: links bounded, one piece once settled, every message everywhere`, () => {
    const result = simulate({ members, churn: 0.1 });
    assert.equal(result.left, members / 10);
    assert.equal(result.joinedInAll, members + members / 10);
    assert.equal(result.online, members);
    assert.ok(result.maxLinksEver <= OVERLAY_DEGREE.high, `a member held ${result.maxLinksEver} links`);
    assert.ok(result.linksPerMember.min >= OVERLAY_DEGREE.low, `a member settled with ${result.linksPerMember.min} links`);
    assert.equal(result.components, 1, 'the links split the room');
    assert.equal(result.spread.reachedAll, true, 'a member online missed a message');
  });
}

// The real replication (room/replicator.js, room-log.js: real entries) over the overlay
// of 1,000 members after the churn (bench/replication-sim.mjs): every member online holds
// every entry, no entry crosses a link twice in one direction, so a member receives an
// entry at most once per link it has.
test('1,000 members: entries replicated over the overlay reach everyone, at most once per link', () => {
  const { replication, maxLinksEver } = simulate({ members: 1000, churn: 0.1, messages: 1, replicated: 10 });
  assert.equal(replication.reachedAll, true, 'a member online never held an entry');
  assert.equal(replication.mostOnOneLink, 1, 'an entry crossed a link twice');
  assert.ok(replication.copies.max <= maxLinksEver, `a member received ${replication.copies.max} copies`);
  assert.ok(replication.copies.mean >= 1);
});
