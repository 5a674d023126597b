// The payment-request checks of static/app/payments/ against the published vectors in
// tests/vectors/payments.json (BIP 173, BIP 350, Bitcoin Core's key_io, BOLT 11, EIP-55),
// which tests/peer/test_payments.py runs against the Python twin with the same results.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBitcoinAddress, BITCOIN_NETWORKS } from '../../static/app/payments/bitcoin-address.js';
import { decodeInvoice } from '../../static/app/payments/bolt11.js';
import { isChecksummedEthAddress, parseEthAddress } from '../../static/app/payments/eth-address.js';
import { PaymentError } from '../../static/app/payments/payment-error.js';
import { bech32, secp256k1 } from '../../static/vendor/payments.js';

import { refusal, VECTORS as vectors } from './payment-fixture.js';
const NODE_KEY = '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad';

// Valid address vectors: accepted with the published script on their network, refused as
// another network's everywhere else; or refused with the recorded code on their own.
function checkValidAddresses(entries) {
  for (const entry of entries) {
    if (entry.code) {
      assert.equal(refusal(() => parseBitcoinAddress(entry.address, entry.network)), entry.code, entry.address);
      continue;
    }
    assert.deepEqual(parseBitcoinAddress(entry.address, entry.network),
      { address: entry.canonical, kind: entry.kind, script: entry.script }, entry.address);
    const sameFormat = entry.network === 'testnet' || entry.network === 'signet' ? ['testnet', 'signet'] : [entry.network];
    // Regtest takes testnet's base58 versions, so a testnet base58 address is one there too.
    if (entry.kind === 'p2pkh' || entry.kind === 'p2sh') {
      if (entry.network !== 'main') sameFormat.push('testnet', 'signet', 'regtest');
    }
    for (const other of BITCOIN_NETWORKS.filter((network) => !sameFormat.includes(network))) {
      assert.equal(refusal(() => parseBitcoinAddress(entry.address, other)), 'wrong_network', `${entry.address} on ${other}`);
    }
  }
}

for (const group of ['bip173', 'bip350', 'key_io']) {
  test(`${group}: valid addresses give their scripts, or the recorded code`, () => checkValidAddresses(vectors[group].valid));
}

for (const group of ['bip173', 'bip350']) {
  test(`${group}: invalid addresses are refused on every network`, () => {
    for (const { address, code } of vectors[group].invalid) {
      for (const network of BITCOIN_NETWORKS) assert.equal(refusal(() => parseBitcoinAddress(address, network)), code, address);
    }
  });
}

test('addresses longer than 100 characters are malformed without decoding', () => {
  const long = `bc1q${'q'.repeat(97)}`;
  assert.equal(refusal(() => parseBitcoinAddress(long, 'main')), 'malformed');
  assert.throws(() => parseBitcoinAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'mainnet'), TypeError);
});

test('a mainnet address asked for on testnet is wrong_network, and the other way round', () => {
  assert.equal(refusal(() => parseBitcoinAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'testnet')), 'wrong_network');
  assert.equal(refusal(() => parseBitcoinAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'main')), 'wrong_network');
  assert.equal(refusal(() => parseBitcoinAddress('mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ', 'main')), 'wrong_network');
  assert.equal(refusal(() => parseBitcoinAddress('bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9', 'signet')), 'wrong_network');
});

test('BOLT 11 valid examples decode to the fields the spec gives', () => {
  for (const { title, invoice, expected, agreed_payee: agreedPayee } of vectors.bolt11.valid) {
    const decoded = decodeInvoice(invoice);
    assert.deepEqual({ ...decoded, payee: undefined }, { ...expected, invoice: invoice.toLowerCase(), payee: undefined }, title);
    assert.equal(decoded.payee, expected.payee ?? agreedPayee, title);
  }
});

test('BOLT 11 invalid examples are refused with the recorded codes', () => {
  for (const { title, invoice, code } of vectors.bolt11.invalid) assert.equal(refusal(() => decodeInvoice(invoice)), code, title);
});

test('an invoice may come as a lightning: URI, but not longer than 4000 characters', () => {
  const [{ invoice }] = vectors.bolt11.valid;
  assert.equal(decodeInvoice(`LIGHTNING:${invoice}`).invoice, invoice);
  assert.equal(refusal(() => decodeInvoice(`${invoice}${'q'.repeat(4001 - invoice.length)}`)), 'malformed');
  assert.equal(refusal(() => decodeInvoice('lnsb1qqqqqqq')), 'malformed'); // no checksum
});

// Invoices re-signed here are built from the spec's: its high-S invoice with an `n` field
// becomes valid once its s is made low (the same signature, written canonically).
const highS = vectors.bolt11.invalid.find((entry) => entry.title.startsWith('Non canonical signature')).invoice;
function withSignature(invoice, edit) {
  const { prefix, words } = bech32.decode(invoice, 4000);
  const signature = bech32.fromWords(words.slice(-104));
  const edited = edit(signature.slice());
  return bech32.encode(prefix, [...words.slice(0, -104), ...bech32.toWords(edited)], 4000);
}
const lowS = (signature) => {
  const sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact');
  const low = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s);
  signature.set(low.toBytes('compact'));
  return signature;
};

test('an invoice whose `n` field signed it is accepted with that payee', () => {
  const decoded = decodeInvoice(withSignature(highS, lowS));
  assert.equal(decoded.payee, NODE_KEY);
  assert.equal(decoded.amountMsat, '2500000000');
});

test('a tampered signature is bad_signature, and a tampered invoice does not prove its payee', () => {
  const tampered = withSignature(highS, (signature) => {
    lowS(signature);
    signature[40] ^= 1;
    return signature;
  });
  assert.equal(refusal(() => decodeInvoice(tampered)), 'bad_signature');
  const badRecovery = withSignature(vectors.bolt11.valid[0].invoice, (signature) => {
    signature[64] = 4;
    return signature;
  });
  assert.equal(refusal(() => decodeInvoice(badRecovery)), 'bad_signature');
  // Without `n`, a changed amount recovers some other key: never the signer's.
  const [{ invoice }] = vectors.bolt11.valid.filter((entry) => entry.expected.amountMsat === '250000000');
  const { prefix, words } = bech32.decode(invoice, 4000);
  const otherAmount = bech32.encode(prefix.replace('2500u', '2501u'), words, 4000);
  assert.notEqual(decodeInvoice(otherAmount).payee, NODE_KEY);
});

test('EIP-55: every published spelling is its own checksum', () => {
  for (const address of vectors.eip55.checksummed) {
    assert.equal(parseEthAddress(address), address);
    assert.equal(isChecksummedEthAddress(address), true, address);
    assert.equal(parseEthAddress(address.toLowerCase()), address);
    assert.equal(parseEthAddress(`0x${address.slice(2).toUpperCase()}`), address);
  }
});

test('EIP-55: a wrong capital is bad_checksum, anything but 0x and 40 hex digits malformed', () => {
  const address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  const typo = `${address.slice(0, -1)}D`;
  assert.equal(refusal(() => parseEthAddress(typo)), 'bad_checksum');
  assert.equal(isChecksummedEthAddress(typo), false);
  assert.equal(isChecksummedEthAddress(address.toLowerCase()), false);
  for (const text of [address.slice(0, -1), `0X${address.slice(2)}`, `${address}0`, address.replace('a', 'g'), '', 42]) {
    assert.equal(refusal(() => parseEthAddress(text)), 'malformed', String(text));
  }
});

test('payment errors carry a code and a sentence for the user', () => {
  const error = new PaymentError('bad_signature');
  assert.equal(error.code, 'bad_signature');
  assert.match(error.message, /signature/);
});
