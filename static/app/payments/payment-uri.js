// Payment URIs a wallet opens: `bitcoin:` (BIP 321, with a `lightning=` invoice beside or
// instead of the address), `lightning:` (BOLT 11), and `ethereum:` (EIP-681) for USDT, an
// ERC-20 `transfer` on Ethereum mainnet. Building them for a card's "Open in wallet", and
// parsing them when a member pastes one.
//
//   bitcoinUri({ address: 'bc1q…', amountSats: '100000', label: 'Ana' })
//     -> 'bitcoin:bc1q…?amount=0.001&label=Ana'
//   parseBitcoinUri('BITCOIN:BC1Q…?amount=0.001') -> { address: 'BC1Q…', amountSats: '100000', … }
//   usdtUri({ address: '0x5aAe…', amount: '2500000' })
//     -> 'ethereum:0xdAC1…1ec7@1/transfer?address=0x5aAe…&uint256=2500000'
//   parseEthereumUri('ethereum:0xfb69…?value=2.014e18') -> { target, chainId: null, …, params: [['value', '2014000000000000000']] }
import { BTC_DECIMALS, formatUnits, parseDecimalAmount } from './amounts.js';
import { parseBitcoinAddress } from './bitcoin-address.js';
import { isChecksummedEthAddress } from './eth-address.js';
import { PaymentError } from './payment-error.js';

// Tether's USDT token contract on Ethereum mainnet, in its EIP-55 spelling.
export const USDT_CONTRACT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
export const ETHEREUM_CHAIN_ID = 1;
export const MAX_URI_LENGTH = 8000;

// Keys of BIP 321 that carry a way to pay (so the address may be left out); `bc`, `tb`
// and `bcrt` are segwit addresses under their own bech32 prefix as the key.
const PAYMENT_INSTRUCTIONS = ['lightning', 'lno', 'pay', 'sp', 'bc', 'tb', 'bcrt'];
const SEGWIT_KEYS = ['bc', 'tb', 'bcrt'];
// Keys that may appear once only (BIP 321 "Query Keys"); `req-pop` counts as `pop`.
const SINGLE_KEYS = ['amount', 'label', 'message', 'pop'];
const BTC_AMOUNT = /^\d*(?:\.\d*)?$/;
const BASE58_OR_BECH32 = /^[A-Za-z0-9]*$/;
const BASE_UNITS = /^[1-9]\d*$/;

const malformed = (message) => new PaymentError('malformed', message);

function decodeComponent(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    throw malformed('The link has a broken %-escape.');
  }
}

// key=value pairs of a query, keys lowercased (BIP 321 keys are case-insensitive),
// values percent-decoded; empty pairs (a stray `&`) are skipped.
function queryPairs(query) {
  if (query === undefined || query === '') return [];
  return query.split('&').filter((pair) => pair !== '').map((pair) => {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    if (key === '') throw malformed('The link has a parameter without a name.');
    return [decodeComponent(key).toLowerCase(), at < 0 ? '' : decodeComponent(pair.slice(at + 1))];
  });
}

export function bitcoinUri({ address = '', amountSats, label, message, lightning } = {}) {
  if (address === '' && !lightning) throw malformed('A bitcoin: link needs an address or an invoice.');
  const params = [];
  if (amountSats !== undefined && amountSats !== null) params.push(['amount', formatUnits(amountSats, BTC_DECIMALS)]);
  if (label) params.push(['label', label]);
  if (message) params.push(['message', message]);
  if (lightning) params.push(['lightning', lightning]);
  const query = params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `bitcoin:${address}${query ? `?${query}` : ''}`;
}

// BIP 321. With `network`, the address is checked (parseBitcoinAddress) and returned in
// its canonical spelling; without, it is returned as written. `params` holds the pairs
// this release does not act on (pop, lno, sp, unknown keys), in order.
export function parseBitcoinUri(uri, { network } = {}) {
  if (typeof uri !== 'string' || uri.length > MAX_URI_LENGTH) throw malformed();
  const scheme = 'bitcoin:';
  if (uri.slice(0, scheme.length).toLowerCase() !== scheme) throw malformed('Not a bitcoin: link.');
  const rest = uri.slice(scheme.length);
  const queryAt = rest.indexOf('?');
  const addressText = queryAt < 0 ? rest : rest.slice(0, queryAt);
  if (!BASE58_OR_BECH32.test(addressText)) throw malformed('The link’s address has characters no address has.');
  const result = { address: null, amountSats: null, label: null, message: null, lightning: null, params: [] };
  const seen = new Set();
  let instructions = 0;
  for (const [rawKey, value] of queryPairs(queryAt < 0 ? undefined : rest.slice(queryAt + 1))) {
    const key = rawKey === 'req-pop' ? 'pop' : rawKey;
    if (SINGLE_KEYS.includes(key)) {
      if (seen.has(key)) throw malformed(`The link gives its ${key} twice.`);
      seen.add(key);
    }
    if (PAYMENT_INSTRUCTIONS.includes(key)) instructions++;
    if (rawKey.startsWith('req-')) throw new PaymentError('unsupported', 'The link requires something this version cannot do.');
    if (key === 'amount') {
      if (!BTC_AMOUNT.test(value)) throw malformed('The link’s amount is not a decimal number of bitcoin.');
      result.amountSats = parseDecimalAmount(value, BTC_DECIMALS);
    } else if (key === 'label' || key === 'message') {
      result[key] = value;
    } else if (key === 'lightning' && result.lightning === null) {
      result.lightning = value;
    } else {
      // A segwit address under a bech32 prefix as key must have that prefix (BIP 321).
      if (SEGWIT_KEYS.includes(key) && !value.toLowerCase().startsWith(`${key}1`)) {
        throw malformed(`The link’s ${key} address is for another network.`);
      }
      result.params.push([key, value]);
    }
  }
  if (addressText === '' && instructions === 0) throw malformed('The link has no address and no other way to pay.');
  if (addressText !== '') result.address = network ? parseBitcoinAddress(addressText, network).address : addressText;
  return result;
}

export const lightningUri = (invoice) => `lightning:${invoice}`;

// An ERC-20 `transfer` of USDT on Ethereum mainnet (EIP-681): the amount in base units.
export function usdtUri({ address, amount }) {
  if (!isChecksummedEthAddress(address)) throw malformed('The recipient must be an EIP-55 checksummed address.');
  const units = String(amount);
  if (!BASE_UNITS.test(units)) throw malformed('The amount must be a whole number of base units above zero.');
  return `ethereum:${USDT_CONTRACT}@${ETHEREUM_CHAIN_ID}/transfer?address=${address}&uint256=${units}`;
}

const ETHEREUM_URI = /^ethereum:(pay-)?([^@/?]+)(?:@(\d+))?(?:\/([^?]*))?(?:\?(.*))?$/i;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NUMBER_KEYS = ['value', 'gas', 'gaslimit', 'gasprice'];
const INTEGER_TYPE = /^u?int(\d*)$/;
// EIP-681 `number`: digits, an optional fraction and an optional power of ten. Only
// integers are allowed, so the exponent must cover the fraction; no sign, as no amount
// or gas figure is negative.
const NUMBER = /^\+?(\d*)(?:\.(\d+))?(?:[eE](\d*))?$/;
const MAX_EXPONENT = 77; // 2^256 has 78 digits
const MAX_UINT256 = 2n ** 256n - 1n;

// An EIP-681 number -> its exact value as decimal digits.
export function ethereumNumber(text) {
  const match = NUMBER.exec(text);
  if (!match || (match[1] === '' && match[2] === undefined)) throw malformed('The link’s number is not a number.');
  const [, whole, fraction = '', exponentText = ''] = match;
  const exponent = exponentText === '' ? 0 : Number(exponentText);
  if (exponent > MAX_EXPONENT || fraction.length > exponent) throw malformed('The link’s number is not a whole number.');
  const value = BigInt(`${whole}${fraction}`.padEnd(whole.length + exponent, '0') || '0');
  if (value > MAX_UINT256) throw malformed('The link’s number is too large.');
  return value.toString();
}

// EIP-681 -> { target, pay: boolean, chainId: decimal text | null, functionName | null,
// params: [[key, value]] } with numbers (value, gas, gasLimit, gasPrice, u?intN) as
// exact decimal digits and addresses as written (check them with parseEthAddress).
// An ENS name as target is 'unsupported': resolving one is a wallet's job.
export function parseEthereumUri(uri) {
  if (typeof uri !== 'string' || uri.length > MAX_URI_LENGTH) throw malformed();
  const match = ETHEREUM_URI.exec(uri);
  if (!match) throw malformed('Not an ethereum: link.');
  const [, pay, target, chainId, functionName, query] = match;
  if (!HEX_ADDRESS.test(target)) {
    throw target.includes('.') ? new PaymentError('unsupported', 'Ethereum names (ENS) are not supported: use the address.') : malformed();
  }
  const params = (query === undefined || query === '' ? [] : query.split('&')).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw malformed('The link has a parameter without a value.');
    const key = decodeComponent(pair.slice(0, at));
    const value = decodeComponent(pair.slice(at + 1));
    if (NUMBER_KEYS.includes(key.toLowerCase()) || INTEGER_TYPE.test(key)) return [key, ethereumNumber(value)];
    if (key === 'address' && !HEX_ADDRESS.test(value)) throw malformed('The link’s address parameter is not an address.');
    return [key, value];
  });
  return {
    target,
    pay: pay !== undefined,
    chainId: chainId === undefined ? null : BigInt(chainId).toString(),
    functionName: functionName === undefined || functionName === '' ? null : decodeComponent(functionName),
    params,
  };
}
