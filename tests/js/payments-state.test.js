// Where payment requests stand (docs/protocol.md §7 "Payments"), from plain records
// through buildRoomState: receipts, proofs and "received" counted the same in any
// arrival order, wrong proofs and wrong payers refused. The invoices are real, signed
// ones with known preimages (tests/vectors/payment-fixtures.json).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { paymentStatus } from '../../static/app/payments/payment-state.js';
import { buildRoomState } from '../../static/app/room/room-state.js';

import { FIXTURES } from './payment-fixture.js';
const key = (byte) => toBase64Url(new Uint8Array(32).fill(byte));
const ADA = key(1);
const BOB = key(2);
const CYD = key(3);
const T0 = FIXTURES.timestamp * 1000; // the invoices' time

function history() {
  const records = [];
  const seqs = new Map();
  let clock = 0;
  // `at` places an entry earlier in room order than it was written (a clock that lags).
  const add = (author, body, at = ++clock) => {
    const seq = seqs.get(author) ?? 0;
    seqs.set(author, seq + 1);
    const bytes = new Uint8Array(32).fill(0xee);
    new DataView(bytes.buffer).setUint32(0, records.length);
    const id = toBase64Url(bytes);
    records.push({ id, author, seq, prev: null, bytes: null, clock: at, ts: T0 + at, body: { ...body, ts: T0 + at, clock: at } });
    return id;
  };
  return {
    records,
    lightning: (author) => add(author, {
      type: 'payment', asset: 'lightning', network: 'main', amount: '100000000',
      expires: FIXTURES.expiresAt, invoice: FIXTURES.invoices.main,
    }),
    bitcoin: (author) => add(author, {
      type: 'payment', asset: 'btc', network: 'main', amount: '100000', expires: T0 + 86_400_000,
      address: FIXTURES.addresses.main, note: 'Tea',
    }),
    usdt: (author) => add(author, {
      type: 'payment', asset: 'usdt', network: 'main', amount: '25000000', expires: T0 + 86_400_000,
      address: FIXTURES.addresses.ethereum,
    }),
    paid: (author, request, proof, at) => add(author, { type: 'paid', request, ...proof }, at),
    received: (author, request, at) => add(author, { type: 'received', request }, at),
    remove: (author, target) => add(author, { type: 'delete', target }),
    at: add,
  };
}

const requestIn = (state, id) => state.messages.find((message) => message.id === id);
const eventsIn = (state, type) => state.timeline.filter((item) => item.event?.type === type);
// Arrival order, and room order: the same state whichever comes first.
const orders = (records) => [records, [...records].reverse(), [...records.slice(1), records[0]]];

test('a Lightning receipt whose preimage hashes to the invoice’s payment hash is proven, in any order', () => {
  const h = history();
  h.bitcoin(CYD);
  h.bitcoin(CYD);
  const request = h.lightning(ADA);
  h.paid(BOB, request, { preimage: FIXTURES.preimage }, 1); // before the request in room order
  for (const records of orders(h.records)) {
    const state = buildRoomState(records, { selfId: ADA });
    const { payment } = requestIn(state, request);
    assert.equal(payment.paymentHash, FIXTURES.paymentHash);
    assert.equal(paymentStatus(payment, T0), 'proven');
    assert.deepEqual(payment.receipts.map((r) => [r.author, r.proven]), [[BOB, true]]);
    assert.deepEqual(eventsIn(state, 'paid').map((line) => [line.author, line.event.proven]), [[BOB, true]]);
  }
});

test('a wrong preimage is refused: the request stays open and no receipt line shows', () => {
  const h = history();
  const request = h.lightning(ADA);
  h.paid(BOB, request, { preimage: FIXTURES.otherPreimage });
  const state = buildRoomState(h.records, { selfId: BOB });
  const { payment } = requestIn(state, request);
  assert.equal(paymentStatus(payment, T0), 'open');
  assert.deepEqual(payment.receipts, []);
  assert.deepEqual(payment.refusedReceipts.map((r) => [r.author, r.reason]), [[BOB, 'wrong_preimage']]);
  assert.deepEqual(eventsIn(state, 'paid'), []);
});

test('an on-chain receipt is claimed until the requester marks it received; nobody else can', () => {
  const h = history();
  const request = h.bitcoin(ADA);
  const txid = 'ab'.repeat(32);
  h.paid(BOB, request, { txid });
  let state = buildRoomState(h.records, { selfId: ADA });
  assert.equal(paymentStatus(requestIn(state, request).payment, T0), 'claimed');
  h.received(BOB, request); // the payer cannot confirm their own payment
  state = buildRoomState(h.records, { selfId: ADA });
  assert.equal(paymentStatus(requestIn(state, request).payment, T0), 'claimed');
  h.received(ADA, request, 1); // before everything in room order
  for (const records of orders(h.records)) {
    state = buildRoomState(records, { selfId: CYD });
    const { payment } = requestIn(state, request);
    assert.equal(paymentStatus(payment, T0), 'received');
    assert.deepEqual(payment.receipts.map((r) => [r.author, r.txid, r.proven]), [[BOB, txid, false]]);
    assert.deepEqual(eventsIn(state, 'received').map((line) => line.author), [ADA]);
  }
});

test('a request with no receipt expires at its time; a claim after that still counts', () => {
  const h = history();
  const request = h.bitcoin(ADA);
  let { payment } = requestIn(buildRoomState(h.records), request);
  assert.equal(paymentStatus(payment, payment.expires - 1), 'open');
  assert.equal(paymentStatus(payment, payment.expires), 'expired');
  h.paid(BOB, request, { txid: 'cd'.repeat(32) });
  ({ payment } = requestIn(buildRoomState(h.records), request));
  assert.equal(paymentStatus(payment, payment.expires + 1), 'claimed');
});

test('receipts of the wrong kind, or by the requester, count for nothing', () => {
  const h = history();
  const coins = h.usdt(ADA);
  const bitcoin = h.bitcoin(ADA);
  h.paid(BOB, coins, { txid: 'ab'.repeat(32) }); // a bitcoin txid for a USDT request
  h.paid(BOB, bitcoin, { txid: `0x${'ab'.repeat(32)}` }); // an Ethereum hash for bitcoin
  h.paid(CYD, bitcoin, { preimage: FIXTURES.preimage }); // no invoice to prove
  h.paid(ADA, coins, { txid: `0x${'cd'.repeat(32)}` }); // her own request
  const state = buildRoomState(h.records, { selfId: ADA });
  assert.deepEqual(requestIn(state, coins).payment.refusedReceipts.map((r) => r.reason), ['wrong_kind', 'own_request']);
  assert.deepEqual(requestIn(state, bitcoin).payment.refusedReceipts.map((r) => r.reason), ['wrong_kind', 'not_lightning']);
  for (const id of [coins, bitcoin]) assert.equal(paymentStatus(requestIn(state, id).payment, T0), 'open');
  h.paid(BOB, coins, { txid: `0x${'ef'.repeat(32)}` });
  assert.equal(paymentStatus(requestIn(buildRoomState(h.records), coins).payment, T0), 'claimed');
});

test('a request its author deletes is withdrawn; nobody else’s delete counts, and edits and reactions do nothing', () => {
  const h = history();
  const request = h.bitcoin(ADA);
  h.at(ADA, { type: 'edit', target: request, text: 'pay me more' });
  h.at(BOB, { type: 'reaction', target: request, emoji: '👍', on: true });
  const untouched = requestIn(buildRoomState(h.records), request);
  assert.equal(untouched.text, null);
  assert.equal(untouched.edited, false);
  assert.deepEqual(untouched.reactions, []);
  h.remove(BOB, request);
  assert.equal(requestIn(buildRoomState(h.records), request).deleted, false);
  h.remove(ADA, request);
  assert.equal(requestIn(buildRoomState(h.records), request).deleted, true);
});

test('one receipt per payer: their first claim, or a proof after it; one refusal each', () => {
  const h = history();
  const request = h.lightning(ADA);
  for (let n = 0; n < 3; n++) h.paid(BOB, request, { preimage: FIXTURES.otherPreimage });
  h.paid(CYD, request, { preimage: FIXTURES.preimage });
  h.paid(CYD, request, { preimage: FIXTURES.preimage });
  let state = buildRoomState(h.records);
  let { payment } = requestIn(state, request);
  assert.deepEqual(payment.refusedReceipts.map((r) => r.author), [BOB]);
  assert.deepEqual(payment.receipts.map((r) => r.author), [CYD]);
  assert.equal(eventsIn(state, 'paid').length, 1);

  const onChain = h.bitcoin(ADA);
  h.paid(BOB, onChain, { txid: 'ab'.repeat(32) });
  h.paid(BOB, onChain, { txid: 'cd'.repeat(32) });
  state = buildRoomState(h.records);
  ({ payment } = requestIn(state, onChain));
  assert.deepEqual(payment.receipts.map((r) => r.txid), ['ab'.repeat(32)]);
  assert.equal(eventsIn(state, 'paid').filter((line) => line.event.request === onChain).length, 1);
});

test('receipts and "received" for an unknown entry, or for a message, count for nothing', () => {
  const h = history();
  const hello = h.at(ADA, { type: 'message', text: 'hello' });
  h.paid(BOB, hello, { txid: 'ab'.repeat(32) });
  h.received(ADA, hello);
  h.paid(BOB, 'B'.repeat(43), { txid: 'ab'.repeat(32) });
  const state = buildRoomState(h.records);
  assert.deepEqual(eventsIn(state, 'paid'), []);
  assert.deepEqual(eventsIn(state, 'received'), []);
  assert.equal(requestIn(state, hello).text, 'hello');
});
