// An Ethereum address (for USDT on Ethereum) in its EIP-55 spelling, whose capitals are
// a checksum: a typo in a mixed-case address is caught, while an all-lower or all-upper
// address (no checksum in it) is taken and given its checksummed spelling. The twin of
// parley_peer/payments.py parse_eth_address and is_checksummed_eth_address.
//
//   parseEthAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed') -> '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
//   parseEthAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD') throws PaymentError 'bad_checksum'
//   isChecksummedEthAddress(text)   true only for the exact EIP-55 spelling
import { ethChecksum, isValidEthAddress } from '../../vendor/payments.js';
import { PaymentError } from './payment-error.js';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SINGLE_CASE = /^0x(?:[0-9a-f]{40}|[0-9A-F]{40})$/;

export function parseEthAddress(text) {
  if (typeof text !== 'string' || !HEX_ADDRESS.test(text)) throw new PaymentError('malformed');
  // ox's strict check takes all-lowercase as unchecksummed but all-uppercase as a
  // (wrong) checksum; EIP-55 treats both as carrying none.
  if (SINGLE_CASE.test(text)) return ethChecksum(text.toLowerCase());
  if (!isValidEthAddress(text, { strict: true })) throw new PaymentError('bad_checksum');
  return text;
}

export function isChecksummedEthAddress(text) {
  return typeof text === 'string' && HEX_ADDRESS.test(text) && ethChecksum(text.toLowerCase()) === text;
}
