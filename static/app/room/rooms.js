// Rooms and invite links (docs/protocol.md §2). A room record is what the store keeps;
// its keys are derived again from the secret on every load and never stored.
//
//   const room = createRoom('Weekend plans')
//   inviteLink(room, location.origin)       -> 'https://host/#join=...&name=...'
//   parseInvite(location.hash)              -> { secret, name } | null (throws InviteError)
//   inviteIn(location.hash)                 -> { secret, name } | null (a damaged one too)
//   roomToOpen(location.hash)               -> topic of `#open=<topic>` | null
//   withKeys(room)                          -> room plus { keys, topic }
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { deriveRoomKeys, newRoomSecret } from '../crypto/room-keys.js';
import { isIdText } from './entry-body.js';

export const MAX_ROOM_NAME = 64;

export class InviteError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

export function cleanRoomName(name) {
  const trimmed = String(name ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_ROOM_NAME);
  return trimmed || 'Untitled room';
}

export function createRoom(name, now = Date.now()) {
  return roomRecord(newRoomSecret(), cleanRoomName(name), now);
}

export function roomRecord(secret, name, now = Date.now()) {
  const { discoveryKey } = deriveRoomKeys(secret);
  return { topic: toBase64Url(discoveryKey), secret, name, createdAt: now, members: {} };
}

export function withKeys(room) {
  return { ...room, keys: deriveRoomKeys(room.secret) };
}

export function inviteLink(room, origin) {
  const params = new URLSearchParams({ join: toBase64Url(room.secret), name: room.name });
  return `${origin}/#${params.toString()}`;
}

// Returns null when the fragment is not an invite at all.
export function parseInvite(hash) {
  const fragment = String(hash ?? '').replace(/^#/, '');
  if (!fragment) return null;
  const params = new URLSearchParams(fragment);
  if (!params.has('join')) return null;
  let secret;
  try {
    secret = fromBase64Url(params.get('join'), 32);
  } catch {
    throw new InviteError('bad_invite');
  }
  return { secret, name: cleanRoomName(params.get('name')) };
}

// The invite in the address, if it is a well-formed one: a damaged one is dealt with
// where it can be shown (ShellView says what is wrong once the newcomer has a name).
export function inviteIn(hash) {
  try {
    return parseInvite(hash);
  } catch (error) {
    if (error instanceof InviteError) return null;
    throw error;
  }
}

// `#open=<discovery key>`: a notification's way to open a room (docs/protocol.md §10).
// Only a well-formed topic comes back; whether this device holds that room is the
// caller's question.
export function roomToOpen(hash) {
  const fragment = String(hash ?? '').replace(/^#/, '');
  if (!fragment) return null;
  const topic = new URLSearchParams(fragment).get('open');
  return isIdText(topic) ? topic : null;
}
