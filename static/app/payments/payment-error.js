// A payment request this release refuses, with the reason as a code the UI and the
// Python twin (parley_peer/payments.py) share, and an English sentence for the user.
// The validation codes:
//
//   malformed      not a valid address / invoice / amount / URI at all (typo, truncation)
//   wrong_network  valid, but for another Bitcoin network than the one asked for
//   unsupported    valid, but of a kind this release cannot pay (a future segwit
//                  version, an unknown Lightning currency, a required unknown feature)
//   bad_signature  a Lightning invoice whose signature does not prove its payee
//   bad_checksum   an Ethereum address whose EIP-55 capitals do not match
//   amount_mismatch an amount that disagrees with the one it must equal
export const PAYMENT_ERROR_CODES = Object.freeze([
  'malformed', 'wrong_network', 'unsupported', 'bad_signature', 'bad_checksum', 'amount_mismatch',
]);

const DEFAULT_MESSAGES = {
  malformed: 'This payment request is not valid. Check that it was copied completely.',
  wrong_network: 'This address belongs to a different Bitcoin network.',
  unsupported: 'This kind of payment request is not supported yet.',
  bad_signature: 'This Lightning invoice has an invalid signature.',
  bad_checksum: 'This Ethereum address has a typo: its capital letters do not match its checksum.',
  amount_mismatch: 'The amount does not match the payment request.',
};

// Callers beyond validation (a wallet's refusal, a proof that does not match) bring
// codes of their own, with their own message.
export class PaymentError extends Error {
  constructor(code, message = DEFAULT_MESSAGES[code] ?? 'This payment could not be made.') {
    super(message);
    this.name = 'PaymentError';
    this.code = code;
  }
}
