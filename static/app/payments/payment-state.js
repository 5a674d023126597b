// Where a payment request stands (docs/protocol.md §7 "Payments"), derived from the
// room's entries like everything else in room/room-state.js, so every member and every
// reload says the same:
//
//   received  the requester marked it received (a `received` entry of theirs)
//   proven    a Lightning receipt's preimage hashes to the invoice's payment hash
//   claimed   someone says they paid (a transaction id): only the requester can tell
//   expired   its time ran out with no receipt
//   open      none of these yet
//
//   paymentCard(body, requester)            -> the `payment` a timeline item carries
//   addReceipt(payment, { id, author, ts, body })   a `paid` entry about it
//   paymentStatus(payment, now)             -> one of PAYMENT_STATES
import { hex, sha256 } from '../../vendor/payments.js';
import { invoiceDetails } from './payment-request.js';

export const PAYMENT_STATES = Object.freeze(['open', 'claimed', 'proven', 'received', 'expired']);

// The room is rebuilt on every change: an invoice's signature is checked once per body
// (bodies are kept as they were opened), not once per rebuild.
const invoiceFacts = new WeakMap(); // body -> { paymentHash, payee }

function factsOf(body) {
  let facts = invoiceFacts.get(body);
  if (!facts) {
    // The entry was checked when it came; should a later release read the invoice more
    // strictly, the card shows what it can rather than the room failing to render.
    try {
      const { paymentHash, payee } = invoiceDetails(body.invoice);
      facts = { paymentHash, payee };
    } catch {
      facts = { paymentHash: null, payee: null };
    }
    invoiceFacts.set(body, facts);
  }
  return facts;
}

export function paymentCard(body, requester) {
  const invoice = body.invoice === undefined ? null : factsOf(body);
  return {
    requester, asset: body.asset, network: body.network, amount: body.amount, expires: body.expires,
    note: body.note ?? null, address: body.address ?? null, invoice: body.invoice ?? null,
    paymentHash: invoice?.paymentHash ?? null, payee: invoice?.payee ?? null,
    receipts: [], refusedReceipts: [], received: null,
  };
}

export const preimageProves = (preimage, paymentHash) => hex.encode(sha256(hex.decode(preimage))) === paymentHash;

// Why a receipt counts for nothing, or null when it counts: the requester cannot pay
// themselves, a transaction id must be the asset's kind, and a preimage must be the
// invoice's (a wrong one is refused, never shown as a claim).
function receiptRefusal(payment, author, body) {
  if (author === payment.requester) return 'own_request';
  if (body.preimage !== undefined) {
    if (payment.paymentHash === null) return 'not_lightning';
    return preimageProves(body.preimage, payment.paymentHash) ? null : 'wrong_preimage';
  }
  const ethereum = body.txid.startsWith('0x');
  if (payment.asset === 'lightning' || ethereum !== (payment.asset === 'usdt')) return 'wrong_kind';
  return null;
}

// One receipt per payer and request: their first, unless a proof comes after a claim
// (then the proof). Later ones, and more than one refusal per payer, are not shown, so
// nobody can fill a card or the timeline with receipts. True when this one counts.
export function addReceipt(payment, { id, author, ts, body }) {
  const reason = receiptRefusal(payment, author, body);
  if (reason) {
    if (!payment.refusedReceipts.some((refused) => refused.author === author)) {
      payment.refusedReceipts.push({ id, author, ts, reason });
    }
    return false;
  }
  const receipt = {
    id, author, ts, txid: body.txid ?? null, preimage: body.preimage ?? null, proven: body.preimage !== undefined,
  };
  const earlier = payment.receipts.findIndex((kept) => kept.author === author);
  if (earlier === -1) payment.receipts.push(receipt);
  else if (receipt.proven && !payment.receipts[earlier].proven) payment.receipts[earlier] = receipt;
  else return false;
  return true;
}

// Only the requester says what they received; the first time counts.
export function markReceived(payment, { author, ts }) {
  if (author !== payment.requester || payment.received) return false;
  payment.received = { ts };
  return true;
}

export function paymentStatus(payment, now = Date.now()) {
  if (payment.received) return 'received';
  if (payment.receipts.some((receipt) => receipt.proven)) return 'proven';
  if (payment.receipts.length > 0) return 'claimed';
  return now >= payment.expires ? 'expired' : 'open';
}
