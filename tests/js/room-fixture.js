// Alice signals Bob inside one room. Carol is a third connection, and `otherRoom` a room
// that Alice and Bob do not share. Overrides let a test change one thing at a time.
import assert from 'node:assert/strict';
import { deriveRoomKeys, newRoomSecret } from '../../static/app/crypto/room-keys.js';
import { createConnectionKeypair, createIdentity } from '../../static/app/identity/identity.js';
import {
  encodeEnvelopePlaintext, openEnvelope, ReplayGuard, sealEnvelope,
} from '../../static/app/signaling/envelope.js';

export const OFFER = Object.freeze({ description: { type: 'offer', sdp: 'v=0\r\n' } });

export function aliceAndBobInARoom() {
  const room = deriveRoomKeys(newRoomSecret());
  const otherRoom = deriveRoomKeys(newRoomSecret());
  const alice = { identity: createIdentity(), connection: createConnectionKeypair() };
  const bob = { identity: createIdentity(), connection: createConnectionKeypair() };
  const carol = { identity: createIdentity(), connection: createConnectionKeypair() };
  const bobsGuard = new ReplayGuard();

  const fromAlice = (overrides = {}) => ({
    identity: alice.identity,
    senderConnectionKey: alice.connection.publicKey,
    recipientConnectionKey: bob.connection.publicKey,
    topic: room.discoveryKey,
    membershipKey: room.membershipKey,
    payload: OFFER,
    ...overrides,
  });
  const sealFromAlice = (overrides) => sealEnvelope(fromAlice(overrides));
  const plaintextFromAlice = (overrides) => encodeEnvelopePlaintext(fromAlice(overrides));
  const openAtBob = (blob, overrides = {}) => openEnvelope(blob, {
    connectionKeypair: bob.connection,
    topic: room.discoveryKey,
    expectedSenderConnectionKey: alice.connection.publicKey,
    membershipKey: room.membershipKey,
    replayGuard: bobsGuard,
    ...overrides,
  });
  return {
    room, otherRoom, alice, bob, carol, bobsGuard, fromAlice, sealFromAlice,
    plaintextFromAlice, openAtBob,
  };
}

export function assertRejected(action, code) {
  assert.throws(action, (error) => {
    assert.equal(error.code, code, `expected ${code}, got ${error.code} (${error.message})`);
    return true;
  });
}
