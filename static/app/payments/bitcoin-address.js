// A Bitcoin address a member asks to be paid at, checked for the network the request
// names (BIP 173 bech32 for segwit v0, BIP 350 bech32m for v1+, base58check for P2PKH and
// P2SH). The twin of parley_peer/payments.py parse_bitcoin_address: both give the same
// answer and the same refusal code for every address.
//
//   parseBitcoinAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'main')
//     -> { address: 'bc1qw508…f3t4', kind: 'p2wpkh', script: '0014751e…3bd6' }
//   parseBitcoinAddress(<a tb1… address>, 'main')   throws PaymentError 'wrong_network'
//   parseBitcoinAddress(<a valid v2 segwit address>) throws PaymentError 'unsupported'
//   anything else                                    throws PaymentError 'malformed'
import { Address, OutScript, Script, NETWORK, TEST_NETWORK, bech32m, hex } from '../../vendor/payments.js';
import { PaymentError } from './payment-error.js';

export const BITCOIN_NETWORKS = Object.freeze(['main', 'testnet', 'signet', 'regtest']);
export const MAX_ADDRESS_LENGTH = 100;

// Testnet and signet share their prefixes, so an address cannot tell them apart; regtest
// has its own bech32 prefix but testnet's base58 versions.
const FORMATS = {
  main: NETWORK,
  testnet: TEST_NETWORK,
  signet: TEST_NETWORK,
  regtest: { ...TEST_NETWORK, bech32: 'bcrt' },
};
const KINDS = { pkh: 'p2pkh', sh: 'p2sh', wpkh: 'p2wpkh', wsh: 'p2wsh', tr: 'p2tr' };

function decodeFor(text, network) {
  try {
    return Address(FORMATS[network]).decode(text);
  } catch {
    return null;
  }
}

// The bech32 prefix of a valid segwit address of a version this release cannot pay
// (v1 programs other than 32 bytes, v2 to v16; BIP 350), or null. btc-signer refuses
// those with the same error as a typo, so they are told apart here.
function futureSegwitPrefix(text) {
  const decoded = bech32m.decodeUnsafe(text);
  if (!decoded || decoded.words.length === 0) return null;
  const [version, ...program] = decoded.words;
  if (version < 1 || version > 16) return null;
  const bytes = bech32m.fromWordsUnsafe(program);
  if (!bytes || bytes.length < 2 || bytes.length > 40) return null;
  return decoded.prefix;
}

function networksOfPrefix(prefix) {
  return BITCOIN_NETWORKS.filter((network) => FORMATS[network].bech32 === prefix);
}

export function parseBitcoinAddress(text, network) {
  if (!BITCOIN_NETWORKS.includes(network)) throw new TypeError(`unknown Bitcoin network: ${network}`);
  if (typeof text !== 'string' || text.length > MAX_ADDRESS_LENGTH) throw new PaymentError('malformed');
  const decoded = decodeFor(text, network);
  if (decoded) {
    // BIP 433's pay-to-anchor is a v1 program of 2 bytes: nobody's address to be paid at.
    if (!Object.hasOwn(KINDS, decoded.type)) throw new PaymentError('unsupported');
    const bech = decoded.type !== 'pkh' && decoded.type !== 'sh';
    // A taproot program is any 32 bytes (BIP 350); OutScript would also insist that they
    // are a curve point, which Bitcoin Core's own vectors are not.
    const script = decoded.type === 'tr' ? Script.encode(['OP_1', decoded.pubkey]) : OutScript.encode(decoded);
    return { address: bech ? text.toLowerCase() : text, kind: KINDS[decoded.type], script: hex.encode(script) };
  }
  if (BITCOIN_NETWORKS.some((other) => decodeFor(text, other))) throw new PaymentError('wrong_network');
  const prefix = futureSegwitPrefix(text);
  if (prefix !== null) {
    const networks = networksOfPrefix(prefix);
    if (networks.includes(network)) throw new PaymentError('unsupported');
    if (networks.length > 0) throw new PaymentError('wrong_network');
  }
  throw new PaymentError('malformed');
}
