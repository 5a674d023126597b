// One Transfer on its own (files/transfer.js): the course of a download (offered, active,
// paused, cancelled, failed, done), a chunk's way from verified to held, what a card is
// told (progress, speed, time left), the record IndexedDB keeps; and the two registries
// around it (files/transfer-registry.js, files/file-links.js). No network, no disk: the
// Merkle tree is built from made-up leaves, and time is passed in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { toBase64Url } from '../../static/app/crypto/encoding.js';
import { CHUNK_SIZE, MAX_CHUNKS } from '../../static/app/files/chunk-crypto.js';
import { FileLinks } from '../../static/app/files/file-links.js';
import { MerkleTree } from '../../static/app/files/merkle.js';
import { SPEED_WINDOW_MS, Transfer } from '../../static/app/files/transfer.js';
import { TransferRegistry } from '../../static/app/files/transfer-registry.js';

await sodiumReady;

const TOPIC = 'topic';
const ADA = 'ada-key';

// A file of `count` chunks (the last one `lastBytes` long) and the tree that proves them.
function madeUpFile(count, { lastBytes = CHUNK_SIZE, seed = 1 } = {}) {
  const leaves = Array.from({ length: count }, (_, i) => new Uint8Array(32).fill((seed * 31 + i) % 256));
  const tree = MerkleTree.fromLeaves(leaves);
  const offer = {
    name: 'data.bin', mime: '', chunk: CHUNK_SIZE, size: CHUNK_SIZE * (count - 1) + lastBytes,
    root: toBase64Url(tree.root), key: toBase64Url(new Uint8Array(32).fill(9)),
  };
  return { offer, tree, chunk: (index) => ({ peerKey: ADA, leaf: tree.leaf(index), proof: tree.proof(index) }) };
}

// Takes chunks through the whole way in: written, flushed, held.
function hold(t, file, indices, { at = 0 } = {}) {
  for (const index of indices) t.startWrite(index, file.chunk(index), CHUNK_SIZE, at);
  for (const index of indices) assert.equal(t.written(index, t.fileName), true);
  return t.flushed(t.takeUnflushed());
}

test('an offer starts as offered, is started, paused, resumed with its plan and file, and finished', () => {
  const file = madeUpFile(4);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  assert.equal(t.state, 'offered');
  assert.equal(t.role, 'receiver');
  assert.equal(t.count, 4);
  assert.equal(t.fileName, null);
  assert.equal(t.plan, null);

  assert.equal(t.start(), 'begin');
  assert.equal(t.state, 'active');
  const { fileName } = t;
  assert.match(fileName, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(t.start(), null, 'already running');
  const plan = t.beginPlan(8);
  assert.equal(t.plan, plan);

  assert.equal(t.pause(), true);
  assert.equal(t.state, 'paused');
  assert.equal(t.plan, plan, 'a pause keeps the plan');
  assert.equal(t.pause(), false, 'only a running download pauses');
  assert.equal(t.start(), 'resume');
  assert.equal(t.fileName, fileName, 'the same stored file goes on');

  hold(t, file, [0, 1, 2, 3]);
  assert.equal(t.tree.complete, true);
  assert.equal(t.beginFinishing(), true);
  assert.equal(t.beginFinishing(), false, 'once');
  assert.equal(t.status({ sources: 1 }).state, 'verifying', 'until its state is saved');
  t.finish();
  t.endFinishing();
  assert.equal(t.state, 'done');
  assert.equal(t.plan, null);
  assert.equal(t.start(), null, 'a done file is not fetched again');
  assert.equal(t.cancel(), null, 'nor cancelled');
});

test('a paused download that lost its plan (a reload) begins a new one', () => {
  const file = madeUpFile(3);
  const record = { ...Transfer.fromOffer({ offer: file.offer, topic: TOPIC }).toRecord(), state: 'paused' };
  const t = Transfer.fromOffer({ offer: file.offer, record, topic: TOPIC });
  assert.equal(t.state, 'paused');
  assert.equal(t.start(), 'begin');
});

test('cancel forgets every chunk and hands back the stored file to delete', () => {
  const file = madeUpFile(4);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.start();
  t.beginPlan(8);
  const { fileName } = t;
  hold(t, file, [0, 1]);
  t.startWrite(2, file.chunk(2), CHUNK_SIZE, 0);
  assert.equal(t.heldCount, 2);

  assert.deepEqual(t.cancel(), { fileName });
  assert.equal(t.state, 'cancelled');
  assert.equal(t.reason, null);
  assert.equal(t.plan, null);
  assert.equal(t.heldCount, 0);
  assert.equal(t.fileName, null);
  assert.equal(t.isWriting(2), false);
  assert.equal(t.written(2, fileName), false, 'a write that lands after the cancel is dropped');
  assert.equal(t.start(), 'begin', 'and it can be fetched again, into a new file');
  assert.notEqual(t.fileName, fileName);

  const neverStarted = Transfer.fromOffer({ offer: madeUpFile(2, { seed: 2 }).offer, topic: TOPIC });
  assert.deepEqual(neverStarted.cancel(), { fileName: null }, 'cancelled, with no stored file to delete');
  assert.equal(neverStarted.state, 'cancelled');
});

test('a failure only ends a running download, with its reason', () => {
  const file = madeUpFile(2);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  assert.equal(t.fail('storage_full'), false);
  assert.equal(t.state, 'offered');
  t.start();
  t.beginPlan(8);
  assert.equal(t.fail('storage_full'), true);
  assert.deepEqual([t.state, t.reason, t.plan], ['failed', 'storage_full', null]);
  assert.equal(t.start(), 'begin', 'a failed download can be tried again');
  assert.equal(t.reason, null);
});

test('an offer too large to fetch, or a browser that cannot store files, fail from the start', () => {
  const file = madeUpFile(2);
  const huge = Transfer.fromOffer({ offer: { ...file.offer, size: CHUNK_SIZE * MAX_CHUNKS + 1 }, topic: TOPIC });
  assert.deepEqual([huge.state, huge.reason, huge.count], ['failed', 'too_large', 1]);
  assert.equal(huge.start(), null, 'never fetched');

  const nowhere = Transfer.fromOffer({ offer: file.offer, topic: TOPIC, canStore: false });
  assert.deepEqual([nowhere.state, nowhere.reason], ['failed', 'no_storage']);
});

test('a file this device sent holds every chunk and is never fetched or cancelled', () => {
  const file = madeUpFile(5, { lastBytes: 10 });
  const t = Transfer.sent({ offer: file.offer, topic: TOPIC, fileName: 'stored', tree: file.tree.toPartial() });
  assert.deepEqual([t.role, t.state, t.fileName, t.heldCount], ['sender', 'done', 'stored', 5]);
  assert.equal(t.heldBytes, file.offer.size, 'the last chunk is short');
  assert.equal(t.start(), null);
  assert.equal(t.cancel(), null);
});

test('a chunk is held only once flushed; a write for a cancelled file is not', () => {
  const file = madeUpFile(20);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.start();
  const plan = t.beginPlan(4);
  plan.peerHas(ADA, 0, new Uint8Array([0xff, 0xff, 0x0f]));
  assert.deepEqual(plan.next(ADA), [{ first: 0, count: 4 }]);

  t.startWrite(0, file.chunk(0), CHUNK_SIZE, 0);
  assert.equal(t.isWriting(0), true);
  assert.equal(t.hasOrIsWriting(0), true);
  assert.equal(t.holds(0), false);
  assert.equal(t.flushDue(16), false, 'nothing written yet');
  assert.equal(t.written(0, 'another file'), false);
  assert.equal(t.written(0, t.fileName), true);
  assert.equal(t.flushDue(16), false, 'three more are on their way: they join the batch');
  for (const index of [1, 2, 3]) {
    t.startWrite(index, file.chunk(index), CHUNK_SIZE, 0);
    t.written(index, t.fileName);
  }
  assert.equal(t.flushDue(16), true, 'nothing else asked is on its way');
  assert.equal(t.flushDue(2), true);
  assert.equal(t.beginFlush(), true);
  assert.equal(t.beginFlush(), false, 'flushes coalesce');
  assert.deepEqual(t.flushed(t.takeUnflushed()), [0, 1, 2, 3]);
  t.endFlush();
  assert.equal(t.heldCount, 4);
  assert.equal(t.writingCount, 0);
  assert.equal(plan.inFlight(ADA), 0, 'released in the plan');
  assert.deepEqual(t.flushed([0]), [], 'a chunk flushed twice counts once');
});

test('a saved record brings back what was held; a damaged tree starts again', () => {
  const file = madeUpFile(10);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.start();
  hold(t, file, [0, 1, 2]);
  t.countReceived();
  t.countDuplicate();
  const saved = structuredClone(t.toRecord());
  assert.deepEqual(Object.keys(saved).sort(),
    ['createdAt', 'duplicates', 'fileName', 'reason', 'received', 'role', 'root', 'state', 'topic', 'tree']);
  assert.deepEqual([saved.topic, saved.root, saved.role, saved.state], [TOPIC, file.offer.root, 'receiver', 'active']);
  assert.deepEqual([saved.received, saved.duplicates], [2, 1]);

  const again = Transfer.fromOffer({ offer: file.offer, record: saved, topic: TOPIC });
  assert.equal(again.heldCount, 3);
  assert.equal(again.fileName, t.fileName);
  assert.equal(again.isActive, true);

  const damaged = { ...saved, tree: saved.tree.slice(0, 3) };
  assert.equal(Transfer.fromOffer({ offer: file.offer, record: damaged, topic: TOPIC }).heldCount, 0);
});

test('speed counts the bytes verified over the last few seconds, and time left follows from it', () => {
  const file = madeUpFile(10);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.start();
  t.beginPlan(8);
  hold(t, file, [0], { at: 1000 });
  assert.equal(t.speed(1000), 0, 'one sample is no speed');
  hold(t, file, [1], { at: 1500 });
  // Two chunks over the 1 s since the first: 2 chunks/s; 8 chunks to go: 4 s.
  const status = t.status({ sources: 1, now: 2000 });
  assert.equal(status.state, 'transferring');
  assert.equal(status.speed, 2 * CHUNK_SIZE);
  assert.equal(status.eta, 4);
  assert.deepEqual([status.held, status.count, status.bytes, status.size], [2, 10, 2 * CHUNK_SIZE, 10 * CHUNK_SIZE]);
  // Nobody has what is missing: waiting, and no time left is promised.
  const waiting = t.status({ sources: 0, now: 2000 });
  assert.deepEqual([waiting.state, waiting.eta, waiting.peers], ['waiting', null, 0]);
  // Someone online was asked and has not answered yet: asking, not waiting for anyone.
  assert.equal(t.status({ sources: 0, asking: 1, now: 2000 }).state, 'asking');
  // Samples older than the window are gone: one left, no speed.
  assert.equal(t.speed(1000 + SPEED_WINDOW_MS + 1), 0);
  hold(t, file, [2, 3], { at: 5000 });
  assert.equal(t.speed(5000), (2 * CHUNK_SIZE) / 0.5);
  t.pause();
  assert.equal(t.status({ sources: 1, now: 5000 }).speed, 0, 'a pause forgets the samples');
});

test('the first chunks are measured over at least half a second, not a burst', () => {
  const t = Transfer.fromOffer({ offer: madeUpFile(10).offer, topic: TOPIC });
  t.startWrite(0, {}, CHUNK_SIZE, 1000);
  t.startWrite(1, {}, CHUNK_SIZE, 1100);
  assert.equal(t.speed(1200), (2 * CHUNK_SIZE) / 0.5);
});

test('the counters and the sources marked for damaged chunks are what a card shows', () => {
  const file = madeUpFile(3);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.countIgnored();
  t.countRejected();
  t.countRejected();
  t.countServed();
  t.banSource('cyd-key', 'Cyd');
  t.banSource('cyd-key', 'Cyd');
  const status = t.status({ sources: 0, now: 0 });
  assert.deepEqual([status.ignored, status.rejected, status.served, status.banned], [1, 2, 1, ['Cyd']]);
  assert.equal(status.state, 'offered');
});

test('saves run one after another, a later save soon is folded into a save now, a failed save does not stop the next', async (t) => {
  t.mock.method(console, 'warn', () => {});
  const file = madeUpFile(3);
  const transfer = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  const written = [];
  let soon = 0;
  transfer.saveSoon(60_000, () => (soon += 1));
  transfer.saveSoon(60_000, () => (soon += 1));
  assert.equal(transfer.savePending, true);
  const first = transfer.saveNow(async () => {
    throw new Error('disk gone');
  });
  assert.equal(transfer.savePending, false, 'the pending save is this one');
  const second = transfer.saveNow(async (record) => written.push(structuredClone(record)));
  await Promise.all([first, second]);
  assert.equal(soon, 0);
  assert.equal(written.length, 1);
  assert.equal(written[0].root, file.offer.root);
  assert.equal(console.warn.mock.callCount(), 1);
});

test('saves soon are one save per delay, however many chunks asked for one', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const transfer = Transfer.fromOffer({ offer: madeUpFile(3).offer, topic: TOPIC });
  let saves = 0;
  for (let i = 0; i < 5; i++) transfer.saveSoon(100, () => (saves += 1));
  t.mock.timers.tick(99);
  assert.equal(saves, 0, 'not before the delay');
  t.mock.timers.tick(1);
  assert.equal(saves, 1, 'five asks, one save');
  assert.equal(transfer.savePending, false);
  transfer.saveSoon(100, () => (saves += 1));
  t.mock.timers.tick(1000);
  assert.equal(saves, 2, 'a later ask is a new save');
});

test('the registry holds each transfer once by root, and a saved record until its offer comes', () => {
  const a = Transfer.fromOffer({ offer: madeUpFile(2, { seed: 1 }).offer, topic: TOPIC });
  const b = Transfer.fromOffer({ offer: madeUpFile(2, { seed: 2 }).offer, topic: TOPIC });
  const transfers = new TransferRegistry();
  transfers.restore([a.toRecord()]);
  assert.equal(transfers.takeSaved(a.root).root, a.root);
  assert.equal(transfers.takeSaved(a.root), null, 'taken once');
  transfers.add(a);
  transfers.add(b);
  assert.deepEqual(transfers.roots(), [a.root, b.root]);
  assert.equal(transfers.get(b.root), b);
  for (const t of transfers) transfers.remove(t.root); // iterating a snapshot
  assert.equal(transfers.has(a.root), false);
  assert.deepEqual([...transfers], []);
});

test('file links: a peer is heard on its newest link only, and banned after too many strikes', () => {
  const closed = [];
  const link = (connectionId, peerKey) => ({
    connectionId, peerKey, peer: null, strikes: 0, asked: new Set(), has: new Map(), heardAt: new Map(),
    channel: { close: () => closed.push(connectionId) },
  });
  const links = new FileLinks();
  const old = link('c1', ADA);
  const fresh = link('c2', ADA);
  const bob = link('c3', 'bob-key');
  links.add(old);
  links.add(fresh);
  links.add(bob);
  assert.equal(links.isCurrent(old), false);
  assert.deepEqual(links.current(), [fresh, bob]);
  assert.deepEqual([...links], [old, fresh, bob], 'an old link still owes answers');
  fresh.has.set('root', true);
  old.has.set('other', true);
  assert.equal(links.sourcesOf('root'), 1);
  assert.equal(links.sourcesOf('other'), 0, 'only a current link is a source');
  assert.deepEqual(links.remove('c1'), { link: old, wasCurrent: false });
  assert.equal(links.remove('c1'), null);
  assert.equal(links.isCurrent(fresh), true, 'removing an old link leaves the newest current');
  // Ada's newest link closes: it is nobody's current link any more.
  assert.deepEqual(links.remove('c2'), { link: fresh, wasCurrent: true });
  assert.equal(links.isCurrent(fresh), false);
  assert.deepEqual(links.current(), [bob]);

  const bans = Array.from({ length: 18 }, () => links.strike(bob));
  assert.deepEqual(bans.map((banned, i) => (banned ? i + 1 : 0)).filter(Boolean), [17], 'the 17th strike, once');
  assert.equal(links.isBanned('bob-key'), true);
  assert.equal(links.isBanned(ADA), false);
  links.closeAll();
  assert.deepEqual(closed, ['c3']);
  assert.deepEqual(links.current(), []);
});

test('a done file gives one object URL of its stored file, asked again after a failed load', async () => {
  const file = madeUpFile(2);
  const loads = [];
  const files = {
    file: async (name) => {
      loads.push(name);
      if (loads.length === 1) throw new Error('not readable yet');
      return new File([new Uint8Array(3)], name);
    },
  };
  assert.equal(Transfer.fromOffer({ offer: file.offer, topic: TOPIC }).storedFile(files), null, 'not done');
  const t = Transfer.sent({ offer: file.offer, topic: TOPIC, fileName: 'stored', tree: file.tree.toPartial() });
  await assert.rejects(t.storedFile(files));
  const loading = t.storedFile(files);
  assert.equal(t.storedFile(files), loading, 'one load, one URL');
  const { file: stored, url } = await loading;
  assert.equal(stored.size, 3);
  assert.match(url, /^blob:/);
  assert.deepEqual(loads, ['stored', 'stored']);
  t.releaseStoredFile();
});

test('a chunk being checked is taken: not taken again, not a stall, and a flush waits for it', () => {
  const file = madeUpFile(8);
  const t = Transfer.fromOffer({ offer: file.offer, topic: TOPIC });
  t.start();
  const plan = t.beginPlan(4);
  plan.peerHas(ADA, 0, new Uint8Array([0xff]));
  plan.next(ADA);
  t.beginCheck(0);
  assert.equal(t.hasOrIsWriting(0), true);
  assert.equal(t.isWriting(0), true, 'arrived: the stall watch leaves it alone');
  assert.equal(t.writingCount, 0);
  t.startWrite(1, file.chunk(1), CHUNK_SIZE, 0);
  t.written(1, t.fileName);
  for (const index of [2, 3]) {
    t.beginCheck(index);
    t.endCheck(index);
    plan.giveBack(ADA, index);
  }
  assert.equal(t.flushDue(16), false, 'chunk 0 is still being checked: it joins the batch');
  t.endCheck(0);
  assert.equal(t.hasOrIsWriting(0), false);
  plan.giveBack(ADA, 0);
  assert.equal(t.flushDue(16), true);
  t.beginCheck(5);
  t.cancel();
  assert.equal(t.isWriting(5), false, 'a cancel forgets the chunks being checked');
});

test('an offer in chunk format 2 keeps and restores its tree with that format', async () => {
  const { FORMAT_V1, FORMAT_V2 } = await import('../../static/app/files/chunk-formats.js');
  const leaves = Array.from({ length: 3 }, (_, i) => new Uint8Array(32).fill(i + 1));
  const tree = MerkleTree.fromLeaves(leaves, FORMAT_V2);
  assert.notDeepEqual(tree.root, MerkleTree.fromLeaves(leaves, FORMAT_V1).root);
  const offer = {
    name: 'data.bin', mime: '', chunk: CHUNK_SIZE, size: 3 * CHUNK_SIZE, root: toBase64Url(tree.root),
    key: toBase64Url(new Uint8Array(32).fill(9)), format: 2,
  };
  const t = Transfer.fromOffer({ offer, topic: TOPIC });
  assert.equal(t.format, FORMAT_V2);
  t.start();
  t.beginPlan(4);
  t.startWrite(1, { peerKey: ADA, leaf: tree.leaf(1), proof: tree.proof(1) }, CHUNK_SIZE, 0);
  t.written(1, t.fileName);
  assert.deepEqual(t.flushed(t.takeUnflushed()), [1]);
  const again = Transfer.fromOffer({ offer, record: structuredClone(t.toRecord()), topic: TOPIC });
  assert.equal(again.holds(1), true, 'the saved tree checks out with SHA-256');
  const cipher = await t.cipher();
  assert.equal(t.cipher(), t.cipher(), 'one key per transfer');
  const sealed = await cipher.seal(0, offer.size, new Uint8Array(CHUNK_SIZE));
  assert.equal(sealed.length, CHUNK_SIZE + 16);
});
