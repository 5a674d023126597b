import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryLabel, hueFor, initials, plural, shortId } from '../../static/app/ui/format.js';
import { backoffDelay } from '../../static/app/signaling/client.js';

test('delivery labels follow the receipts', () => {
  assert.equal(deliveryLabel(0, { mine: true }), 'Sent');
  assert.equal(deliveryLabel(2, { mine: true }), 'Delivered to 2');
  assert.equal(deliveryLabel(1, { mine: false }), '');
});

test('names and ids for display', () => {
  assert.equal(initials('ada lovelace'), 'AL');
  assert.equal(initials('  '), '?');
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
