// The JSON payload of a signaling envelope (docs/protocol.md §4): exactly one key,
// `description` (an SDP offer or answer), `candidate` (an ICE candidate, or null for
// end-of-candidates) or `bye` (`pruned`: the sender gives up the link being set up, §6
// big rooms). Anything else is rejected, so later code can trust the shape.

const CANDIDATE_KEYS = ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'];
const MAX_MLINE_INDEX = 65535;

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(object, allowed) {
  return Object.keys(object).every((key) => allowed.includes(key));
}

function isAbsentNullOr(object, key, test) {
  return !Object.hasOwn(object, key) || object[key] === null || test(object[key]);
}

const isString = (value) => typeof value === 'string';
const isMLineIndex = (value) =>
  Number.isInteger(value) && value >= 0 && value <= MAX_MLINE_INDEX;

function isDescription(description) {
  return (
    isPlainObject(description) &&
    hasOnlyKeys(description, ['type', 'sdp']) &&
    (description.type === 'offer' || description.type === 'answer') &&
    isString(description.sdp)
  );
}

function isCandidate(candidate) {
  if (candidate === null) return true;
  return (
    isPlainObject(candidate) &&
    hasOnlyKeys(candidate, CANDIDATE_KEYS) &&
    isString(candidate.candidate) &&
    isAbsentNullOr(candidate, 'sdpMid', isString) &&
    isAbsentNullOr(candidate, 'sdpMLineIndex', isMLineIndex) &&
    isAbsentNullOr(candidate, 'usernameFragment', isString)
  );
}

export function isSignalPayload(payload) {
  if (!isPlainObject(payload)) return false;
  const keys = Object.keys(payload);
  if (keys.length !== 1) return false;
  if (keys[0] === 'description') return isDescription(payload.description);
  if (keys[0] === 'candidate') return isCandidate(payload.candidate);
  if (keys[0] === 'bye') return payload.bye === 'pruned';
  return false;
}
