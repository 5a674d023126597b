// The decrypted body of a room entry (docs/protocol.md §7): UTF-8 JSON, one of the
// entry types below. Every body has `type`, `ts` (ms since the epoch) and `clock` (the
// Lamport clock of §8); each type lists its other keys, and no other key is allowed.
//
//   isEntryBody({ type: 'message', ts: 1, clock: 1, text: 'hi' })   -> true
//   ENTRY_TYPES                                                      -> ['message', …]
//   isIdText(id)        a 32-byte id (entry or author) as canonical base64url text
//   CALL_EVENTS         the `event`s of a `call` entry
//
// Text lengths count Unicode code points (a surrogate pair is one), not UTF-16 units,
// so the browser and Python (len of a str) agree.
import { isNotifyLevel } from '../push/notify-levels.js';
import { isIdText, MAX_TIMESTAMP_MS } from './entry-fields.js';
import {
  AMOUNT_TEXT, MAX_ADDRESS_LENGTH, MAX_INVOICE_LENGTH, MAX_NOTE_CODE_POINTS, PAYMENT_ASSETS, PAYMENT_NETWORKS, isPaymentRequest,
} from '../payments/payment-request.js';

export const MAX_TEXT_CODE_POINTS = 4000;
export const MAX_NAME_CODE_POINTS = 64;
export const MAX_EMOJI_CODE_POINTS = 8;
export const MAX_EMOJI_BYTES = 32;
export { isIdText, MAX_TIMESTAMP_MS };
export const MAX_BODY_BYTES = 16384;
export const MAX_FILE_NAME_CODE_POINTS = 255;
export const MAX_MIME_LENGTH = 127;
export const FILE_CHUNK_BYTES = 131072; // the only chunk size, in both chunk formats (§11)
export const FILE_FORMAT_V2 = 2; // a file entry's `format`; without one, format 1
export const MAX_FILE_FORMAT = 255; // formats after 2 are a later version's (§11)
export const MAX_DESCRIPTION_CODE_POINTS = 500;
export const MAX_SLOW_MODE_SECONDS = 86_400;
// The disappearing-message timers a room may have, in seconds; 0 is off (§7).
export const DISAPPEAR_SECONDS = Object.freeze([0, 300, 3600, 86_400, 604_800, 2_419_200]);
// `member` takes a role away; being removed is not a role but a `remove` entry.
export const MEMBER_ROLES = Object.freeze(['admin', 'moderator', 'member']);
export const POSTING_RULES = Object.freeze(['everyone', 'moderators']);
// Entries sealed with the room's control key, which a blind mirror holds too (§7, §13).
export const CONTROL_TYPES = Object.freeze(['role', 'remove', 'revoke', 'device']);

// A `format` a file entry may name (§11): 2, or a later version's up to 255.
export function isFileFormat(value) {
  return Number.isInteger(value) && value >= FILE_FORMAT_V2 && value <= MAX_FILE_FORMAT;
}
const MAX_INTEGER = Number.MAX_SAFE_INTEGER; // 2^53 - 1

const encoder = new TextEncoder();

function codePointCount(text) {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

const textOf = (max, min = 1) => (value) => {
  if (typeof value !== 'string') return false;
  const length = codePointCount(value);
  return length >= min && length <= max;
};
const isText = textOf(MAX_TEXT_CODE_POINTS);
const isName = textOf(MAX_NAME_CODE_POINTS);
// 8 code points are at most 32 bytes, so the byte limit only restates the protocol; a
// lone surrogate counts as 3 bytes (TextEncoder writes U+FFFD), as in Python with
// "surrogatepass".
const isEmoji = (value) =>
  textOf(MAX_EMOJI_CODE_POINTS)(value) && encoder.encode(value).length <= MAX_EMOJI_BYTES;
const isBoolean = (value) => typeof value === 'boolean';
// A media type as `type/subtype` (RFC 6838 restricted names, no parameters), or empty.
export const MIME_TEXT = /^(?:[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?$/;
const isMime = (value) => typeof value === 'string' && value.length <= MAX_MIME_LENGTH && MIME_TEXT.test(value);
// At most 2^24 chunks of 131,072 bytes (§11): 2 TiB. A larger offer could not be fetched.
export const MAX_FILE_BYTES = FILE_CHUNK_BYTES * 2 ** 24;
const isFileSize = (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_FILE_BYTES;
// A call id is 16 random bytes: 22 base64url characters, the last one leaving the 4
// spare bits zero (canonical, as ids are).
const CALL_ID_TEXT = /^[A-Za-z0-9_-]{21}[AQgw]$/;
// A 64-byte signature: 86 characters, the last leaving the 4 spare bits zero.
const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{85}[AQgw]$/;
const isSignatureText = (value) => typeof value === 'string' && SIGNATURE_TEXT.test(value);
const isCallId = (value) => typeof value === 'string' && CALL_ID_TEXT.test(value);
export const CALL_EVENTS = Object.freeze(['started', 'joined', 'ended']);
export const MAX_CALL_DURATION_MS = 86_400_000; // a day
const isCallEvent = (value) => CALL_EVENTS.includes(value);
const isCallDuration = (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_CALL_DURATION_MS;

const TXID_TEXT = /^(?:0x)?[0-9a-f]{64}$/;
const isHex32 = (value) => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

const COMMON = {
  // The largest time a JavaScript Date can hold: a larger ts could not be shown.
  ts: (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIMESTAMP_MS,
  clock: (value) => Number.isSafeInteger(value) && value >= 1 && value <= MAX_INTEGER,
};

// type -> { required: {key: check}, optional: {key: check}, refine?: (body) -> bool }
// `refine` is a rule across keys, run once every key has passed its own check.
const SCHEMAS = {
  message: { required: { text: isText }, optional: { reply: isIdText } },
  edit: { required: { target: isIdText, text: isText }, optional: {} },
  delete: { required: { target: isIdText }, optional: {} },
  reaction: { required: { target: isIdText, emoji: isEmoji, on: isBoolean }, optional: {} },
  name: { required: { name: isName }, optional: {} },
  join: { required: { name: isName }, optional: {} },
  // A mailbox public key is 32 bytes, spelled canonically like an id (§10).
  mailbox: { required: { mailbox: isIdText, notify: isNotifyLevel }, optional: {} },
  // A file offer (§11): the Merkle root and the file key are 32 bytes, spelled like ids.
  file: {
    required: {
      name: textOf(MAX_FILE_NAME_CODE_POINTS), size: isFileSize, mime: isMime,
      chunk: (value) => value === FILE_CHUNK_BYTES, root: isIdText, key: isIdText,
    },
    // The chunk format (§11): absent is format 1, then 2; one this version does not know
    // (up to 255) is a later version's: kept and shown, its file not fetched.
    optional: { format: isFileFormat },
  },
  // A call event (§6 Calls) in the history: `duration` is there exactly when it ended.
  call: {
    required: { call: isCallId, event: isCallEvent, video: isBoolean },
    optional: { duration: isCallDuration },
    refine: (body) => Object.hasOwn(body, 'duration') === (body.event === 'ended'),
  },
  // The room's name for everyone from now on; the latest in room order counts.
  room: { required: { name: isName }, optional: {} },
  // The author left the room; a later `join` of theirs brings them back.
  leave: { required: {}, optional: {} },
  // A read receipt: the author has read the room up to this Lamport clock.
  read: { required: { upTo: (value) => Number.isSafeInteger(value) && value >= 1 }, optional: {} },
  // Moderation (§7 "Moderation", control entries): a member's role from now on, named
  // by an admin; a member removed by an admin or moderator, whose entries from `upTo`
  // on (their log's length as the remover held it) count for nobody.
  role: { required: { member: isIdText, role: (value) => MEMBER_ROLES.includes(value) }, optional: {} },
  remove: { required: { member: isIdText, upTo: (value) => Number.isSafeInteger(value) && value >= 0 }, optional: {} },
  // Room settings from now on (§7 "Room settings"), by an admin; each key given changes.
  settings: {
    required: {},
    optional: {
      description: textOf(MAX_DESCRIPTION_CODE_POINTS, 0),
      posting: (value) => POSTING_RULES.includes(value),
      slowMode: (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_SLOW_MODE_SECONDS,
      disappear: (value) => DISAPPEAR_SECONDS.includes(value),
    },
    refine: (body) => ['description', 'posting', 'slowMode', 'disappear'].some((key) => Object.hasOwn(body, key)),
  },
  // The author unlinked a device it certified (§13 "Revoking a device"): its entries from
  // `upTo` on count for nobody. The certificate lets a mirror check it too.
  revoke: {
    required: {
      device: isIdText, upTo: (value) => Number.isSafeInteger(value) && value >= 0,
      created: (value) => Number.isSafeInteger(value) && value >= 0, cert: isSignatureText,
    },
    optional: {},
  },
  // A linked device's first entry (§13): the identity it speaks for, and that identity's
  // certificate of the author's key (checked by room/room-log.js).
  device: {
    required: {
      identity: isIdText, created: (value) => Number.isSafeInteger(value) && value >= 0, cert: isSignatureText, name: isName,
    },
    optional: {},
  },
  // A payment request (§7 "Payments"): `amount` in the asset's smallest unit, as digits;
  // payments/payment-request.js checks the address or invoice against the rest.
  payment: {
    required: {
      asset: (value) => PAYMENT_ASSETS.includes(value), network: (value) => PAYMENT_NETWORKS.includes(value),
      amount: (value) => typeof value === 'string' && AMOUNT_TEXT.test(value),
      expires: (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIMESTAMP_MS,
    },
    optional: {
      // Well-formed, so it can go into a payment link (encodeURIComponent refuses a
      // lone surrogate).
      note: (value) => textOf(MAX_NOTE_CODE_POINTS)(value) && value.isWellFormed(),
      address: (value) => typeof value === 'string' && value.length >= 1 && value.length <= MAX_ADDRESS_LENGTH,
      invoice: (value) => typeof value === 'string' && value.length >= 1 && value.length <= MAX_INVOICE_LENGTH,
    },
    refine: isPaymentRequest,
  },
  // The author paid the request `request`: a transaction id (bitcoin, or USDT's with
  // 0x), or a Lightning payment's preimage, which proves it (room/room-state.js).
  paid: {
    required: { request: isIdText },
    optional: { txid: (value) => typeof value === 'string' && TXID_TEXT.test(value), preimage: isHex32 },
    refine: (body) => Object.hasOwn(body, 'txid') !== Object.hasOwn(body, 'preimage'),
  },
  // The requester received what `request` asked for.
  received: { required: { request: isIdText }, optional: {} },
};

export const ENTRY_TYPES = Object.freeze(Object.keys(SCHEMAS));

export function isEntryBody(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  if (typeof body.type !== 'string' || !Object.hasOwn(SCHEMAS, body.type)) return false;
  const { required, optional, refine } = SCHEMAS[body.type];
  const checks = { ...COMMON, ...required };
  for (const [key, check] of Object.entries(checks)) {
    if (!Object.hasOwn(body, key) || !check(body[key])) return false;
  }
  for (const key of Object.keys(body)) {
    if (key === 'type' || Object.hasOwn(checks, key)) continue;
    if (!Object.hasOwn(optional, key) || !optional[key](body[key])) return false;
  }
  return refine ? refine(body) : true;
}
