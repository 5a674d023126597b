// Log replication over in-memory links (docs/protocol.md §8): heads, want, entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64Url } from '../../static/app/crypto/bytes.js';
import { createIdentity } from '../../static/app/identity/identity.js';
import { MAX_DATA_FRAME_BYTES } from '../../static/app/peers/data-frames.js';
import { createEntry, entryId, MAX_ENTRY_BYTES } from '../../static/app/room/entry.js';
import { Replicator } from '../../static/app/room/replicator.js';
import { RoomLog } from '../../static/app/room/room-log.js';
import {
  assertSameHistory, Network, newRoom, Peer, randomFrom,
} from './replication-fixture.js';

const kinds = (frames) => frames.map(({ frame }) => frame.t);

// A replicator on its own, with the frames it sends and the callbacks it makes.
function lone(log) {
  const seen = { sent: [], added: [], rejected: [], forks: [] };
  const replicator = new Replicator({
    log,
    send: (frame) => seen.sent.push(frame),
    onAdded: (records, info) => seen.added.push({ records, ...info }),
    onRejected: (rejection) => seen.rejected.push(rejection),
    onFork: (fork) => seen.forks.push(fork),
  });
  return { replicator, seen };
}
const entriesFrame = (bytesList) => ({ t: 'entries', entries: bytesList.map(toBase64Url) });

test('two members who wrote apart end with the same history, each entry sent once', () => {
  const room = newRoom();
  const [ada, bob] = [new Peer('ada', room), new Peer('bob', room)];
  for (const text of ['one', 'two', 'three']) ada.write(text);
  for (const text of ['four', 'five']) bob.write(text);
  const network = new Network();
  network.link(ada, bob);
  network.run();
  assertSameHistory(ada, bob);
  assert.equal(ada.log.records().length, 5);
  network.assertEachEntryCrossedEachLinkAtMostOnce();
  assert.equal(network.crossings.size, 5);
  assert.deepEqual(ada.rejections, []);
  // Each side knows what the other announced.
  const [adaEnd] = ada.links;
  assert.deepEqual(adaEnd.replicator.remoteHeads.get(bob.id), { length: 2, head: bob.log.headId(bob.id) });
});

test('three in a line: entries hop A–B–C both ways, once per link, while everyone writes', () => {
  const room = newRoom();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => new Peer(name, room));
  for (let i = 0; i < 4; i++) [a, b, c].forEach((peer) => peer.write(`${peer.name} early ${i}`));
  const network = new Network(randomFrom(7));
  network.link(a, b);
  network.link(b, c);
  for (let round = 0; round < 6; round++) {
    for (const peer of [a, b, c]) peer.write(`${peer.name} during ${round}`);
    for (let i = 0; i < 5; i++) network.step();
  }
  network.run();
  assertSameHistory(a, b, c);
  assert.equal(a.log.records().length, 30);
  network.assertEachEntryCrossedEachLinkAtMostOnce();
  // Every entry crossed exactly the links between its author and each reader.
  // Each of the 30 entries reached the two others over both links, once each.
  assert.equal(network.crossings.size, 30 * 2);
  for (const peer of [a, b, c]) assert.deepEqual(peer.rejections, []);
});

test('a long log is asked for in ranges of at most 512, in frames of at most 64 entries', () => {
  const room = newRoom();
  const [ada, bob] = [new Peer('ada', room), new Peer('bob', room)];
  for (let i = 0; i < 1200; i++) ada.write(`m${i}`);
  const network = new Network();
  network.link(ada, bob);
  network.run();
  assertSameHistory(ada, bob);
  const wants = network.frames.filter(({ frame }) => frame.t === 'want').map(({ frame }) => [frame.from, frame.to]);
  assert.deepEqual(wants, [[0, 512], [512, 1024], [1024, 1200]]);
  const batches = network.frames.filter(({ frame }) => frame.t === 'entries');
  assert.ok(batches.every(({ frame }) => frame.entries.length <= 64));
  assert.equal(batches.length, 8 + 8 + 3);
  network.assertEachEntryCrossedEachLinkAtMostOnce();
});

test('large entries are batched under the 65,536-byte frame limit', () => {
  const room = newRoom();
  const [ada, bob] = [new Peer('ada', room), new Peer('bob', room)];
  // A control character is 6 bytes of JSON: these bodies are just under 16,384 bytes,
  // so each entry is about 22 KB of base64url and only two fit in a frame.
  for (let i = 0; i < 7; i++) ada.write('\u0001'.repeat(2720));
  // Within 70 bytes of the limit: a version 1 entry is 40 bytes shorter than a version 2 one.
  assert.ok(ada.log.range(ada.id, 0, 1)[0].length > MAX_ENTRY_BYTES - 70);
  const network = new Network();
  network.link(ada, bob);
  network.run();
  assertSameHistory(ada, bob);
  const batches = network.frames.filter(({ frame }) => frame.t === 'entries');
  assert.deepEqual(batches.map(({ frame }) => frame.entries.length), [2, 2, 2, 1]);
  assert.ok(batches.every(({ bytes }) => bytes < MAX_DATA_FRAME_BYTES));
});

test('heads go out in frames of at most 256 authors', () => {
  const room = newRoom();
  const ada = new Peer('ada', room);
  const many = Array.from({ length: 300 }, () => createIdentity());
  ada.log.ingest(many.map((identity) => createEntry({
    identity, seq: 0, body: { type: 'join', ts: 1, clock: 1, name: 'x' }, ...room,
  }).bytes));
  const bob = new Peer('bob', room);
  const network = new Network();
  network.link(ada, bob);
  const heads = network.frames.filter(({ frame }) => frame.t === 'heads');
  assert.deepEqual(heads.map(({ frame }) => frame.heads.length), [256, 44, 0]);
  network.run();
  assertSameHistory(ada, bob);
  assert.equal(bob.log.records().length, 300);
});

test('a new own entry is pushed alone; a peer that lacks earlier ones gets heads instead', () => {
  const room = newRoom();
  const [ada, bob] = [new Peer('ada', room), new Peer('bob', room)];
  ada.write('while alone 1');
  ada.write('while alone 2');
  const network = new Network();
  network.link(ada, bob);
  ada.write('before bob heard anything'); // Bob holds nothing of Ada: pushing would be a gap
  assert.deepEqual(kinds(network.frames), ['heads', 'heads', 'heads']);
  network.run();
  assertSameHistory(ada, bob);
  const settled = network.frames.length;
  ada.write('now in step');
  assert.deepEqual(kinds(network.frames.slice(settled)), ['entries']);
  network.run();
  assertSameHistory(ada, bob);
  assert.deepEqual(kinds(network.frames.slice(settled)), ['entries'], 'nothing else follows');
  network.assertEachEntryCrossedEachLinkAtMostOnce();
});

test('an entry out of order is a gap: the replicator asks for the missing range', () => {
  const room = newRoom();
  const ada = new Peer('ada', room);
  for (let i = 0; i < 4; i++) ada.write(`m${i}`);
  const { replicator, seen } = lone(new RoomLog(room));
  replicator.receive(entriesFrame(ada.log.range(ada.id, 3, 4)));
  assert.deepEqual(seen.sent, [{ t: 'want', author: ada.id, from: 0, to: 4 }]);
  assert.deepEqual([seen.added, seen.rejected], [[], []]);
  // Until that range is held, the same author is not asked for again.
  replicator.receive({ t: 'heads', heads: [{ author: ada.id, length: 4, head: ada.log.headId(ada.id) }] });
  assert.equal(seen.sent.length, 1);
  replicator.receive(entriesFrame(ada.log.range(ada.id, 0, 4)));
  assert.deepEqual(seen.added.map(({ records }) => records.length), [4]);
});

test('duplicates are reported for acks; rejected entries are strikes; forks are not', () => {
  const room = newRoom();
  const ada = new Peer('ada', room);
  for (let i = 0; i < 2; i++) ada.write(`m${i}`);
  const bytes = ada.log.range(ada.id, 0, 2);
  const log = new RoomLog(room);
  const { replicator, seen } = lone(log);
  replicator.receive(entriesFrame(bytes));
  replicator.receive(entriesFrame(bytes.slice(0, 1)));
  assert.deepEqual(seen.added[1], { records: [], duplicates: [toBase64Url(entryId(bytes[0]))] });

  const forged = bytes[1].slice();
  forged[130] ^= 1;
  // Padding is not base64url: the replicator cannot even decode it.
  replicator.receive({ t: 'entries', entries: [toBase64Url(forged), 'AAA='] });
  assert.deepEqual(seen.rejected.map(({ code, strike }) => [code, strike]), [
    ['malformed', true], ['bad_signature', true],
  ]);

  const rival = createEntry({
    identity: ada.identity, seq: 1, prev: entryId(bytes[0]),
    body: { type: 'message', ts: 1, clock: 5, text: 'rival' }, ...room,
  }).bytes;
  replicator.receive(entriesFrame([rival]));
  assert.equal(seen.forks.length, 1);
  assert.equal(seen.rejected.filter(({ strike }) => strike).length, 2, 'the relaying peer did not fork');
  // A forked author is neither asked for, served, nor announced.
  const sentBefore = seen.sent.length;
  replicator.receive({ t: 'heads', heads: [{ author: ada.id, length: 9, head: ada.log.headId(ada.id) }] });
  replicator.receive({ t: 'want', author: ada.id, from: 0, to: 2 });
  replicator.announce();
  assert.equal(seen.sent.length, sentBefore);
});

test('wants for what we do not hold are answered with what we have, or nothing', () => {
  const room = newRoom();
  const ada = new Peer('ada', room);
  for (let i = 0; i < 3; i++) ada.write(`m${i}`);
  const { replicator, seen } = lone(ada.log);
  replicator.receive({ t: 'want', author: ada.id, from: 1, to: 100 });
  replicator.receive({ t: 'want', author: ada.id, from: 5, to: 6 });
  replicator.receive({ t: 'want', author: toBase64Url(new Uint8Array(32)), from: 0, to: 1 });
  assert.deepEqual(seen.sent, [entriesFrame(ada.log.range(ada.id, 1, 3))]);
  assert.equal(replicator.receive({ t: 'ack', ids: [] }), false, 'not a replication frame');
});
