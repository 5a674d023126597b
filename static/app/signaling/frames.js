// The rendezvous frame types (docs/protocol.md §3). This list exists once in JavaScript;
// tests/server/test_frame_types.py checks it against the Python list and the docs.
export const CLIENT_FRAME_TYPES = Object.freeze([
  'hello', 'join', 'leave', 'signal', 'ping', 'wake', 'ice-servers', 'mirror-serve', 'mirror', 'mirror-reply',
]);
export const SERVER_FRAME_TYPES = Object.freeze([
  'welcome', 'peers', 'joined', 'left', 'signal', 'pong', 'woken', 'ice-servers',
  'mirror-serving', 'mirror-request', 'mirror-reply', 'error',
]);
export const PROTOCOL_VERSION = 1;
