// SwarmPeer (peers/swarm-peer.js): a peer's states as the swarm moves it, what others may
// read of it, and the one strike policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createIdentity } from '../../static/app/identity/identity.js';
import { MAX_STRIKES, SwarmPeer } from '../../static/app/peers/swarm-peer.js';

// A link that only remembers why it was closed, and closes once, like PeerLink.
function recordingLink() {
  return {
    closes: [],
    close(reason) {
      if (this.closes.length === 0) this.closes.push(reason);
    },
  };
}

function newPeer() {
  const link = recordingLink();
  const reported = [];
  const peer = new SwarmPeer({
    connectionId: 'conn-1', connectionKey: new Uint8Array(32).fill(2), localConnectionKey: new Uint8Array(32).fill(1),
    link, onStrike: (code) => reported.push(code), now: 1000,
  });
  return { peer, link, reported };
}

test('a new peer is connecting, known by its connection only', () => {
  const { peer, link } = newPeer();
  assert.deepEqual(
    [peer.connectionId, peer.state, peer.identity, peer.name, peer.reason, peer.quiet, peer.strikes, peer.since],
    ['conn-1', 'connecting', null, null, null, false, 0, 1000],
  );
  assert.equal(peer.link, link);
  assert.deepEqual(peer.connectionKey, new Uint8Array(32).fill(2));
});

test('other modules read a peer; they cannot write into it', () => {
  const { peer } = newPeer();
  for (const field of ['state', 'identity', 'name', 'reason', 'quiet', 'strikes', 'link', 'connectionId']) {
    assert.throws(() => { peer[field] = 'x'; }, TypeError, field);
  }
  assert.throws(() => { peer.replicator = {}; }, TypeError, 'nor hang their own state on it');
});

test('the first identity names the peer; another one does not rename it', () => {
  const { peer } = newPeer();
  const ada = createIdentity().publicKey;
  const mallory = createIdentity().publicKey;
  assert.equal(peer.isSomeoneElse(mallory), false, 'nobody is someone else before the peer is named');
  assert.equal(peer.learnIdentity(ada), true);
  assert.equal(peer.learnIdentity(Uint8Array.from(ada)), false, 'the same key again is no news');
  assert.equal(peer.learnIdentity(mallory), false);
  assert.deepEqual(peer.identity, ada);
  assert.equal(peer.isSomeoneElse(mallory), true);
  assert.equal(peer.isSomeoneElse(Uint8Array.from(ada)), false);
});

test('two peers are the same person only when both are named by one key', () => {
  const ada = createIdentity().publicKey;
  const [first, second, third] = [newPeer().peer, newPeer().peer, newPeer().peer];
  assert.equal(first.isSamePersonAs(second), false, 'two unnamed peers are not the same person');
  first.learnIdentity(ada);
  assert.equal(first.isSamePersonAs(second), false);
  second.learnIdentity(Uint8Array.from(ada));
  third.learnIdentity(createIdentity().publicKey);
  assert.equal(first.isSamePersonAs(second), true);
  assert.equal(second.isSamePersonAs(first), true);
  assert.equal(first.isSamePersonAs(third), false);
});

test('a signal older than the newest one heard is recognised', () => {
  const { peer } = newPeer();
  assert.equal(peer.hasHeardSignalSince(1), false);
  peer.heardSignal(5000);
  peer.heardSignal(4000); // delivered late: the newest stays
  assert.equal(peer.lastSignalAt, 5000);
  assert.equal(peer.hasHeardSignalSince(4999), true);
  assert.equal(peer.hasHeardSignalSince(5000), true);
  assert.equal(peer.hasHeardSignalSince(5001), false);
});

test('a named peer becomes ready with the name its hello carried', () => {
  const { peer } = newPeer();
  assert.equal(peer.authenticated('Ada'), false, 'not before an envelope named it');
  assert.equal(peer.state, 'connecting');
  peer.learnIdentity(createIdentity().publicKey);
  assert.equal(peer.authenticated('  Ada  '), true);
  assert.deepEqual([peer.state, peer.name], ['ready', 'Ada']);
  assert.equal(peer.authenticated('Eve'), false, 'a second hello changes nothing');
  assert.equal(peer.name, 'Ada');
});

test('a blank name in the hello leaves the peer unnamed', () => {
  const { peer } = newPeer();
  peer.learnIdentity(createIdentity().publicKey);
  peer.authenticated('   ');
  assert.equal(peer.name, null);
});

test('a peer closes once, for its first reason, and never becomes ready again', () => {
  const { peer } = newPeer();
  peer.learnIdentity(createIdentity().publicKey);
  assert.equal(peer.closed('timeout'), true);
  assert.equal(peer.closed('left'), false);
  assert.deepEqual([peer.state, peer.reason, peer.quiet], ['closed', 'timeout', false]);
  assert.equal(peer.authenticated('Ada'), false);
  assert.equal(peer.state, 'closed');
});

test('routine closes are quiet; failures and misbehaviour are not', () => {
  for (const reason of ['left', 'duplicate', 'reconnected', 'redialled', 'closed', 'channel_closed', 'pruned']) {
    const { peer } = newPeer();
    peer.closed(reason);
    assert.equal(peer.quiet, true, reason);
  }
  for (const reason of ['timeout', 'unauthenticated', 'bad_link_proof', 'misbehaving', 'identity_changed']) {
    const { peer } = newPeer();
    peer.closed(reason);
    assert.equal(peer.quiet, false, reason);
  }
});

test('every strike is reported; the one after the limit closes the link as misbehaving', () => {
  const { peer, link, reported } = newPeer();
  for (let i = 0; i < MAX_STRIKES; i++) peer.strike(i % 2 ? 'bad_signature' : 'malformed');
  assert.equal(peer.strikes, MAX_STRIKES);
  assert.deepEqual(link.closes, [], `${MAX_STRIKES} strikes are tolerated`);
  peer.strike('bad_chain');
  assert.deepEqual(link.closes, ['misbehaving']);
  assert.equal(reported.length, MAX_STRIKES + 1);
  assert.equal(reported.at(-1), 'bad_chain');
  // What was already on its way still counts and is reported; the link closes once.
  peer.strike('malformed');
  assert.deepEqual([peer.strikes, reported.length, link.closes], [MAX_STRIKES + 2, MAX_STRIKES + 2, ['misbehaving']]);
});

test('the limit is sixteen strikes, whatever their kind (docs/protocol.md §6, §8)', () => {
  assert.equal(MAX_STRIKES, 16);
});

test('a peer is a mirror only if its hello says so and its identity is the server\'s mirror', () => {
  const mirrorKey = createIdentity().publicKey;
  const make = (identity, role) => {
    const peer = new SwarmPeer({
      connectionId: 'c', connectionKey: new Uint8Array(32), localConnectionKey: new Uint8Array(32).fill(1),
      link: recordingLink(), trustsMirror: (key) => key === mirrorKey,
    });
    peer.learnIdentity(identity);
    peer.authenticated('x', role);
    return peer;
  };
  assert.equal(make(mirrorKey, 'mirror').isMirror, true);
  assert.equal(make(createIdentity().publicKey, 'mirror').isMirror, false, 'a member who claims it is still a person');
  assert.equal(make(mirrorKey, null).isMirror, false);
});
