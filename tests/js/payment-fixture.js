// What the payment tests share: the published vectors (tests/vectors/payments.json), the
// signed invoices with known preimages (payment-fixtures.json), and `refusal`, the code
// of the PaymentError a call throws.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PaymentError } from '../../static/app/payments/payment-error.js';

const readJson = (name) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
export const VECTORS = readJson('payments.json');
export const FIXTURES = readJson('payment-fixtures.json');

export function refusal(run) {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PaymentError, `not a PaymentError: ${error}`);
    return error.code;
  }
  assert.fail('accepted');
}
