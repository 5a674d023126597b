// "Request payment" (docs/protocol.md §7 "Payments"): the asset, the amount and where to
// pay — the user's own address, or an invoice from their own Lightning wallet (made here
// when the browser has a WebLN wallet). Everything is checked as every member will check
// it (payments/payment-request.js) before the request is posted, and a refusal says why
// in the dialog, which stays open.
import { parseBitcoinAddress } from '../payments/bitcoin-address.js';
import { decodeInvoice } from '../payments/bolt11.js';
import { parseEthAddress } from '../payments/eth-address.js';
import { parseDecimalAmount } from '../payments/amounts.js';
import { PaymentError } from '../payments/payment-error.js';
import { MAX_NOTE_CODE_POINTS, checkPaymentRequest } from '../payments/payment-request.js';
import { formatUnits } from '../payments/amounts.js';
import { MAX_URI_LENGTH, parseBitcoinUri, parseEthereumUri } from '../payments/payment-uri.js';
import { createInvoice, lightningWallet } from '../payments/wallets.js';
import { h } from './dom.js';

const ASSETS = [
  ['btc', 'Bitcoin (on-chain)'],
  ['lightning', 'Bitcoin (Lightning)'],
  ['usdt', 'USDT (Ethereum)'],
];
const NETWORKS = [['main', 'Main network'], ['testnet', 'Testnet'], ['signet', 'Signet'], ['regtest', 'Regtest']];
const LIFETIMES = [[3_600_000, '1 hour'], [86_400_000, '1 day'], [604_800_000, '1 week'], [2_592_000_000, '30 days']];
const DEFAULT_LIFETIME = 86_400_000;
// Units of the amount field, and how many decimals of the entry's unit each has.
const UNITS = { btc: ['BTC', 8], lightning: ['sats', 3], usdt: ['USDT', 6] };
const MSAT_PER_SAT = 1000n;

// What each field's refusal means to the person filling it in.
const ADDRESS_TROUBLE = {
  malformed: 'This is not a valid bitcoin address: check it for typos, or copy it again from your wallet.',
  wrong_network: 'This address is for another network than the one chosen.',
  unsupported: 'Wallets cannot pay this kind of address yet: use another address from your wallet.',
};
const ETHEREUM_TROUBLE = {
  malformed: 'This is not an Ethereum address: it is 0x and 40 hexadecimal digits.',
  bad_checksum: 'This Ethereum address has a typo: its capital letters do not match its checksum (EIP-55).',
};
const INVOICE_TROUBLE = {
  malformed: 'This is not a valid Lightning invoice: check that it was copied completely.',
  unsupported: 'This invoice is for a network or a feature Parley does not know.',
  bad_signature: 'This invoice’s signature does not verify: it may have been altered.',
};
const AMOUNT_TROUBLE = { malformed: 'Write the amount as a number, like 0.001, with at most as many decimals as the unit has.' };

// fn(), with a refusal reworded for the field it concerns.
function checked(fn, trouble) {
  try {
    return fn();
  } catch (error) {
    if (error instanceof PaymentError && trouble[error.code]) throw new PaymentError(error.code, trouble[error.code]);
    throw error;
  }
}

const select = (choices, label, testid, chosen) => h('select', { 'aria-label': label, 'data-testid': testid },
  choices.map(([value, text]) => h('option', { value: String(value), selected: value === chosen }, text)));

export function openPaymentRequestDialog({ session, onPosted = () => {} }) {
  const asset = select(ASSETS, 'Asset', 'payment-asset', 'btc');
  const network = select(NETWORKS, 'Network', 'payment-network', 'main');
  const amount = h('input', { type: 'text', inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'payment-amount', 'aria-label': 'Amount' });
  const unit = h('span', { class: 'payment-unit', 'aria-hidden': 'true' });
  // Long enough for a pasted payment link, whose address is taken out of it.
  const address = h('input', { type: 'text', autocomplete: 'off', spellcheck: false, maxLength: MAX_URI_LENGTH, 'data-testid': 'payment-address' });
  const invoice = h('textarea', { rows: 3, spellcheck: false, maxLength: 4100, 'data-testid': 'payment-invoice' });
  const note = h('input', { type: 'text', maxLength: MAX_NOTE_CODE_POINTS, 'data-testid': 'payment-note', placeholder: 'What it is for' });
  const lifetime = select(LIFETIMES, 'Expires after', 'payment-lifetime', DEFAULT_LIFETIME);
  const makeInvoice = h('button', {
    type: 'button', class: 'button', 'data-testid': 'payment-make-invoice', hidden: !lightningWallet(),
    onclick: () => fillInvoiceFromWallet(),
  }, 'Create with my wallet');
  const error = h('p', { class: 'dialog-error', role: 'alert', 'data-testid': 'payment-error', hidden: true });
  const addressLabel = h('span', {});
  const invoiceLabel = h('span', {});
  const addressField = h('label', {}, addressLabel, address);
  const invoiceField = h('label', {}, invoiceLabel, invoice);
  const networkField = h('label', {}, h('span', {}, 'Network'), network);
  const lifetimeField = h('label', {}, h('span', {}, 'Expires after'), lifetime);
  const submit = h('button', { class: 'button primary', type: 'submit', value: 'ok', 'data-testid': 'payment-submit' }, 'Request');
  const dialog = h('dialog', { class: 'dialog payment-dialog', 'data-testid': 'payment-dialog', 'aria-label': 'Request a payment' },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, 'Request a payment'),
      h('p', { class: 'dialog-explanation' },
        'Members pay from their own wallets, straight to yours. Parley never holds money or keys.'),
      h('label', {}, h('span', {}, 'Asset'), asset),
      networkField,
      h('label', {}, h('span', {}, 'Amount'), h('span', { class: 'payment-amount-row' }, amount, unit)),
      addressField, invoiceField, makeInvoice,
      h('label', {}, h('span', {}, 'Note (optional)'), note),
      lifetimeField, error,
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'button', type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        submit)));

  function showFields() {
    const kind = asset.value;
    unit.textContent = UNITS[kind][0];
    networkField.hidden = kind === 'usdt';
    addressField.hidden = kind === 'lightning';
    addressLabel.textContent = kind === 'usdt' ? 'Your Ethereum address' : 'Your bitcoin address';
    invoiceField.hidden = kind === 'usdt';
    makeInvoice.hidden = kind === 'usdt' || !lightningWallet();
    invoiceLabel.textContent = kind === 'lightning' ? 'Lightning invoice from your wallet' : 'Lightning invoice for the same amount (optional)';
    lifetimeField.hidden = kind === 'lightning';
    error.hidden = true;
  }

  function fields() {
    const kind = asset.value;
    const chain = kind === 'usdt' ? 'main' : network.value;
    const [, decimals] = UNITS[kind];
    const invoiceText = invoice.value.trim().replace(/^lightning:/i, '');
    const decoded = kind !== 'usdt' && invoiceText ? checked(() => decodeInvoice(invoiceText), INVOICE_TROUBLE) : null;
    let units = amount.value.trim() ? checked(() => parseDecimalAmount(amount.value.trim(), decimals), AMOUNT_TROUBLE) : null;
    // A Lightning request may take its amount from the invoice.
    if (units === null && kind === 'lightning' && decoded?.amountMsat) units = decoded.amountMsat;
    if (units === null) throw new PaymentError('malformed', 'Say how much you are asking for.');
    const body = { asset: kind, network: chain, amount: units };
    if (kind === 'btc') body.address = checked(() => parseBitcoinAddress(address.value.trim(), chain).address, ADDRESS_TROUBLE);
    if (kind === 'usdt') body.address = checked(() => parseEthAddress(address.value.trim()), ETHEREUM_TROUBLE);
    if (decoded) {
      if (decoded.expiresAt <= Date.now()) throw new PaymentError('malformed', 'This invoice has expired: ask your wallet for a new one.');
      body.invoice = decoded.invoice;
    } else if (kind === 'lightning') {
      throw new PaymentError('malformed', 'Paste an invoice from your Lightning wallet.');
    }
    // A request lapses when its invoice does, at the latest.
    const chosen = Date.now() + Number(lifetime.value);
    body.expires = decoded ? (kind === 'lightning' ? decoded.expiresAt : Math.min(chosen, decoded.expiresAt)) : chosen;
    const text = note.value.replace(/\s+/g, ' ').trim();
    if (text) body.note = text;
    checkPaymentRequest({ ...body, ts: Date.now() });
    return body;
  }

  async function fillInvoiceFromWallet() {
    try {
      const units = parseDecimalAmount(amount.value.trim(), UNITS.lightning[1]);
      const msat = BigInt(units);
      if (msat % MSAT_PER_SAT !== 0n) throw new PaymentError('malformed', 'Wallets make invoices for whole satoshis.');
      const made = await createInvoice({ sats: Number(msat / MSAT_PER_SAT), memo: note.value.trim() });
      invoice.value = made;
      error.hidden = true;
    } catch (failure) {
      showError(failure);
    }
  }

  function showError(failure) {
    if (!(failure instanceof PaymentError)) throw failure;
    error.textContent = failure.message;
    error.hidden = false;
  }

  // A wallet's "receive" screen often gives a link (BIP 321, EIP-681) rather than an
  // address: pasted into the address field, it fills what it says.
  function takeLink() {
    const text = address.value.trim();
    try {
      if (/^bitcoin:/i.test(text) && asset.value === 'btc') {
        const link = parseBitcoinUri(text);
        address.value = link.address ?? '';
        if (link.amountSats && !amount.value.trim()) amount.value = formatUnits(link.amountSats, UNITS.btc[1]);
        if (link.lightning && !invoice.value.trim()) invoice.value = link.lightning;
      } else if (/^ethereum:/i.test(text) && asset.value === 'usdt') {
        address.value = parseEthereumUri(text).target;
      }
    } catch (failure) {
      showError(failure);
    }
  }

  address.addEventListener('change', takeLink);
  asset.addEventListener('change', showFields);
  dialog.querySelector('form').addEventListener('submit', (event) => {
    if (event.submitter?.value !== 'ok') return;
    event.preventDefault();
    let body;
    try {
      body = fields();
    } catch (failure) {
      showError(failure);
      return;
    }
    submit.disabled = true;
    session.requestPayment(body).then((record) => {
      dialog.close('ok');
      onPosted(record);
    }, (failure) => {
      submit.disabled = false;
      error.textContent = `The request was not posted: ${failure.message}`;
      error.hidden = false;
    });
  });
  dialog.addEventListener('close', () => dialog.remove());
  showFields();
  document.body.append(dialog);
  dialog.showModal();
  amount.focus();
  return dialog;
}
