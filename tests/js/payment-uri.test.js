// bitcoin:, lightning: and ethereum: URIs (static/app/payments/payment-uri.js), with the
// examples BIP 321 and EIP-681 publish (tests/vectors/payments.json).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEthAddress } from '../../static/app/payments/eth-address.js';
import {
  ETHEREUM_CHAIN_ID, USDT_CONTRACT, bitcoinUri, ethereumNumber, lightningUri, parseBitcoinUri, parseEthereumUri, usdtUri,
} from '../../static/app/payments/payment-uri.js';

import { refusal, VECTORS as vectors } from './payment-fixture.js';

test('BIP 321: the valid examples parse to their parts', () => {
  for (const { uri, expected } of vectors.bip321.valid) assert.deepEqual(parseBitcoinUri(uri), expected, uri);
});

test('BIP 321: the invalid examples are refused', () => {
  for (const { uri, code } of vectors.bip321.invalid) assert.equal(refusal(() => parseBitcoinUri(uri)), code, uri);
});

test('BIP 321: with a network the address is checked, and the examples\' address is not a real one', () => {
  const [{ uri }] = vectors.bip321.valid;
  assert.equal(refusal(() => parseBitcoinUri(uri, { network: 'main' })), vectors.bip321.example_address_code);
  const upper = 'BITCOIN:BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4?AMOUNT=0.001';
  assert.deepEqual(parseBitcoinUri(upper, { network: 'main' }),
    { address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', amountSats: '100000', label: null, message: null, lightning: null, params: [] });
  assert.equal(refusal(() => parseBitcoinUri(upper, { network: 'testnet' })), 'wrong_network');
});

test('BIP 321: amounts are decimal BTC with at most 8 decimals, and an empty link pays nothing', () => {
  const address = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
  for (const amount of ['50,000.00', '1e3', '-1', '0.000000001', '0', '']) {
    assert.equal(refusal(() => parseBitcoinUri(`bitcoin:${address}?amount=${amount}`)), 'malformed', amount);
  }
  assert.equal(parseBitcoinUri(`bitcoin:${address}?amount=50.00`).amountSats, '5000000000');
  for (const uri of ['bitcoin:', 'bitcoin:?label=x', 'bitcoin:bc1q%20x', 'bitcoin:x?label=%E0%A4%A', 'bitcoinx:abc']) {
    assert.equal(refusal(() => parseBitcoinUri(uri)), 'malformed', uri);
  }
});

test('bitcoinUri writes what parseBitcoinUri reads', () => {
  const address = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
  const uri = bitcoinUri({ address, amountSats: '100000', label: 'Ana & Bo', message: 'Rent: 50%', lightning: 'lnbc1bogus' });
  assert.equal(uri, `bitcoin:${address}?amount=0.001&label=Ana%20%26%20Bo&message=Rent%3A%2050%25&lightning=lnbc1bogus`);
  assert.deepEqual(parseBitcoinUri(uri),
    { address, amountSats: '100000', label: 'Ana & Bo', message: 'Rent: 50%', lightning: 'lnbc1bogus', params: [] });
  assert.equal(bitcoinUri({ lightning: 'lnbc1bogus' }), 'bitcoin:?lightning=lnbc1bogus');
  assert.equal(bitcoinUri({ address, amountSats: 2_100_000_000_000_000n }), `bitcoin:${address}?amount=21000000`);
  assert.equal(refusal(() => bitcoinUri({})), 'malformed');
  assert.equal(lightningUri('lnbc1bogus'), 'lightning:lnbc1bogus');
});

test('EIP-681: the examples parse, numbers in scientific notation exactly', () => {
  for (const { uri, expected, target_code: targetCode } of vectors.eip681.valid) {
    assert.deepEqual(parseEthereumUri(uri), expected, uri);
    if (targetCode) assert.equal(refusal(() => parseEthAddress(expected.target)), targetCode);
    else assert.equal(parseEthAddress(expected.target).toLowerCase(), expected.target.toLowerCase());
  }
});

test('EIP-681: numbers must be whole, non-negative and fit 256 bits', () => {
  assert.equal(ethereumNumber('2.014e18'), '2014000000000000000');
  assert.equal(ethereumNumber('1E3'), '1000');
  assert.equal(ethereumNumber('+7'), '7');
  assert.equal(ethereumNumber('.5e1'), '5');
  assert.equal(ethereumNumber('1e'), '1');
  for (const text of ['2.0145e3', '-1', '1e78', '', 'e5', '0x10', '1.']) assert.equal(refusal(() => ethereumNumber(text)), 'malformed', text);
});

test('EIP-681: an ENS target is unsupported, anything else malformed', () => {
  assert.equal(refusal(() => parseEthereumUri('ethereum:alice.eth?value=1e18')), 'unsupported');
  for (const uri of ['ethereum:0x123', 'bitcoin:0x89205a3a3b2a69de6dbf7f01ed13b2108b2c43e7', 'ethereum:0x89205a3a3b2a69de6dbf7f01ed13b2108b2c43e7?value',
    'ethereum:0x89205a3a3b2a69de6dbf7f01ed13b2108b2c43e7/transfer?address=0x12&uint256=1']) {
    assert.equal(refusal(() => parseEthereumUri(uri)), 'malformed', uri);
  }
});

test('usdtUri asks for an ERC-20 transfer on Ethereum mainnet, which parseEthereumUri reads back', () => {
  const address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  const uri = usdtUri({ address, amount: '2500000' });
  assert.equal(uri, `ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=${address}&uint256=2500000`);
  assert.deepEqual(parseEthereumUri(uri), {
    target: USDT_CONTRACT, pay: false, chainId: String(ETHEREUM_CHAIN_ID), functionName: 'transfer', params: [['address', address], ['uint256', '2500000']],
  });
  assert.equal(parseEthAddress(USDT_CONTRACT), USDT_CONTRACT);
  assert.equal(refusal(() => usdtUri({ address: address.toLowerCase(), amount: '1' })), 'malformed');
  for (const amount of ['0', '1.5', '-1', '']) assert.equal(refusal(() => usdtUri({ address, amount })), 'malformed', amount);
});
