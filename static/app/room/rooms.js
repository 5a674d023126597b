// Rooms and invite links (docs/protocol.md §2). A room record is what the store keeps;
// its keys are derived again from the secret on every load and never stored.
//
//   const room = createRoom('Weekend plans', Date.now(), founderId)
//   inviteLink(room, location.origin)       -> 'https://host/#join=...&founder=...&name=...'
//   parseInvite(location.hash)              -> { secret, founder, name } | null (throws InviteError)
//   inviteIn(location.hash)                 -> { secret, founder, name } | null (a damaged one too)
//   roomToOpen(location.hash)               -> topic of `#open=<topic>` | null
//   withKeys(room)                          -> room plus { keys }
//
// A room made by this version is *founded* (§2): its `founder` (the identity id that
// made it, its first admin) is bound into its keys. Rooms made before have no founder,
// and no admins (`founder: null`).
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { deriveFoundedRoomKeys, deriveRoomKeys, newRoomSecret } from '../crypto/room-keys.js';
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

export function createRoom(name, now = Date.now(), founder = null) {
  return roomRecord(newRoomSecret(), cleanRoomName(name), now, founder);
}

// Every key of the room: from the invite's secret, bound to the founder if it has one.
function roomKeys(secret, founder) {
  return founder === null ? deriveRoomKeys(secret) : deriveFoundedRoomKeys(secret, fromBase64Url(founder, 32));
}

export function roomRecord(secret, name, now = Date.now(), founder = null) {
  if (founder !== null && !isIdText(founder)) throw new TypeError('founder must be an identity id');
  const { discoveryKey } = roomKeys(secret, founder);
  return { topic: toBase64Url(discoveryKey), secret, founder, name, createdAt: now, members: {} };
}

export function withKeys(room) {
  return { ...room, founder: room.founder ?? null, keys: roomKeys(room.secret, room.founder ?? null) };
}

export function inviteLink(room, origin) {
  const params = new URLSearchParams({ join: toBase64Url(room.secret) });
  if (room.founder) params.set('founder', room.founder);
  params.set('name', room.name);
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
  const founder = params.get('founder');
  if (founder !== null && !isIdText(founder)) throw new InviteError('bad_invite');
  return { secret, founder, name: cleanRoomName(params.get('name')) };
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
