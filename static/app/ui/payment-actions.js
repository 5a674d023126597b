// What the buttons of a payment card do (ui/payment-card.js): pay with the browser's
// wallet, say "I've paid" with a transaction id or a Lightning proof, and for the
// requester, mark the request received. A Lightning proof is checked against the
// invoice before it is posted: a wallet that answers with the wrong preimage posts
// nothing (every member would refuse it anyway, payments/payment-state.js).
//
//   const actions = paymentActions(() => session)
//   await actions.pay(id, payment); await actions.claim(id, payment); await actions.markReceived(id)
import { PaymentError } from '../payments/payment-error.js';
import { preimageProves } from '../payments/payment-state.js';
import { payInvoice, payUsdt } from '../payments/wallets.js';
import { askForText, askToConfirm } from './dialogs.js';

const HEX32 = /^[0-9a-f]{64}$/;
const ETHEREUM_TX = /^0x[0-9a-f]{64}$/;

const wrongProof = () => new PaymentError('wrong_preimage', 'The wallet’s proof of payment does not match this invoice, so no receipt was posted.');

// A 64-hex answer to a bitcoin request that also carries an invoice is the Lightning
// proof if it matches the invoice, and the on-chain transaction id otherwise.
function proofFrom(text, payment) {
  const value = text.trim().toLowerCase();
  if (payment.asset === 'usdt') {
    if (!ETHEREUM_TX.test(value)) throw new PaymentError('malformed', 'A USDT transaction hash is 0x and 64 hexadecimal digits.');
    return { txid: value };
  }
  if (!HEX32.test(value)) {
    throw new PaymentError('malformed', payment.asset === 'lightning'
      ? 'A payment proof (preimage) is 64 hexadecimal digits.' : 'A bitcoin transaction id is 64 hexadecimal digits.');
  }
  if (payment.paymentHash && preimageProves(value, payment.paymentHash)) return { preimage: value };
  if (payment.asset === 'lightning') throw wrongProof();
  return { txid: value };
}

const CLAIM_LABELS = {
  btc: ['Transaction id', 'Your wallet shows it once the payment is sent. The requester confirms it arrived.'],
  lightning: ['Payment proof (preimage)', 'Your wallet shows it after paying. Every member checks it against the invoice.'],
  usdt: ['Transaction hash', 'Your wallet shows it once the payment is sent. The requester confirms it arrived.'],
};

export function paymentActions(session) {
  return {
    async pay(id, payment) {
      if (payment.asset === 'lightning') {
        const preimage = await payInvoice(payment.invoice);
        if (!preimageProves(preimage, payment.paymentHash)) throw wrongProof();
        await session().payRequest(id, { preimage });
      } else if (payment.asset === 'usdt') {
        await session().payRequest(id, { txid: await payUsdt({ address: payment.address, amount: payment.amount }) });
      }
    },
    async claim(id, payment) {
      const [label, explanation] = CLAIM_LABELS[payment.asset];
      const text = await askForText({
        title: 'Mark as paid', label, explanation, submitLabel: 'Post receipt', maxLength: 80, testid: 'payment-claim-dialog',
      });
      if (text) await session().payRequest(id, proofFrom(text, payment));
    },
    async markReceived(id) {
      const confirmed = await askToConfirm({
        title: 'Mark as received?', text: 'Everyone in the room will see this request as received.',
        confirmLabel: 'Mark received', testid: 'payment-received-dialog',
      });
      if (confirmed) await session().confirmReceived(id);
    },
  };
}
