// How a payment request reads: its amount in the unit people use for the asset, the
// asset's name, and its state in words.
//
//   amountText({ asset, amount })  -> '0.001 BTC', '1,500 sats', '25 USDT'
//   assetLabel('lightning')        -> 'Lightning'
//   STATUS_TEXT.proven             -> 'Paid · proven'
import { formatUnits } from './amounts.js';

const BTC_DECIMALS = 8;
const USDT_DECIMALS = 6;
const MSAT_DECIMALS = 3; // a millisatoshi is a thousandth of a satoshi

const ASSET_LABELS = { btc: 'Bitcoin', lightning: 'Lightning', usdt: 'USDT (Ethereum)' };
export const assetLabel = (asset) => ASSET_LABELS[asset] ?? asset;

const grouped = (digits) => {
  const [whole, fraction] = digits.split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction ? `${withCommas}.${fraction}` : withCommas;
};

// Lightning amounts are counted in satoshis, as Lightning wallets show them.
export function amountText({ asset, amount }) {
  if (asset === 'btc') return `${formatUnits(amount, BTC_DECIMALS)} BTC`;
  if (asset === 'usdt') return `${grouped(formatUnits(amount, USDT_DECIMALS))} USDT`;
  const sats = formatUnits(amount, MSAT_DECIMALS);
  return `${grouped(sats)} ${sats === '1' ? 'sat' : 'sats'}`;
}

export const STATUS_TEXT = Object.freeze({
  open: 'Waiting for payment',
  claimed: 'Paid · not yet confirmed',
  proven: 'Paid · proven',
  received: 'Received',
  expired: 'Expired',
});

export const RECEIPT_REFUSALS = Object.freeze({
  own_request: 'the requester cannot pay their own request',
  not_lightning: 'a preimage proves only a Lightning payment',
  wrong_preimage: 'its proof does not match the invoice',
  wrong_kind: 'its transaction id is not of this request’s kind',
});
