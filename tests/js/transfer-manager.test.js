// The file engine end to end in memory (docs/protocol.md §11): offers, verified chunks
// from several peers at once, a holder who got the file earlier serving it when the
// sender is gone, bad chunks rejected and fetched elsewhere, pause, and resume from the
// saved state without fetching a verified chunk twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { CHUNK_SIZE } from '../../static/app/files/chunk-crypto.js';
import { fileNameOf, mimeOf } from '../../static/app/files/transfer-manager.js';
import { filesRoom, randomBytes } from './files-fixture.js';

await sodiumReady;

const CHUNKS = 20;
const SIZE = CHUNK_SIZE * (CHUNKS - 1) + 1234;

async function stored(member, root) {
  const { fileName } = member.manager.transfers.get(root);
  return new Uint8Array(await (await member.files.file(fileName)).arrayBuffer());
}

async function offer(member, bytes, name = 'data.bin') {
  await member.manager.send([new File([bytes], name, { type: 'application/octet-stream' })]);
  return member.manager.transfers.roots().at(-1);
}

const done = (member, root) => () => member.manager.status(root)?.state === 'done';

// A room with Ada and Bob linked; `bobOptions` for Bob's member (files-fixture.js).
async function adaAndBob(bobOptions = {}) {
  const room = filesRoom();
  const ada = await room.member('ada');
  const bob = await room.member('bob', bobOptions);
  room.connect(ada, bob);
  return { room, ada, bob };
}

test('an offered file reaches another member byte for byte, verified and counted', async () => {
  const { room, ada, bob } = await adaAndBob();
  const bytes = randomBytes(SIZE);
  const root = await offer(ada, bytes);
  assert.equal(room.files.get(root).size, SIZE);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  const status = bob.manager.status(root);
  assert.equal(status.held, CHUNKS);
  assert.equal(status.received, CHUNKS);
  assert.equal(status.duplicates, 0);
  assert.equal(ada.manager.status(root).served, CHUNKS);
  const saved = [...bob.store.records.values()][0];
  assert.equal(saved.state, 'done');
});

test('an offer over the automatic download limit waits for Download', async () => {
  const { room, ada, bob } = await adaAndBob({ autoDownloadBytes: SIZE - 1 });
  const bytes = randomBytes(SIZE);
  const root = await offer(ada, bytes);
  // The offer handler decides at once: a download would have left 'offered' by now.
  await room.until(() => bob.manager.status(root)?.state === 'offered');
  assert.equal(bob.manager.status(root).held, 0);
  bob.manager.download(root);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
});

test('an empty file is one empty chunk and arrives too', async () => {
  const { room, ada, bob } = await adaAndBob();
  const root = await offer(ada, new Uint8Array(0), 'empty.txt');
  await room.until(done(bob, root));
  assert.equal((await stored(bob, root)).length, 0);
});

test('a download draws from every holder at once, and from a holder when the sender is gone', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const cyd = await room.member('cyd');
  room.connect(ada, cyd);
  const bytes = randomBytes(SIZE, 5);
  const root = await offer(ada, bytes);
  await room.until(done(cyd, root));

  const bob = await room.member('bob');
  room.connect(bob, ada);
  room.connect(bob, cyd);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  const fromAda = ada.manager.status(root).served - CHUNKS; // Ada served Cyd first
  const fromCyd = cyd.manager.status(root).served;
  assert.equal(fromAda + fromCyd, CHUNKS);
  assert.ok(fromAda > 0 && fromCyd > 0, `both served: ${fromAda} + ${fromCyd}`);

  room.leave(ada);
  const dan = await room.member('dan');
  room.connect(dan, cyd);
  await room.until(done(dan, root));
  assert.deepEqual(await stored(dan, root), bytes);
});

test('bad chunks are rejected, fetched from another holder, and the peer is not asked again', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const cyd = await room.member('cyd');
  room.connect(ada, cyd);
  const bytes = randomBytes(SIZE, 9);
  const root = await offer(ada, bytes);
  await room.until(done(cyd, root));

  const bob = await room.member('bob');
  room.connect(bob, ada);
  const { linkB: cydsLink } = room.connect(bob, cyd);
  // Cyd's side of the link flips a byte in the ciphertext of every chunk it sends Bob.
  for (const channel of cydsLink.channels) {
    channel.tamper = (data) => {
      if (data[0] === 4) data[data.length - 1] ^= 1;
      return data;
    };
  }
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  const status = bob.manager.status(root);
  // At most the chunks that were in flight at Cyd when the 4th bad one banned it.
  assert.ok(status.rejected >= 1 && status.rejected <= 16, `rejected ${status.rejected}`);
  assert.equal(status.duplicates, 0);
  assert.equal(status.banned.length, 1, 'Cyd is marked');
});

test('a transfer cut off continues from the saved chunks after a reload, none fetched twice', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  let bob = await room.member('bob');
  room.connect(ada, bob);
  const bytes = randomBytes(CHUNK_SIZE * 200, 3);
  const root = await offer(ada, bytes);
  await room.until(() => (bob.manager.status(root)?.held ?? 0) >= 40);
  // Bob's tab closes: what was saved stays (its stores), everything else is gone.
  const { files, store } = bob;
  const identity = bob.identity;
  room.leave(bob);
  await new Promise((resolve) => setTimeout(resolve, 400)); // the last save lands
  const saved = [...store.records.values()][0];
  const heldBefore = [...saved.tree.subarray(1, 26)].reduce((n, b) => n + popcount(b), 0);
  assert.ok(heldBefore >= 40 && heldBefore < 200, `held ${heldBefore}`);

  const servedBefore = ada.manager.status(root).served;
  bob = await room.member('bob', { identity, files, store });
  room.connect(ada, bob);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  const servedAfter = ada.manager.status(root).served - servedBefore;
  assert.ok(servedAfter <= 200 - heldBefore, `served ${servedAfter} again for ${200 - heldBefore} missing`);
  assert.equal(bob.manager.status(root).duplicates, 0);
});

test('pause stops asking, resume continues, cancel forgets the stored chunks', async () => {
  const { room, ada, bob } = await adaAndBob();
  const bytes = randomBytes(CHUNK_SIZE * 120, 4);
  const root = await offer(ada, bytes);
  await room.until(() => (bob.manager.status(root)?.held ?? 0) >= 10);
  bob.manager.pause(root);
  assert.equal(bob.manager.status(root).state, 'paused');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const held = bob.manager.status(root).held;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(bob.manager.status(root).held, held, 'nothing more arrives while paused');
  assert.ok(held < 120);
  bob.manager.resume(root);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  assert.equal(bob.manager.status(root).duplicates, 0);

  const second = await offer(ada, randomBytes(CHUNK_SIZE * 120, 6), 'second.bin');
  await room.until(() => (bob.manager.status(second)?.held ?? 0) >= 5);
  const { fileName } = bob.manager.transfers.get(second);
  await bob.manager.cancel(second);
  assert.equal(bob.manager.status(second).state, 'cancelled');
  assert.equal(bob.manager.status(second).held, 0);
  assert.equal(bob.files.data.has(fileName), false);
  bob.manager.download(second);
  await room.until(done(bob, second));
});

test('names keep their extension when cut, types are plain type/subtype or empty', () => {
  assert.equal(fileNameOf('a.txt'), 'a.txt');
  const long = fileNameOf(`${'x'.repeat(300)}.jpeg`);
  assert.equal([...long].length, 255);
  assert.ok(long.endsWith('.jpeg'));
  assert.equal(fileNameOf('  '), 'file');
  assert.equal(fileNameOf('bad\u0000name'), 'badname');
  assert.equal(mimeOf('image/PNG'), 'image/png');
  assert.equal(mimeOf('text/plain; charset=utf-8'), 'text/plain');
  assert.equal(mimeOf(''), '');
  assert.equal(mimeOf('nonsense'), '');
});

function popcount(byte) {
  let n = 0;
  for (let b = byte; b; b >>= 1) n += b & 1;
  return n;
}

test('chunks asked of a peer that never answers are taken back and asked again', async () => {
  const room = filesRoom({ stallMs: 200 });
  const ada = await room.member('ada');
  const bob = await room.member('bob');
  const { linkA: adasLink } = room.connect(ada, bob);
  // Ada's first answers to Bob's wants get lost on the way.
  let lost = 0;
  for (const channel of adasLink.channels) {
    channel.tamper = (data) => (data[0] === 4 && lost++ < 5 ? new Uint8Array([0xff]) : data);
  }
  const bytes = randomBytes(CHUNK_SIZE * 30, 8);
  const root = await offer(ada, bytes);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
});

test('an offer whose key does not open its file fails as a bad offer, and no peer is blamed', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const bytes = randomBytes(SIZE, 3);
  const root = await offer(ada, bytes);
  // The offer Bob finds names Ada's real root with another key: the chunks Ada serves
  // are exactly the ones the root names, but this key does not open them.
  room.files.set(root, { ...room.files.get(root), key: 'A'.repeat(43) });
  const bob = await room.member('bob');
  room.connect(ada, bob);
  await room.until(() => bob.manager.status(root)?.state === 'failed');
  const status = bob.manager.status(root);
  assert.equal(status.reason, 'bad_offer');
  assert.equal(status.rejected, 0, 'the chunks were faithful: no strike against Ada');
  assert.equal(bob.manager.transfers.get(root).plan, null);
});

test('written chunks are flushed in batches, the last ones once nothing else is on its way; the server reads spans', async () => {
  const room = filesRoom({ perPeer: 64 });
  const ada = await room.member('ada');
  const bob = await room.member('bob');
  room.connect(ada, bob);
  const count = 40;
  const bytes = randomBytes(CHUNK_SIZE * (count - 1) + 77, 11);
  const root = await offer(ada, bytes);
  let flushes = 0;
  const flush = bob.files.flush.bind(bob.files);
  bob.files.flush = (...args) => {
    flushes += 1;
    return flush(...args);
  };
  const reads = [];
  const read = ada.files.read.bind(ada.files);
  ada.files.read = (name, offset, length) => {
    reads.push(length);
    return read(name, offset, length);
  };
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  // 40 chunks: two full batches of 16 and the last 8 (more flushes if a batch ran short).
  assert.ok(flushes >= 3 && flushes <= 6, `flushes ${flushes}`);
  // Ada read 8 chunks at a time, not one.
  assert.ok(reads.length <= 6, `reads ${reads.length}`);
  assert.equal(reads.reduce((sum, length) => sum + length, 0), bytes.length);
});

test('a peer that asked about a file before we knew of it hears of our chunks once we fetch them', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const bytes = randomBytes(SIZE, 5);
  const root = await offer(ada, bytes);
  // Bob has not received the offer yet; Cyd has, and only Bob is linked to her.
  const bob = await room.member('bob', { offersLate: true });
  const cyd = await room.member('cyd');
  room.connect(bob, cyd); // Cyd asks Bob `have?`: Bob does not know the file yet
  room.connect(ada, bob);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(cyd.manager.status(root).held, 0);
  room.deliverOffers(bob);
  await room.until(done(cyd, root));
  assert.deepEqual(await stored(cyd, root), bytes);
});

// An offer an older client made: no `format`, so chunk format 1 (XChaCha20-Poly1305,
// BLAKE2b), served and fetched as before.
// An offer in a chunk format of the test's choosing, as a client that offers it would make.
async function offerInFormat(member, bytes, version) {
  const { prepareFile } = await import('../../static/app/files/prepare-file.js');
  const { chunkFormat } = await import('../../static/app/files/chunk-formats.js');
  const { Transfer } = await import('../../static/app/files/transfer.js');
  const { toBase64Url } = await import('../../static/app/crypto/bytes.js');
  const file = new File([bytes], 'old.bin');
  const prepared = await prepareFile({ file, files: member.files, name: `offer-${version}`, format: chunkFormat(version) });
  assert.equal(prepared.format, version);
  const offer = {
    name: 'old.bin', size: bytes.length, mime: '', chunk: CHUNK_SIZE, root: toBase64Url(prepared.root),
    key: toBase64Url(prepared.key), ...(version === 1 ? {} : { format: version }),
  };
  member.manager.transfers.add(Transfer.sent({
    offer: { ...offer, author: member.selfId }, topic: member.manager.topic, fileName: `offer-${version}`, tree: prepared.tree,
  }));
  await member.session.sendFile(offer);
  return offer.root;
}

test('new offers are in chunk format 1 for now, and an offer in format 2 downloads too', async () => {
  const { room, ada, bob } = await adaAndBob();
  const fresh = randomBytes(SIZE, 3);
  const root = await offer(ada, fresh);
  assert.equal(room.files.get(root).format, undefined, 'format 1 is said by leaving it out');
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), fresh);
  const later = randomBytes(SIZE, 4);
  const laterRoot = await offerInFormat(ada, later, 2);
  assert.equal(room.files.get(laterRoot).format, 2);
  await room.until(done(bob, laterRoot));
  assert.deepEqual(await stored(bob, laterRoot), later);
  assert.equal(bob.manager.status(laterRoot).rejected, 0);
  assert.equal(bob.manager.transfers.get(laterRoot).format.version, 2);
});

test('a chunk whose stored copy changed is not sealed and sent again: the peer hears lack', async (t) => {
  const warned = t.mock.method(console, 'warn', () => {});
  const { room, ada, bob } = await adaAndBob({ autoDownloadBytes: SIZE - 1 });
  const bytes = randomBytes(SIZE);
  const root = await offer(ada, bytes);
  await room.until(() => bob.manager.status(root)?.state === 'offered');
  const { fileName } = ada.manager.transfers.get(root);
  ada.files.data.get(fileName)[3 * CHUNK_SIZE + 10] ^= 1; // the copy chunk 3 is read from
  bob.manager.download(root);
  await room.until(() => bob.manager.status(root).held === CHUNKS - 1);
  assert.equal(bob.manager.status(root).rejected, 0, 'no chunk that fails its proof went out');
  assert.notEqual(bob.manager.status(root).state, 'done');
  assert.equal(ada.manager.status(root).served, CHUNKS - 1);
  assert.ok(warned.mock.calls.some(({ arguments: [text] }) => String(text).includes('chunk 3 no longer matches')));
});
