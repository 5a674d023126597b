// The call data of an ERC-20 `transfer(address, uint256)`, ABI-encoded by ox, for the
// payer's EIP-1193 wallet to send to the USDT contract (payments/wallets.js).
//
//   usdtTransferData('0x5aAe…', '25000000') -> '0xa9059cbb…'
import { abiFunction, encodeFunctionData } from '../../vendor/payments.js';

const TRANSFER = abiFunction('function transfer(address to, uint256 value)');

export const usdtTransferData = (address, amount) => encodeFunctionData(TRANSFER, [address, BigInt(amount)]);
