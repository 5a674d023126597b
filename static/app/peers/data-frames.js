// Schema of the frames on a peer link's `parley` data channel (docs/protocol.md §6, §8).
// Pure: parseDataFrame(text) returns a frame or throws DataFrameError(code);
// encodeDataFrame(frame) returns the JSON text, refusing what a peer would reject.
import { FILE_FORMAT_V2, isIdText, MAX_FILE_BYTES, MAX_TIMESTAMP_MS } from '../room/entry-body.js';

export const MAX_DATA_FRAME_BYTES = 65_536;
export const MAX_ACK_IDS = 64;
export const MAX_NAME_LENGTH = 64;
export const MAX_HEADS = 256;
export const MAX_WANT_SPAN = 512;
export const MAX_ENTRIES_PER_FRAME = 64;
export const MAX_SDP_LENGTH = 60_000;
export const MAX_CANDIDATE_LENGTH = 1024;
export const MAX_MEMBERS_PER_FRAME = 16;
// A sealed wake (§10): 1,072 bytes are 1,430 characters with 4 spare bits, zero.
const WAKE_BLOB_TEXT = /^[A-Za-z0-9_-]{1429}[AQgw]$/;
export const CALL_ACTIONS = Object.freeze(['invite', 'accept', 'present', 'decline', 'busy', 'hangup']);
const B64URL = /^[A-Za-z0-9_-]+$/;
// A call id: 16 random bytes, base64url (22 characters).
const CALL_ID = /^[A-Za-z0-9_-]{22}$/;
// A rendezvous connection id (16 bytes) and connection key (32 bytes), canonical.
const CONNECTION_ID = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const CONNECTION_KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const isConnection = (peer) =>
  typeof peer === 'object' && peer !== null && !Array.isArray(peer) && Object.keys(peer).length === 2 &&
  typeof peer.id === 'string' && CONNECTION_ID.test(peer.id) &&
  typeof peer.key === 'string' && CONNECTION_KEY.test(peer.key);
// A media stream id as it appears in the SDP's msid (RFC 8830: 1..64 token characters).
const STREAM_ID = /^[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,64}$/;
const isShortTextOrNull = (max) => (value) => value === null || (typeof value === 'string' && value.length <= max);
// 64 bytes are 86 characters with 4 spare bits, which must be zero (canonical, §1).
const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{85}[AQgw]$/;

export class DataFrameError extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.code = code;
  }
}

const isUint = (value) => Number.isSafeInteger(value) && value >= 0;
const codePoints = (text) => [...text].length;
const listOf = (value, min, max, item) =>
  Array.isArray(value) && value.length >= min && value.length <= max && value.every(item);
const isHead = (head) =>
  typeof head === 'object' && head !== null && !Array.isArray(head) &&
  Object.keys(head).length === 3 && isIdText(head.author) && isIdText(head.head) &&
  isUint(head.length) && head.length >= 1;
// Any base64url text that can decode (length 4k+1 cannot); the entry checks do the rest.
const isEntryText = (text) => typeof text === 'string' && B64URL.test(text) && text.length % 4 !== 1;

// t -> { field: check(value, frame) }; every field is required, no other is allowed.
const SCHEMAS = {
  hello: {
    v: (v) => v === 1,
    // Display names count code points, like every text length of §7.
    name: (name) => typeof name === 'string' && codePoints(name) <= MAX_NAME_LENGTH,
    proof: (proof) => typeof proof === 'string' && SIGNATURE_TEXT.test(proof),
  },
  ack: { ids: (ids) => listOf(ids, 1, MAX_ACK_IDS, isIdText) },
  // Empty heads are allowed: a peer that holds nothing may still say so.
  heads: { heads: (heads) => listOf(heads, 0, MAX_HEADS, isHead) },
  want: {
    author: isIdText,
    from: isUint,
    to: (to, { from }) => isUint(to) && isUint(from) && from < to && to - from <= MAX_WANT_SPAN,
  },
  entries: { entries: (entries) => listOf(entries, 1, MAX_ENTRIES_PER_FRAME, isEntryText) },
  typing: { active: (active) => typeof active === 'boolean' },
  // Calls (docs/protocol.md §6): control, and the renegotiation of the link's own
  // RTCPeerConnection, which after the link is ready never goes through the server.
  call: {
    id: (id) => typeof id === 'string' && CALL_ID.test(id),
    action: (action) => CALL_ACTIONS.includes(action),
    video: (video) => typeof video === 'boolean',
  },
  // What the sender is sending in the call: microphone on, camera on, and the stream id
  // its shared screen comes in (or null), so the receiver can tell camera from screen.
  'call-media': {
    id: (id) => typeof id === 'string' && CALL_ID.test(id),
    mic: (mic) => typeof mic === 'boolean',
    camera: (camera) => typeof camera === 'boolean',
    screen: (screen) => screen === null || (typeof screen === 'string' && STREAM_ID.test(screen)),
  },
  sdp: {
    type: (type) => type === 'offer' || type === 'answer',
    sdp: (sdp) => typeof sdp === 'string' && sdp.length > 0 && sdp.length <= MAX_SDP_LENGTH,
  },
  ice: {
    candidate: (candidate) => typeof candidate === 'string' && candidate.length <= MAX_CANDIDATE_LENGTH,
    mid: isShortTextOrNull(32),
    index: (index) => index === null || (isUint(index) && index < 64),
  },
  // The last frame on a link its sender drops: `duplicate`, it keeps a newer device of
  // the receiver's identity (docs/protocol.md §6, duplicates); `pruned`, it has more
  // links than the room's overlay wants (§6, big rooms). Neither is dialled again.
  bye: { reason: (reason) => reason === 'duplicate' || reason === 'pruned' },
  // Members of the room the sender is linked to, as the rendezvous server names them:
  // in a big room, whom else to link to (§6, big rooms).
  members: { peers: (peers) => listOf(peers, 1, MAX_MEMBERS_PER_FRAME, isConnection) },
  // A member hands a blind mirror the sealed wake of a member who is away, to push once
  // it holds the entry (docs/protocol.md §12).
  wake: {
    entry: (entry) => isIdText(entry),
    mailbox: (mailbox) => isIdText(mailbox),
    blob: (blob) => typeof blob === 'string' && WAKE_BLOB_TEXT.test(blob),
  },
  // A member asks a blind mirror to keep a file's chunks (docs/protocol.md §12).
  keep: {
    root: (root) => isIdText(root),
    size: (size) => isUint(size) && size <= MAX_FILE_BYTES,
  },
};

// Fields a frame may carry besides its required ones: a blind mirror's hello says
// `role: 'mirror'` (docs/protocol.md §12), so that members do not take it for a person.
export const MIRROR_ROLE = 'mirror';
// A `keep` names the file's chunk format when it is not format 1 (§11), so that the
// mirror checks its chunks with the right hash, and when the file disappears (§7).
const OPTIONAL = {
  hello: { role: (role) => role === MIRROR_ROLE },
  keep: {
    format: (format) => format === FILE_FORMAT_V2,
    expires: (expires) => isUint(expires) && expires >= 1 && expires <= MAX_TIMESTAMP_MS,
  },
};

export const DATA_FRAME_TYPES = Object.freeze(Object.keys(SCHEMAS));

export function parseDataFrame(text) {
  if (typeof text !== 'string') throw new DataFrameError('malformed', 'binary frame on the control channel');
  if (text.length * 3 > MAX_DATA_FRAME_BYTES && new TextEncoder().encode(text).length > MAX_DATA_FRAME_BYTES) {
    throw new DataFrameError('too_large');
  }
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new DataFrameError('malformed', 'not JSON');
  }
  if (!frame || typeof frame !== 'object' || Array.isArray(frame)) throw new DataFrameError('malformed');
  if (typeof frame.t !== 'string' || !Object.hasOwn(SCHEMAS, frame.t)) throw new DataFrameError('unknown_type');
  const schema = SCHEMAS[frame.t];
  const optional = OPTIONAL[frame.t] ?? {};
  for (const key of Object.keys(frame)) {
    if (key === 't' || Object.hasOwn(schema, key)) continue;
    if (!Object.hasOwn(optional, key)) throw new DataFrameError('malformed', `unexpected field ${key}`);
    if (!optional[key](frame[key], frame)) throw new DataFrameError('malformed', `bad field ${key}`);
  }
  for (const [key, valid] of Object.entries(schema)) {
    if (!Object.hasOwn(frame, key) || !valid(frame[key], frame)) {
      throw new DataFrameError('malformed', `bad field ${key}`);
    }
  }
  return frame;
}

export function encodeDataFrame(frame) {
  const text = JSON.stringify(frame);
  parseDataFrame(text); // never send what a peer would have to reject
  return text;
}
