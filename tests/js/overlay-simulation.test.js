// A room of 1,000 and one of 10,000 members, with 10 % leaving and as many joining while
// it runs (bench/overlay-sim.mjs, the real Overlay in every member): no member ever
// holds more links than the high mark, the links connect every member online, and a
// message passed on over them reaches every one of them. The figures (hops, time, links
// per member) are in bench/README.md, from `node bench/overlay.mjs`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OVERLAY_DEGREE } from '../../static/app/peers/overlay.js';
import { simulate } from '../../bench/overlay-sim.mjs';

for (const members of [1000, 10_000]) {
  test(`${members} members with 10 % churn: links bounded, one piece, every message everywhere`, () => {
    const result = simulate({ members, churn: 0.1, seed: members });
    assert.equal(result.left, members / 10);
    assert.equal(result.joinedInAll, members + members / 10);
    assert.equal(result.online, members);
    assert.ok(result.maxLinksEver <= OVERLAY_DEGREE.high, `a member held ${result.maxLinksEver} links`);
    assert.ok(result.linksPerMember.min >= OVERLAY_DEGREE.low, `a member settled with ${result.linksPerMember.min} links`);
    assert.equal(result.components, 1, 'the links split the room');
    assert.equal(result.spread.reachedAll, true, 'a member online missed a message');
  });
}
