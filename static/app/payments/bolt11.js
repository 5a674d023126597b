// A Lightning invoice (BOLT 11) decoded and its signature checked, so that a card shows
// only what a wallet would pay: the network, the amount, the payment hash, when it
// lapses, and the node that signed it. The twin of parley_peer/payments.py
// decode_invoice: both accept and refuse the same invoices with the same codes.
//
//   decodeInvoice('lightning:LNBC2500U1…') -> { invoice: 'lnbc2500u1…', network: 'main',
//     amountMsat: '250000000' | null, paymentHash, timestamp, expiry, expiresAt,
//     description | null, descriptionHash | null, payee }
//
// Refusals: 'malformed' (not bech32, bad checksum, mixed case, a bad amount, a field cut
// short or padded wrongly, no payment hash, no payment secret, neither description nor
// its hash), 'unsupported' (an `ln` prefix of a currency other than bc, tb, tbs and
// bcrt, or a compulsory feature BOLT 9 does not define for invoices), 'bad_signature'
// (no key recovers from it, or it does not verify for the `n` field's key).
//
// The tagged fields are walked here over @scure/base's words: light-bolt11-decoder
// throws on the fields BOLT 11 says a reader MUST skip (a `p` of 51 words, in the spec's
// own "fields which must be ignored" example), so only its amount rule is used.
import { bech32, hex, hrpToMillisat, secp256k1, sha256 } from '../../vendor/payments.js';
import { PaymentError } from './payment-error.js';

export const MAX_INVOICE_LENGTH = 4000;
export const DEFAULT_EXPIRY_SECONDS = 3600;
// The largest time a JavaScript Date can hold: an invoice lapsing later is nonsense.
const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;
const CURRENCIES = { bc: 'main', tb: 'testnet', tbs: 'signet', bcrt: 'regtest' };
// Longest first, so that lntbs is signet and lnbcrt regtest, not testnet or mainnet.
const HRP = /^ln(bcrt|bc|tbs|tb)(.*)$/;
const AMOUNT = /^(?:\d+[munp]?)?$/;
const SIGNATURE_WORDS = 104; // 65 bytes: r, s and the recovery id
const TIMESTAMP_WORDS = 7;
// Tag numbers (BOLT 11 "Tagged Fields") and the lengths a reader MUST insist on.
const TAG = { p: 1, x: 6, d: 13, s: 16, n: 19, h: 23, features: 5 };
const FIXED_WORDS = { [TAG.p]: 52, [TAG.s]: 52, [TAG.h]: 52, [TAG.n]: 53 };
// The compulsory (even) feature bits BOLT 9 gives invoices a meaning for: var_onion_optin,
// payment_secret, basic_mpp, option_route_blinding, option_attribution_data,
// option_payment_metadata. Any other compulsory bit MUST fail the payment.
export const KNOWN_COMPULSORY_FEATURES = Object.freeze([8, 14, 16, 24, 36, 48]);

const refuse = (code) => { throw new PaymentError(code); };

// The tagged fields between the timestamp and the signature, in order, as
// { tag, words }; a field whose length runs past the signature makes it malformed.
function taggedFields(words) {
  const fields = [];
  let at = 0;
  while (at < words.length) {
    if (at + 3 > words.length) refuse('malformed');
    const length = words[at + 1] * 32 + words[at + 2];
    if (at + 3 + length > words.length) refuse('malformed');
    fields.push({ tag: words[at], words: words.slice(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return fields;
}

// The first field of a tag that has the length BOLT 11 requires for it (others are
// skipped, as the spec says), or undefined.
function firstField(fields, tag) {
  return fields.find((field) => field.tag === tag && (FIXED_WORDS[tag] === undefined || field.words.length === FIXED_WORDS[tag]));
}

// Bytes from 5-bit words, refusing more than 4 bits of padding or padding that is not zero.
function strictBytes(words) {
  const bytes = bech32.fromWordsUnsafe(words);
  return bytes ?? refuse('malformed');
}

// The signed bytes: the words with zero bits appended up to a byte boundary (BOLT 11
// "Data Part"). fromWords drops at most 4 zero bits, so pad with zero words until the
// bits reach the boundary and overshoot it by less than a word.
function paddedBytes(words) {
  const byteCount = Math.ceil((words.length * 5) / 8);
  const padded = [...words];
  while (padded.length * 5 < byteCount * 8) padded.push(0);
  return bech32.fromWords(padded);
}

const bigEndian = (words) => words.reduce((value, word) => value * 32n + BigInt(word), 0n);

// Compulsory feature bits set in the `9` field (bit 0 is the last word's lowest bit).
function unknownCompulsoryFeature(words) {
  for (let bit = 0; bit < words.length * 5; bit += 2) {
    const word = words[words.length - 1 - Math.floor(bit / 5)];
    if ((word >> (bit % 5)) & 1 && !KNOWN_COMPULSORY_FEATURES.includes(bit)) return true;
  }
  return false;
}

function amountMsat(amountText) {
  if (amountText === '') return null;
  if (!AMOUNT.test(amountText)) refuse('malformed');
  let msat;
  try {
    msat = hrpToMillisat(amountText, false); // refuses sub-millisatoshi and more than 21M BTC
  } catch {
    refuse('malformed');
  }
  if (msat === 0n) refuse('malformed');
  return msat.toString();
}

function utf8Text(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('malformed');
  }
}

// The payee's node key: the `n` field's, when the signature verifies for it, or else the
// key the signature recovers to.
function payeeOf(prefix, dataWords, signatureWords, statedPayee) {
  const signature = bech32.fromWords(signatureWords);
  const recovery = signature[64];
  if (recovery > 3) refuse('bad_signature');
  const message = new Uint8Array([...new TextEncoder().encode(prefix), ...paddedBytes(dataWords)]);
  const digest = sha256(message);
  const compact = signature.subarray(0, 64);
  if (statedPayee) {
    // BOLT 11: with an `n` field, verify against it instead of recovering; a high-S
    // signature does not verify (the spec's "non canonical signature" example).
    let valid;
    try {
      valid = secp256k1.verify(compact, digest, statedPayee, { prehash: false, lowS: true });
    } catch {
      valid = false;
    }
    return valid ? hex.encode(statedPayee) : refuse('bad_signature');
  }
  try {
    const recovered = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(recovery).recoverPublicKey(digest);
    return hex.encode(recovered.toBytes(true));
  } catch {
    return refuse('bad_signature');
  }
}

// The order of the checks is part of the contract with the Python twin: an invoice with
// several faults gets the code of the first.
export function decodeInvoice(text) {
  if (typeof text !== 'string' || text.length > MAX_INVOICE_LENGTH) refuse('malformed');
  const body = text.replace(/^lightning:/i, '');
  const decoded = bech32.decodeUnsafe(body, MAX_INVOICE_LENGTH); // also refuses mixed case
  if (!decoded) refuse('malformed');
  const { prefix, words } = decoded;
  if (!prefix.startsWith('ln')) refuse('malformed');
  const hrp = HRP.exec(prefix);
  if (!hrp) refuse('unsupported');
  const [, currency, amountText] = hrp;
  const amount = amountMsat(amountText);

  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) refuse('malformed');
  const dataWords = words.slice(0, -SIGNATURE_WORDS);
  const fields = taggedFields(dataWords.slice(TIMESTAMP_WORDS));
  const paymentHash = hex.encode(strictBytes((firstField(fields, TAG.p) ?? refuse('malformed')).words));
  if (!firstField(fields, TAG.s)) refuse('malformed');
  // One of `d` and `h`: the first one counts, as in the Python twin's bolt11.
  const about = fields.find((field) => field.tag === TAG.d || (field.tag === TAG.h && field.words.length === FIXED_WORDS[TAG.h]));
  if (!about) refuse('malformed');
  const description = about.tag === TAG.d ? utf8Text(strictBytes(about.words)) : null;
  const descriptionHash = about.tag === TAG.h ? hex.encode(strictBytes(about.words)) : null;
  const payeeField = firstField(fields, TAG.n);
  const statedPayee = payeeField ? strictBytes(payeeField.words) : null;

  const payee = payeeOf(prefix, dataWords, words.slice(-SIGNATURE_WORDS), statedPayee);

  const features = fields.find((field) => field.tag === TAG.features);
  if (features && unknownCompulsoryFeature(features.words)) refuse('unsupported');

  const timestamp = Number(bigEndian(dataWords.slice(0, TIMESTAMP_WORDS)));
  const expiryField = fields.find((field) => field.tag === TAG.x);
  const expiry = expiryField ? bigEndian(expiryField.words) : BigInt(DEFAULT_EXPIRY_SECONDS);
  const expiresAt = (BigInt(timestamp) + expiry) * 1000n;
  if (expiresAt > BigInt(MAX_TIMESTAMP_MS)) refuse('malformed');
  return {
    invoice: body.toLowerCase(),
    network: CURRENCIES[currency],
    amountMsat: amount,
    paymentHash,
    timestamp,
    expiry: Number(expiry),
    expiresAt: Number(expiresAt),
    description,
    descriptionHash,
    payee,
  };
}
