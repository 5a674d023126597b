// Amounts as exact integers of an asset's smallest unit (satoshi, millisatoshi, a
// millionth of USDT), never floats: 0.1 + 0.2 is not 0.3, and a payment must be exact.
//
//   parseDecimalAmount('0.001', BTC_DECIMALS) -> '100000'
//   formatUnits('100000', BTC_DECIMALS)       -> '0.001'
import { PaymentError } from './payment-error.js';

export const BTC_DECIMALS = 8;
export const USDT_DECIMALS = 6;
export const MSAT_PER_SAT = 1000;
export const MAX_AMOUNT_DIGITS = 30;

// Digits, an optional point and digits: no sign, no exponent, no thousands separator.
const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

// The text of a positive amount in whole units -> its base units as decimal digits.
// Refuses more decimals than the asset has (it would have to round), zero, and more than
// MAX_AMOUNT_DIGITS digits of base units.
export function parseDecimalAmount(text, decimals) {
  if (typeof text !== 'string') throw new PaymentError('malformed');
  const match = DECIMAL.exec(text);
  if (!match) throw new PaymentError('malformed', 'Write the amount as digits with at most one decimal point.');
  const [, whole, fraction = ''] = match;
  if (whole === '' && fraction === '') throw new PaymentError('malformed', 'Enter an amount.');
  if (fraction.length > decimals) {
    throw new PaymentError('malformed', `The amount has more than ${decimals} decimal places.`);
  }
  const units = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (units === 0n) throw new PaymentError('malformed', 'The amount must be more than zero.');
  const digits = units.toString();
  if (digits.length > MAX_AMOUNT_DIGITS) throw new PaymentError('malformed', 'The amount is too large.');
  return digits;
}

// Base units (bigint, or decimal digits) -> the shortest decimal text of whole units.
export function formatUnits(units, decimals) {
  const value = BigInt(units);
  const scale = 10n ** BigInt(decimals);
  const whole = value / scale;
  const fraction = (value % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}
