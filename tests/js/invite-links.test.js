// Invite links (docs/protocol.md §2): what a link carries, and what the page makes of a
// fragment that is no invite or a damaged one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRoom, InviteError, inviteIn, inviteLink, parseInvite, roomToOpen } from '../../static/app/room/rooms.js';
import './hand-built.js'; // libsodium ready

test('an invite link carries the secret and the name, and reads back', () => {
  const room = createRoom('Weekend plans');
  const link = new URL(inviteLink(room, 'https://parley.example'));
  assert.equal(link.origin, 'https://parley.example');
  const invite = parseInvite(link.hash);
  assert.deepEqual([...invite.secret], [...room.secret]);
  assert.equal(invite.name, 'Weekend plans');
  assert.deepEqual(inviteIn(link.hash), invite);
});

test('no invite, or a damaged one: null from inviteIn, an InviteError only from parseInvite', () => {
  for (const hash of ['', '#', '#open=abc', '#name=x']) {
    assert.equal(parseInvite(hash), null, hash);
    assert.equal(inviteIn(hash), null, hash);
  }
  const damaged = '#join=too-short&name=x';
  assert.throws(() => parseInvite(damaged), InviteError);
  assert.equal(inviteIn(damaged), null);
  assert.equal(roomToOpen(damaged), null);
});
