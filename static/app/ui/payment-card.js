// PaymentCard: a payment request in the conversation (docs/protocol.md §7 "Payments") —
// the amount, the asset, the note, when it expires, its state, a QR code of the
// standard payment link (BIP 321, `lightning:`, EIP-681), "Pay with wallet" (WebLN,
// EIP-1193, or the link itself for any wallet on the device), copy buttons, the
// receipts, and for the requester "Mark received". One long-lived element per request:
// the message around it can be rebuilt, the card updates itself, and again when the
// request expires.
//
//   const card = new PaymentCard({ id, payment, mine, actions, nameOf })
//   card.el; card.update(payment)
import { paymentStatus } from '../payments/payment-state.js';
import { amountText, assetLabel, RECEIPT_REFUSALS, STATUS_TEXT } from '../payments/payment-text.js';
import { networkName, invoiceDetails } from '../payments/payment-request.js';
import { bitcoinUri, lightningUri, usdtUri } from '../payments/payment-uri.js';
import { ethereumWallet, lightningWallet } from '../payments/wallets.js';
import { h, replaceChildren } from './dom.js';
import { qrCanvas } from './qr-canvas.js';
import { copyButton } from './sidebar-view.js';

// Letters where a font may lack the sign (₿ is missing from many).
const ICONS = { btc: 'BTC', lightning: '⚡', usdt: '₮' };
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's largest delay

export function paymentUri(payment) {
  if (payment.asset === 'usdt') return usdtUri({ address: payment.address, amount: payment.amount });
  if (payment.asset === 'lightning') return lightningUri(payment.invoice);
  return bitcoinUri({
    address: payment.address, amountSats: payment.amount, message: payment.note ?? undefined,
    lightning: payment.invoice ?? undefined,
  });
}

// The entry was checked when it came; a card still shows if a later release reads
// the invoice more strictly.
function readInvoice(invoice) {
  try {
    return invoiceDetails(invoice);
  } catch {
    return null;
  }
}

const whenText = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shortHex = (hex) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

// The payer's own receipt (who: null) reads "You paid"; another's is their word until proven.
function receiptText(who, receipt) {
  if (receipt.proven) return `${who ?? 'You'} paid · proven by the invoice’s preimage ✓`;
  return `${who === null ? 'You paid' : `${who} says they paid`} · transaction ${shortHex(receipt.txid)}`;
}

export class PaymentCard {
  // actions: { pay(id, payment), claim(id, payment), markReceived(id) } (ui/payment-actions.js)
  constructor({ id, payment, mine, selfId, actions, nameOf }) {
    this.id = id;
    this.mine = mine;
    this.selfId = selfId;
    this.actions = actions;
    this.nameOf = nameOf;
    this.expiryTimer = null;
    this.shownKey = null;
    this.uri = paymentUri(payment);
    this.status = h('span', { class: 'payment-status', 'data-testid': 'payment-status' });
    this.expiry = h('span', { class: 'payment-expiry', 'data-testid': 'payment-expiry' });
    this.qr = h('div', { class: 'payment-qr-slot' });
    this.buttons = h('div', { class: 'payment-actions' });
    this.receipts = h('ul', { class: 'payment-receipts', 'data-testid': 'payment-receipts' });
    this.error = h('p', { class: 'payment-error', role: 'alert', 'data-testid': 'payment-card-error', hidden: true });
    this.el = h('div', { class: `payment-card asset-${payment.asset}`, 'data-testid': 'payment-card', dataset: { request: id } },
      h('div', { class: 'payment-head' },
        h('span', { class: `payment-icon asset-${payment.asset}`, 'aria-hidden': 'true' }, ICONS[payment.asset]),
        h('div', { class: 'payment-title' },
          h('span', { class: 'payment-kind' }, mine ? 'You requested' : 'Payment request',
            ` · ${assetLabel(payment.asset)}`, payment.network === 'main' ? '' : ` · ${networkName(payment.network)}`),
          h('strong', { class: 'payment-amount', 'data-testid': 'payment-amount' }, amountText(payment)))),
      h('div', { class: 'payment-state-row' }, this.status, this.expiry),
      payment.note ? h('p', { class: 'payment-note', 'data-testid': 'payment-note' }, payment.note) : null,
      this.qr, this.buttons, this.error, this.#details(payment), this.receipts);
    this.update(payment);
  }

  update(payment) {
    const state = paymentStatus(payment);
    const key = JSON.stringify([state, payment.receipts, payment.refusedReceipts, payment.received]);
    this.payment = payment;
    this.#scheduleExpiry(state);
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.el.dataset.state = state;
    this.status.dataset.state = state;
    this.status.textContent = STATUS_TEXT[state];
    this.expiry.textContent = `${state === 'expired' ? 'Expired' : 'Expires'} ${whenText(payment.expires)}`;
    this.expiry.hidden = state === 'received' || state === 'proven';
    const payable = state === 'open' || state === 'claimed';
    replaceChildren(this.qr, payable ? this.#qrCode() : null);
    replaceChildren(this.buttons, ...this.#buttons(state, payable));
    replaceChildren(this.receipts, ...this.#receiptItems(payment));
  }

  stop() {
    clearTimeout(this.expiryTimer);
  }

  // The card turns to "Expired" by itself at its time.
  #scheduleExpiry(state) {
    clearTimeout(this.expiryTimer);
    if (state !== 'open') return;
    const wait = Math.min(this.payment.expires - Date.now() + 50, MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => this.update(this.payment), Math.max(wait, 0));
  }

  // A link longer than a QR code holds (a long invoice, a long note) is still copied.
  #qrCode() {
    if (!this.qrCode) {
      let code;
      try {
        code = qrCanvas(this.uri, { pixels: 256, label: 'Payment QR code' });
      } catch {
        code = h('p', { class: 'payment-qr-too-long' }, 'The payment link is too long for a QR code: copy it instead.');
      }
      this.qrCode = h('div', { class: 'payment-qr', 'data-testid': 'payment-qr' }, code);
    }
    return this.qrCode;
  }

  // A wallet's refusal, or a proof that does not hold, is said on the card itself.
  async #run(action) {
    this.error.hidden = true;
    try {
      await action();
    } catch (failure) {
      this.error.textContent = failure.message;
      this.error.hidden = false;
    }
  }

  #buttons(state, payable) {
    const { payment } = this;
    const buttons = [];
    if (!this.mine && payable) {
      const hasWallet = (payment.asset === 'lightning' && lightningWallet()) || (payment.asset === 'usdt' && ethereumWallet());
      buttons.push(hasWallet
        ? h('button', { type: 'button', class: 'button primary', 'data-testid': 'payment-pay', onclick: () => this.#run(() => this.actions.pay(this.id, payment)) }, 'Pay with wallet')
        : h('a', { class: 'button primary', href: this.uri, 'data-testid': 'payment-open-wallet' }, 'Open in wallet'));
      buttons.push(h('button', {
        type: 'button', class: 'button', 'data-testid': 'payment-claim', onclick: () => this.#run(() => this.actions.claim(this.id, payment)),
      }, 'I’ve paid'));
    }
    if (this.mine && state !== 'received') {
      buttons.push(h('button', {
        type: 'button', class: 'button', 'data-testid': 'payment-mark-received', onclick: () => this.#run(() => this.actions.markReceived(this.id)),
      }, 'Mark received'));
    }
    if (payable) {
      buttons.push(copyButton(this.uri, 'Copy payment link'));
      if (payment.address) buttons.push(copyButton(payment.address, 'Copy address'));
      if (payment.invoice) buttons.push(copyButton(payment.invoice, 'Copy invoice'));
    }
    return buttons;
  }

  #receiptItems(payment) {
    const items = payment.receipts.map((receipt) => h('li', {
      class: `payment-receipt${receipt.proven ? ' proven' : ''}`, 'data-testid': 'payment-receipt',
      dataset: { proven: String(receipt.proven) },
    },
    receiptText(receipt.author === this.selfId ? null : this.nameOf(receipt.author), receipt)));
    if (payment.received) items.push(h('li', { class: 'payment-receipt received', 'data-testid': 'payment-received' }, `${this.mine ? 'You' : this.nameOf(payment.requester)} marked it received`));
    for (const refused of payment.refusedReceipts) {
      items.push(h('li', { class: 'payment-receipt refused', 'data-testid': 'payment-refused-receipt' },
        `A receipt from ${this.nameOf(refused.author)} was refused: ${RECEIPT_REFUSALS[refused.reason]}`));
    }
    return items;
  }

  // What a careful payer checks before paying: the invoice as decoded, its signature checked.
  #details(payment) {
    const rows = [['Network', networkName(payment.network)]];
    if (payment.address) rows.push([payment.asset === 'usdt' ? 'To (EIP-55)' : 'Address', payment.address]);
    const invoice = payment.invoice ? readInvoice(payment.invoice) : null;
    if (invoice) {
      rows.push(
        ['Invoice amount', amountText({ asset: 'lightning', amount: invoice.amountMsat })],
        ['Payment hash', invoice.paymentHash],
        ['Invoice expires', whenText(invoice.expiresAt)],
        ['Payee node', invoice.payee],
        ['Signature', 'verified'],
      );
      if (invoice.description) rows.push(['Description', invoice.description]);
    }
    return h('details', { class: 'payment-details', 'data-testid': 'payment-details' }, h('summary', {}, 'Details'),
      h('dl', {}, rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])));
  }
}
