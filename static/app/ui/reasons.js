// What each protocol reason code means to a person. Protocol modules only raise codes;
// this is the one place that turns them into words.
const REASONS = {
  undecryptable:
    'A handshake message could not be opened: it was altered on the way or was not meant for this browser. The server or the network may be tampering with the connection.',
  wrong_sender:
    'A handshake message arrived labelled with the wrong sender. The server may have swapped messages between people.',
  wrong_recipient: 'A handshake message was addressed to someone else.',
  wrong_topic: 'A handshake message belonged to a different room.',
  not_member: 'Someone without this room’s invite tried to connect.',
  bad_signature: 'A message carried a signature that does not match its author.',
  stale: 'A handshake message was too old or from the future. Check this device’s clock.',
  replay: 'An old handshake message was replayed.',
  malformed: 'A peer sent a message Parley cannot read.',
  bad_version: 'A peer uses an incompatible version of Parley.',
  identity_changed: 'A peer’s identity key changed in the middle of connecting. The connection was stopped.',
  certificate_mismatch:
    'The encryption certificate a peer presented does not match the one it signed. The connection was stopped (possible man-in-the-middle).',
  certificate_unavailable:
    'The encryption certificate of a peer could not be checked, so the connection was stopped.',
  bad_link_proof:
    'A peer could not prove it is the person who signed the handshake. Someone in the room may be relaying between people; the connection was stopped.',
  unauthenticated: 'A peer sent data before proving who it is. The connection was stopped.',
  signal_too_large: 'A handshake message was too large to send.',
  bad_clock: 'A peer sent a message whose order does not follow its own history. It was not accepted.',
  removed: 'Someone removed from this room keeps sending messages. They were not accepted.',
  timeout: 'A peer did not answer in time.',
  fork: 'A peer sent two different messages with the same number. They were not accepted.',
  broken_chain: 'A peer sent a message that does not follow its own history. It was not accepted.',
  too_large: 'A peer sent a message that is too large.',
  unknown_type: 'A peer sent a kind of message this version does not know.',
  misbehaving: 'A peer kept sending invalid data and was disconnected.',
  negotiation_failed: 'The connection to a peer could not be set up.',
  connection_failed: 'The connection to a peer was lost.',
  no_relay: 'Your networks block direct connections and this server offers no relay.',
  relay_failed: 'Could not reach this person, even through the relay.',
  relay_missing: 'Hide my IP address is on, but this server offers no relay, so no connection can be made.',
  bad_chunk: 'A peer sent parts of a file that do not match what its sender offered. They were thrown away.',
};

// Why a file could not be sent or fetched (files/transfer-manager.js).
const FILE_REASONS = {
  storage_full: 'this device has no room left for it',
  no_storage: 'this browser cannot store files here (a private window?)',
  storage_failed: 'writing it to this device failed',
  not_stored: 'its copy on this device is gone',
  too_large: 'it is larger than Parley can send',
  newer_format: 'it comes from a newer version of Parley',
  prepare_failed: 'the file could not be read',
  bad_offer: 'its offer carries a key that does not open it (the file itself is intact: the offer is wrong)',
  catching_up: 'your earlier messages are still coming back',
};

export function fileReasonText(code) {
  return FILE_REASONS[code] ?? `something went wrong (${code})`;
}

export function reasonText(code) {
  return REASONS[code] ?? `Something went wrong (${code}).`;
}

export const SECURITY_CODES = new Set([
  'undecryptable', 'wrong_sender', 'wrong_recipient', 'wrong_topic', 'not_member',
  'bad_signature', 'replay', 'identity_changed', 'certificate_mismatch', 'fork', 'broken_chain',
  'bad_link_proof', 'unauthenticated',
]);
