// The `payment`, `paid` and `received` bodies (docs/protocol.md §7 "Payments"): what a
// member accepts, and the clear reason the request dialog gives for what it would not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEntryBody } from '../../static/app/room/entry-body.js';
import { decodeInvoice } from '../../static/app/payments/bolt11.js';
import { checkPaymentRequest } from '../../static/app/payments/payment-request.js';

import { FIXTURES, refusal } from './payment-fixture.js';
const TS = FIXTURES.timestamp * 1000 + 5000;
const ID = 'A'.repeat(43);
const { accepted, refused } = FIXTURES.requests; // the same cases as tests/peer/test_payment_entries.py
const [lightning, bitcoin] = accepted;

const refusalOf = (body) => refusal(() => checkPaymentRequest(body));

test('well-formed requests of each asset and network are accepted', () => {
  for (const body of accepted) assert.equal(isEntryBody(body), true, JSON.stringify(body));
});

test('requests that would pay the wrong thing are refused, each with its reason', () => {
  for (const { body, code } of refused) {
    assert.equal(refusalOf(body), code, JSON.stringify(body));
    assert.equal(isEntryBody(body), false, JSON.stringify(body));
  }
});

test('shapes: amounts as digits, notes within bounds, receipts with one proof', () => {
  assert.equal(isEntryBody({ ...bitcoin, amount: 100000 }), false);
  assert.equal(isEntryBody({ ...bitcoin, amount: '0100000' }), false);
  assert.equal(isEntryBody({ ...bitcoin, note: 'x'.repeat(281) }), false);
  assert.equal(isEntryBody({ ...bitcoin, note: '🍵'.repeat(280) }), true);
  assert.equal(isEntryBody({ ...bitcoin, note: 'tea \ud800' }), false); // no link could carry it
  assert.equal(isEntryBody({ ...bitcoin, extra: 1 }), false);
  assert.equal(isEntryBody({ ...lightning, address: FIXTURES.addresses.main }), false);
  const paid = { type: 'paid', ts: TS, clock: 2, request: ID };
  assert.equal(isEntryBody({ ...paid, txid: 'ab'.repeat(32) }), true);
  assert.equal(isEntryBody({ ...paid, txid: `0x${'ab'.repeat(32)}` }), true);
  assert.equal(isEntryBody({ ...paid, preimage: FIXTURES.preimage }), true);
  assert.equal(isEntryBody({ ...paid }), false);
  assert.equal(isEntryBody({ ...paid, txid: 'ab'.repeat(32), preimage: FIXTURES.preimage }), false);
  assert.equal(isEntryBody({ ...paid, txid: 'AB'.repeat(32) }), false);
  assert.equal(isEntryBody({ ...paid, preimage: 'ab'.repeat(31) }), false);
  assert.equal(isEntryBody({ type: 'received', ts: TS, clock: 3, request: ID }), true);
  assert.equal(isEntryBody({ type: 'received', ts: TS, clock: 3, request: 'x' }), false);
});

test('empty fields read as parley_peer reads them (tests/peer/test_payment_entries.py)', () => {
  const emptyExpiry = decodeInvoice(FIXTURES.invoices.emptyExpiry);
  assert.deepEqual([emptyExpiry.expiry, emptyExpiry.expiresAt], [0, FIXTURES.timestamp * 1000]);
  const emptyCltv = decodeInvoice(FIXTURES.invoices.emptyCltv);
  assert.deepEqual([emptyCltv.expiry, emptyCltv.paymentHash], [3600, FIXTURES.paymentHash]);
});
