// Handing payments to the browser's wallet (payments/wallets.js): WebLN for Lightning,
// EIP-1193 for USDT. The providers here stand in for wallet extensions, as the e2e test's
// does; what is checked is what Parley asks of them and what it makes of the answers.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { PaymentError } from '../../static/app/payments/payment-error.js';
import { USDT_CONTRACT } from '../../static/app/payments/payment-uri.js';
import { payInvoice, payUsdt } from '../../static/app/payments/wallets.js';

const RECIPIENT = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const TX = `0x${'ab'.repeat(32)}`;

afterEach(() => {
  delete globalThis.webln;
  delete globalThis.ethereum;
});

// chainIds: what eth_chainId answers, one after the other (the last one from then on).
function ethereumWallet({ chainIds = ['0x1'], answer = TX } = {}) {
  const calls = [];
  const chains = [...chainIds];
  globalThis.ethereum = {
    request: async ({ method, params }) => {
      calls.push({ method, params });
      if (method === 'eth_requestAccounts') return ['0x1111111111111111111111111111111111111111'];
      if (method === 'eth_chainId') return chains.length > 1 ? chains.shift() : chains[0];
      if (method === 'wallet_switchEthereumChain') return null;
      if (method === 'eth_sendTransaction') return answer;
      throw new Error(`unexpected ${method}`);
    },
  };
  return calls;
}

test('a USDT payment is an ERC-20 transfer call to the USDT contract, its hash the receipt', async () => {
  const calls = ethereumWallet();
  assert.equal(await payUsdt({ address: RECIPIENT, amount: '25000000' }), TX);
  const send = calls.find((call) => call.method === 'eth_sendTransaction').params[0];
  assert.equal(send.to, USDT_CONTRACT);
  assert.equal(send.value, '0x0');
  // transfer(address,uint256): selector, the recipient, 25 USDT in 6 decimals.
  assert.equal(send.data, `0xa9059cbb${'0'.repeat(24)}${RECIPIENT.slice(2).toLowerCase()}${(25_000_000).toString(16).padStart(64, '0')}`);
  assert.equal(calls.some((call) => call.method === 'wallet_switchEthereumChain'), false);
});

test('a wallet on another chain is asked to switch to Ethereum first, and must have switched', async () => {
  let calls = ethereumWallet({ chainIds: ['0x89', '0x1'] });
  await payUsdt({ address: RECIPIENT, amount: '1' });
  const methods = calls.map((call) => call.method);
  assert.deepEqual(calls.find((call) => call.method === 'wallet_switchEthereumChain').params, [{ chainId: '0x1' }]);
  assert.ok(methods.indexOf('wallet_switchEthereumChain') < methods.indexOf('eth_sendTransaction'));
  calls = ethereumWallet({ chainIds: ['0x89'] }); // says yes to the switch, stays where it was
  await assert.rejects(payUsdt({ address: RECIPIENT, amount: '1' }), /not on Ethereum’s main network/);
  assert.equal(calls.some((call) => call.method === 'eth_sendTransaction'), false);
});

test('a wallet that answers without a transaction hash, or refuses, posts nothing', async () => {
  ethereumWallet({ answer: true }); // a boolean, as a contract call's result might be
  await assert.rejects(payUsdt({ address: RECIPIENT, amount: '1' }), (error) => error instanceof PaymentError && /no transaction hash/.test(error.message));
  globalThis.ethereum = { request: async () => { throw new Error('User rejected the request.'); } };
  await assert.rejects(payUsdt({ address: RECIPIENT, amount: '1' }), /User rejected the request/);
  delete globalThis.ethereum;
  await assert.rejects(payUsdt({ address: RECIPIENT, amount: '1' }), /No Ethereum wallet/);
});

test('WebLN: enable, then sendPayment of the invoice; the preimage comes back in lower case', async () => {
  const calls = [];
  globalThis.webln = {
    enable: async () => calls.push('enable'),
    sendPayment: async (invoice) => {
      calls.push(invoice);
      return { preimage: 'AB'.repeat(32) };
    },
  };
  assert.equal(await payInvoice('lnbc1example'), 'ab'.repeat(32));
  assert.deepEqual(calls, ['enable', 'lnbc1example']);
  globalThis.webln.sendPayment = async () => ({ preimage: 'not hex' });
  await assert.rejects(payInvoice('lnbc1example'), /without a payment proof/);
  globalThis.webln.sendPayment = async () => { throw new Error('Insufficient balance'); };
  await assert.rejects(payInvoice('lnbc1example'), /Insufficient balance/);
  delete globalThis.webln;
  await assert.rejects(payInvoice('lnbc1example'), /No Lightning wallet/);
});
