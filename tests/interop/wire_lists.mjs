// Prints the browser client's wire lists as one JSON object, for test_wire_lists.py.
// File-channel type codes are read from encoded messages, not from a table, so the test
// checks the bytes the client really sends.
import { CALL_ACTIONS, DATA_FRAME_TYPES } from '../../static/app/peers/data-frames.js';
import { encodeFileFrame, FILE_FRAME_TYPES } from '../../static/app/files/file-frames.js';
import { NOTIFY_LEVELS } from '../../static/app/push/notify-levels.js';
import { CALL_EVENTS, ENTRY_TYPES } from '../../static/app/room/entry-body.js';
import { ENTRY_REJECT_CODES } from '../../static/app/room/entry.js';

// The smallest valid fields of each file-channel message besides its root.
const FILE_FRAME_FIELDS = {
  'have?': {},
  have: { first: 0, bits: Uint8Array.of(1) },
  want: { first: 0, count: 1 },
  chunk: { index: 0, proof: [], ciphertext: new Uint8Array(16) },
  lack: { index: 0 },
  cancel: {},
};
const root = new Uint8Array(32);
const fileFrameCodes = Object.fromEntries(FILE_FRAME_TYPES.map(
  (type) => [type, encodeFileFrame({ type, root, ...FILE_FRAME_FIELDS[type] })[0]]));

console.log(JSON.stringify({
  dataFrameTypes: DATA_FRAME_TYPES,
  callActions: CALL_ACTIONS,
  fileFrameCodes,
  entryTypes: ENTRY_TYPES,
  entryRejectCodes: ENTRY_REJECT_CODES,
  callEvents: CALL_EVENTS,
  notifyLevels: NOTIFY_LEVELS,
}));
