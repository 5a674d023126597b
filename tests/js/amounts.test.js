// Exact amounts in base units (static/app/payments/amounts.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BTC_DECIMALS, MSAT_PER_SAT, USDT_DECIMALS, formatUnits, parseDecimalAmount } from '../../static/app/payments/amounts.js';
import { PaymentError } from '../../static/app/payments/payment-error.js';

test('decimal text becomes exact base units', () => {
  assert.equal(parseDecimalAmount('0.001', BTC_DECIMALS), '100000');
  assert.equal(parseDecimalAmount('21000000', BTC_DECIMALS), '2100000000000000');
  assert.equal(parseDecimalAmount('0.00000001', BTC_DECIMALS), '1');
  assert.equal(parseDecimalAmount('12.5', USDT_DECIMALS), '12500000');
  assert.equal(parseDecimalAmount('.5', USDT_DECIMALS), '500000');
  assert.equal(parseDecimalAmount('7.', USDT_DECIMALS), '7000000');
  assert.equal(MSAT_PER_SAT, 1000);
});

test('amounts that would have to round, or are not amounts, are refused', () => {
  const refused = ['0.000000001', '1.0000000001', '-1', '1e8', '1,000', '', '.', '0', '0.00000000', ' 1', '1 ', '+1', 'NaN', '9'.repeat(31)];
  for (const text of refused) {
    assert.throws(() => parseDecimalAmount(text, BTC_DECIMALS), (error) => error instanceof PaymentError && error.code === 'malformed', text);
  }
  assert.throws(() => parseDecimalAmount(1, BTC_DECIMALS), PaymentError);
  assert.equal(parseDecimalAmount('9'.repeat(30), 0), '9'.repeat(30));
});

test('base units print as the shortest decimal text', () => {
  assert.equal(formatUnits('100000', BTC_DECIMALS), '0.001');
  assert.equal(formatUnits(2_100_000_000_000_000n, BTC_DECIMALS), '21000000');
  assert.equal(formatUnits('1', BTC_DECIMALS), '0.00000001');
  assert.equal(formatUnits('12500000', USDT_DECIMALS), '12.5');
  assert.equal(formatUnits('0', USDT_DECIMALS), '0');
  for (const text of ['0.001', '1', '123.456789', '0.1']) assert.equal(formatUnits(parseDecimalAmount(text, USDT_DECIMALS), USDT_DECIMALS), text);
});
