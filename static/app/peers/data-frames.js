// Schema of the frames on a peer link's `parley` data channel (docs/protocol.md §6).
// Pure: parseDataFrame(text) returns a frame or throws DataFrameError(code).

export const MAX_DATA_FRAME_BYTES = 65_536;
export const MAX_ACK_IDS = 64;
export const MAX_NAME_LENGTH = 64;
const B64URL = /^[A-Za-z0-9_-]+$/;
const ID_LENGTH = 43; // 32 bytes in base64url without padding

export class DataFrameError extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.code = code;
  }
}

const SCHEMAS = {
  hello: { v: (v) => v === 1, name: (n) => typeof n === 'string' && n.length <= MAX_NAME_LENGTH },
  entry: { entry: (e) => typeof e === 'string' && e.length > 0 && B64URL.test(e) },
  ack: {
    ids: (ids) =>
      Array.isArray(ids) && ids.length > 0 && ids.length <= MAX_ACK_IDS &&
      ids.every((id) => typeof id === 'string' && id.length === ID_LENGTH && B64URL.test(id)),
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
  const schema = SCHEMAS[frame.t];
  if (!schema) throw new DataFrameError('unknown_type');
  for (const key of Object.keys(frame)) {
    if (key !== 't' && !(key in schema)) throw new DataFrameError('malformed', `unexpected field ${key}`);
  }
  for (const [key, valid] of Object.entries(schema)) {
    if (!valid(frame[key])) throw new DataFrameError('malformed', `bad field ${key}`);
  }
  return frame;
}

export function encodeDataFrame(frame) {
  const text = JSON.stringify(frame);
  parseDataFrame(text); // never send what a peer would have to reject
  return text;
}
