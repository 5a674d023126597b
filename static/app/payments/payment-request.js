// The rules of a `payment` entry (docs/protocol.md §7 "Payments") beyond the shapes of
// its keys: what it asks for must be payable as it says. The address is valid for the
// request's network, the invoice verifies, is for the same network and for exactly the
// card's amount, and a Lightning request lapses when its invoice does. Members check the
// same rules on every request they receive, so a card never shows what a wallet would
// refuse, or worse, pay.
//
//   checkPaymentRequest(body)        -> { invoice: decodeInvoice's details | null }, or throws PaymentError
//   isPaymentRequest(body)           -> boolean
//   invoiceDetails(invoice)          -> decodeInvoice(invoice), remembered
import { MSAT_PER_SAT as MSAT_PER_SAT_NUMBER } from './amounts.js';
import { BITCOIN_NETWORKS, MAX_ADDRESS_LENGTH, parseBitcoinAddress } from './bitcoin-address.js';
import { decodeInvoice, MAX_INVOICE_LENGTH } from './bolt11.js';
import { isChecksummedEthAddress } from './eth-address.js';
import { PaymentError } from './payment-error.js';

export const PAYMENT_ASSETS = Object.freeze(['btc', 'lightning', 'usdt']);
// USDT requests are on Ethereum's main network, named 'main' too.
export const PAYMENT_NETWORKS = BITCOIN_NETWORKS;
export const MAX_NOTE_CODE_POINTS = 280;
export { MAX_ADDRESS_LENGTH, MAX_INVOICE_LENGTH };
// How long an on-chain or USDT request may stay open; a Lightning one lasts as long as
// its invoice, within the same bound.
export const MAX_REQUEST_MS = 30 * 86_400_000;
// 21 million bitcoin in satoshis: no amount of bitcoin can be larger.
export const MAX_SATS = 2_100_000_000_000_000n;
const MSAT_PER_SAT = BigInt(MSAT_PER_SAT_NUMBER);
// An amount in the asset's smallest unit (satoshi, millisatoshi, a millionth of USDT),
// as decimal digits: a JSON number could not hold every millisatoshi amount exactly.
export const AMOUNT_TEXT = /^[1-9][0-9]{0,29}$/;

const REMEMBERED_INVOICES = 256;
const decoded = new Map(); // invoice -> its details, the most recently used last

export function invoiceDetails(invoice) {
  let details = decoded.get(invoice);
  if (details) decoded.delete(invoice);
  else details = decodeInvoice(invoice);
  decoded.set(invoice, details);
  if (decoded.size > REMEMBERED_INVOICES) decoded.delete(decoded.keys().next().value);
  return details;
}

const refuse = (code, message) => {
  throw new PaymentError(code, message);
};

function checkInvoice(body, amountMsat) {
  const invoice = invoiceDetails(body.invoice);
  if (invoice.invoice !== body.invoice) refuse('malformed', 'The invoice must be written in lower case.');
  if (invoice.network !== body.network) {
    refuse('wrong_network', `The invoice is for ${networkName(invoice.network)}, not ${networkName(body.network)}.`);
  }
  if (invoice.amountMsat === null) refuse('amount_mismatch', 'The invoice has no amount: ask your wallet for one of the requested amount.');
  if (BigInt(invoice.amountMsat) !== amountMsat) refuse('amount_mismatch', 'The invoice’s amount differs from the requested amount.');
  return invoice;
}

export function checkPaymentRequest(body) {
  const { asset, network, amount, ts, expires } = body;
  if (!PAYMENT_ASSETS.includes(asset)) refuse('unsupported', 'Parley takes requests in bitcoin, Lightning or USDT.');
  if (!PAYMENT_NETWORKS.includes(network)) refuse('unsupported', 'That network is not one Parley knows.');
  if (typeof amount !== 'string' || !AMOUNT_TEXT.test(amount)) refuse('malformed', 'The amount must be more than zero.');
  if (!(expires > ts)) refuse('malformed', 'The request has already expired.');
  if (expires - ts > MAX_REQUEST_MS) refuse('malformed', 'A request lasts at most 30 days.');
  let invoice = null;
  if (asset === 'usdt') {
    if (network !== 'main') refuse('unsupported', 'USDT requests are on Ethereum’s main network.');
    if (body.invoice !== undefined) refuse('malformed', 'A USDT request has no Lightning invoice.');
    if (!isChecksummedEthAddress(body.address)) refuse('bad_checksum', 'The Ethereum address is not checksummed (EIP-55).');
  } else if (asset === 'btc') {
    if (BigInt(amount) > MAX_SATS) refuse('malformed', 'That is more bitcoin than there will ever be.');
    if (typeof body.address !== 'string') refuse('malformed', 'A bitcoin request needs an address.');
    if (parseBitcoinAddress(body.address, network).address !== body.address) {
      refuse('malformed', 'The address must be written as the wallet gave it, in lower case.');
    }
    // BIP 321: a Lightning invoice for the same amount may ride along as `lightning=`.
    if (body.invoice !== undefined) {
      invoice = checkInvoice(body, BigInt(amount) * MSAT_PER_SAT);
      if (invoice.expiresAt < expires) refuse('malformed', 'The request must lapse by the time its invoice does.');
    }
  } else {
    if (body.address !== undefined) refuse('malformed', 'A Lightning request pays its invoice, not an address.');
    if (typeof body.invoice !== 'string') refuse('malformed', 'A Lightning request needs an invoice.');
    if (BigInt(amount) > MAX_SATS * MSAT_PER_SAT) refuse('malformed', 'That is more bitcoin than there will ever be.');
    invoice = checkInvoice(body, BigInt(amount));
    if (invoice.expiresAt !== expires) refuse('malformed', 'A Lightning request lapses when its invoice does.');
  }
  return { invoice };
}

export function isPaymentRequest(body) {
  try {
    checkPaymentRequest(body);
    return true;
  } catch (error) {
    if (error instanceof PaymentError) return false;
    throw error;
  }
}

const NETWORK_NAMES = { main: 'Bitcoin’s main network', testnet: 'testnet', signet: 'signet', regtest: 'regtest' };
export const networkName = (network) => NETWORK_NAMES[network] ?? network;
