// The user's own wallet, when the browser has one: WebLN (window.webln) for Lightning,
// EIP-1193 (window.ethereum) for USDT. Parley hands the payment over and takes back the
// proof or the transaction id; it never holds keys or funds. Without a wallet here the
// card's link and QR code reach one elsewhere.
//
//   lightningWallet() / ethereumWallet()   -> the provider, or null
//   await payInvoice(invoice)              -> the payment's preimage (64 hex)
//   await createInvoice({ sats, memo })    -> a BOLT 11 invoice from the user's wallet
//   await payUsdt({ address, amount })     -> the transaction's hash (0x + 64 hex)
import { PaymentError } from './payment-error.js';
import { ETHEREUM_CHAIN_ID, USDT_CONTRACT } from './payment-uri.js';
import { usdtTransferData } from './usdt-transfer.js';

const HEX32 = /^[0-9a-f]{64}$/;

export const lightningWallet = () => (typeof globalThis.webln?.sendPayment === 'function' ? globalThis.webln : null);
export const ethereumWallet = () => (typeof globalThis.ethereum?.request === 'function' ? globalThis.ethereum : null);

const walletError = (error) => new PaymentError('wallet', `The wallet did not pay: ${error?.message ?? 'it gave no reason'}.`);

export async function payInvoice(invoice) {
  const wallet = lightningWallet();
  if (!wallet) throw new PaymentError('wallet', 'No Lightning wallet in this browser.');
  let answer;
  try {
    await wallet.enable?.();
    answer = await wallet.sendPayment(invoice);
  } catch (error) {
    throw walletError(error);
  }
  const preimage = typeof answer?.preimage === 'string' ? answer.preimage.toLowerCase() : '';
  if (!HEX32.test(preimage)) throw new PaymentError('wallet', 'The wallet answered without a payment proof.');
  return preimage;
}

export async function createInvoice({ sats, memo }) {
  const wallet = lightningWallet();
  if (typeof wallet?.makeInvoice !== 'function') throw new PaymentError('wallet', 'No Lightning wallet in this browser.');
  try {
    await wallet.enable?.();
    const answer = await wallet.makeInvoice({ amount: sats, defaultMemo: memo });
    return String(answer?.paymentRequest ?? '');
  } catch (error) {
    throw new PaymentError('wallet', `The wallet made no invoice: ${error?.message ?? 'it gave no reason'}.`);
  }
}

// USDT's `transfer` returns no boolean (it predates the ERC-20 text that asks for one),
// so nothing here reads a return value: a mined transaction is the whole answer, and the
// payer posts its hash as a claim the requester confirms.
export async function payUsdt({ address, amount }) {
  const wallet = ethereumWallet();
  if (!wallet) throw new PaymentError('wallet', 'No Ethereum wallet in this browser.');
  try {
    const [from] = await wallet.request({ method: 'eth_requestAccounts' });
    const chainId = `0x${ETHEREUM_CHAIN_ID.toString(16)}`;
    if ((await wallet.request({ method: 'eth_chainId' })) !== chainId) {
      await wallet.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] });
      // A wallet may answer the switch without making it: USDT's address on another
      // chain is some other contract, or none.
      if ((await wallet.request({ method: 'eth_chainId' })) !== chainId) {
        throw new PaymentError('wallet', 'The wallet is not on Ethereum’s main network, so nothing was sent.');
      }
    }
    const hash = await wallet.request({
      method: 'eth_sendTransaction',
      params: [{ from, to: USDT_CONTRACT, value: '0x0', data: usdtTransferData(address, amount) }],
    });
    const txid = typeof hash === 'string' ? hash.toLowerCase() : '';
    if (!/^0x[0-9a-f]{64}$/.test(txid)) throw new Error('it returned no transaction hash');
    return txid;
  } catch (error) {
    throw error instanceof PaymentError ? error : walletError(error);
  }
}
