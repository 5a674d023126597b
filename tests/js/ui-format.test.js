import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callDuration, callSummaryText, nameList, shortWhen, deliveryLabel, hueFor, initials, plural, shortId } from '../../static/app/ui/format.js';
import { backoffDelay } from '../../static/app/signaling/client.js';

test('delivery labels follow the receipts', () => {
  assert.equal(deliveryLabel(0, { mine: true }), 'Sent');
  assert.equal(deliveryLabel(2, { mine: true }), 'Delivered to 2');
  // A big room: this device's few links are no count of the room, and there are no receipts.
  assert.equal(deliveryLabel(2, { mine: true, read: 3, bigRoom: true }), 'Delivered');
  assert.equal(deliveryLabel(0, { mine: true, bigRoom: true }), 'Sent');
  assert.equal(deliveryLabel(2, { mine: true, read: 1 }), 'Read by 1');
  assert.equal(deliveryLabel(2, { mine: false, read: 1 }), '');
  assert.equal(deliveryLabel(1, { mine: false }), '');
});

test('names and ids for display', () => {
  assert.equal(initials('ada lovelace'), 'AL');
  assert.equal(initials('  '), '?');
  assert.equal(initials('Bob (k3Xa)'), 'BK');
  assert.equal(initials('(Bob)'), 'B');
  assert.equal(shortId('abcdefghijklmnop'), 'abcdef…mnop');
  assert.equal(plural(1, 'person', 'people'), '1 person');
  assert.equal(plural(3, 'person', 'people'), '3 people');
  assert.equal(hueFor('same'), hueFor('same'));
  assert.ok(hueFor('x') >= 0 && hueFor('x') < 360);
});

test('reconnect backoff doubles, is capped and jittered (docs/protocol.md §3)', () => {
  assert.equal(backoffDelay(0, () => 0.5), 500);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(20, () => 0.5), 30000);
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 0.999999), 750);
});

test('call durations read m:ss, or h:mm:ss from an hour on', () => {
  assert.equal(callDuration(0), '0:00');
  assert.equal(callDuration(999), '0:00', 'whole seconds, rounded down');
  assert.equal(callDuration(42_000), '0:42');
  assert.equal(callDuration(185_000), '3:05');
  assert.equal(callDuration(3_599_999), '59:59');
  assert.equal(callDuration(3_600_000), '1:00:00');
  assert.equal(callDuration(3_729_000), '1:02:09');
  assert.equal(callDuration(86_400_000), '24:00:00');
  for (const bad of [-1, NaN, undefined, Infinity]) assert.equal(callDuration(bad), '');
});

test('names in a sentence', () => {
  assert.equal(nameList([]), '');
  assert.equal(nameList(['Bob']), 'Bob');
  assert.equal(nameList(['Bob', 'Cy']), 'Bob and Cy');
  assert.equal(nameList(['Bob', 'Cy', 'Dee']), 'Bob, Cy and Dee');
  assert.equal(nameList(['Bob', 'Cy', 'Dee', 'Eve']), 'Bob, Cy and 2 others');
});

test('a call reads as one history line, from who is reading it', () => {
  const names = { a: 'Ada', b: 'Bob', c: 'Cy' };
  const as = (selfId) => ({ selfId, nameOf: (id) => names[id] });
  const call = { video: true, starter: 'a', joined: [], ended: false, duration: null };
  assert.equal(callSummaryText(call, as('b')), 'Ada started a video call');
  assert.equal(callSummaryText({ ...call, video: false }, as('a')), 'You started a voice call');
  assert.equal(callSummaryText({ ...call, joined: ['b', 'c'] }, as('b')), 'Ada started a video call · You and Cy joined');
  assert.equal(callSummaryText({ ...call, starter: null, joined: ['b'] }, as('a')), 'A video call is on · Bob joined');
  const over = { ...call, joined: ['b'], ended: true, duration: 185_000 };
  assert.equal(callSummaryText(over, as('a')), 'Video call with Bob · 3:05');
  assert.equal(callSummaryText(over, as('b')), 'Video call with Ada · 3:05');
  assert.equal(callSummaryText(over, as('c')), 'Video call with Ada and Bob · 3:05');
  assert.equal(callSummaryText({ ...over, joined: [] }, as('a')), 'Video call · 3:05');
  assert.equal(callSummaryText({ ...over, starter: null, joined: [], duration: 0 }, as('a')), 'Video call · 0:00');
  assert.equal(callSummaryText({ ...over, joined: ['x'] }, as('a')), 'Video call with Someone · 3:05');
});

test('when a room was last active, in a few characters', () => {
  const now = new Date(2026, 11, 5, 15, 30).getTime();
  const at = (days, hour) => new Date(2026, 11, 5 - days, hour, 7).getTime();
  assert.equal(shortWhen(at(0, 9), now, 'en-GB'), '09:07');
  assert.equal(shortWhen(at(1, 23), now, 'en-GB'), 'Yesterday');
  assert.equal(shortWhen(at(3, 12), now, 'en-GB'), 'Wed');
  assert.equal(shortWhen(at(40, 12), now, 'en-GB'), '26 Oct');
});
