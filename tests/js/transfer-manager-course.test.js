// The course of a download as the TransferManager runs it (files/download-control.js,
// docs/protocol.md §11): a cancel that reaches peers and the saved state, a resume that
// keeps what is being written, a source lost or banned mid-way, and a stop that lets go
// of what it holds. In memory (tests/js/files-fixture.js); where a test needs the
// transfer to hold still, a member's file store keeps its writes or reads waiting until
// the test lets them go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { CHUNK_SIZE } from '../../static/app/files/chunk-crypto.js';
import { filesRoom, MemoryFiles, randomBytes } from './files-fixture.js';

await sodiumReady;

const CHUNKS = 20;
const SIZE = CHUNK_SIZE * (CHUNKS - 1) + 99;
const PER_PEER = 8; // the fixture's chunks in flight per peer
// File-channel frame types as sent on the wire (files/file-frames.js).
const WANT = 3;
const CANCEL = 6;

// A file store whose writes or reads wait, while held, until release().
class HeldFiles extends MemoryFiles {
  holdWrites = false;
  holdReads = false;
  #waiting = [];

  async write(...args) {
    if (this.holdWrites) await new Promise((resolve) => this.#waiting.push(resolve));
    return super.write(...args);
  }

  async read(...args) {
    if (this.holdReads) await new Promise((resolve) => this.#waiting.push(resolve));
    return super.read(...args);
  }

  release() {
    this.holdWrites = false;
    this.holdReads = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

async function offer(member, bytes, name = 'data.bin') {
  await member.manager.send([new File([bytes], name)]);
  return member.manager.transfers.roots().at(-1);
}

async function stored(member, root) {
  const { fileName } = member.manager.transfers.get(root);
  return new Uint8Array(await (await member.files.file(fileName)).arrayBuffer());
}

const done = (member, root) => () => member.manager.status(root)?.state === 'done';
const linkTo = (member, other) => [...member.manager.links].find((link) => link.peerKey === other.selfId);
// How many frames of `type` `member` sent on its newest link to `other`.
const framesTo = (member, other, type) => linkTo(member, other).channel.out.sent.filter((sent) => sent === type).length;
// Every queued callback and promise has run (the fixture's channels deliver on setImmediate).
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('cancel tells every peer to stop, saves the cancelled state and says so', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const bob = await room.member('bob');
  room.connect(ada, bob);
  const root = await offer(ada, randomBytes(CHUNK_SIZE * 120, 4));
  await room.until(() => (bob.manager.status(root)?.held ?? 0) >= 5);
  const changes = [];
  bob.manager.addEventListener('change', ({ detail }) => changes.push(detail.root));
  const cancelsBefore = framesTo(bob, ada, CANCEL);

  await bob.manager.cancel(root);
  await settle();
  assert.equal(framesTo(bob, ada, CANCEL), cancelsBefore + 1, 'Ada drops what she was serving');
  assert.ok(changes.includes(root), 'the card hears of it');
  const saved = [...bob.store.records.values()].find((record) => record.root === root);
  assert.deepEqual([saved.state, saved.fileName], ['cancelled', null], 'a reload does not bring it back');
});

test('a peer banned for malformed frames is asked for no chunk of any file; another holder serves it', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const bob = await room.member('bob');
  const cyd = await room.member('cyd');
  room.connect(ada, bob);
  // Ada's side of the link sends Bob seventeen frames of no known type: a ban, for this session.
  for (let i = 0; i < 17; i++) linkTo(ada, bob).channel.out.send(new Uint8Array([0xff]));
  await room.until(() => bob.warnings.length > 0);
  assert.deepEqual(bob.warnings, ['malformed'], 'the user hears it once');

  room.connect(ada, cyd);
  const bytes = randomBytes(SIZE, 8);
  const root = await offer(ada, bytes);
  await room.until(done(cyd, root));
  await room.until(() => linkTo(bob, ada).has.get(root) === true); // Ada said she holds it
  await settle();
  assert.equal(framesTo(bob, ada, WANT), 0, 'Bob asks Ada for nothing');
  assert.equal(ada.manager.status(root).served, CHUNKS, 'Ada served Cyd only');

  room.connect(bob, cyd);
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  assert.equal(ada.manager.status(root).served, CHUNKS);
});

test('a resume does not ask again for chunks that came before the pause and are being written', async () => {
  const room = filesRoom();
  const ada = await room.member('ada');
  const files = new HeldFiles();
  const bob = await room.member('bob', { files });
  room.connect(ada, bob);
  const bytes = randomBytes(SIZE, 2);
  files.holdWrites = true;
  const root = await offer(ada, bytes);
  const transfer = () => bob.manager.transfers.get(root);
  // Every chunk Bob asked for came and waits for the disk; nothing else is on its way.
  await room.until(() => transfer()?.writingCount === PER_PEER);
  const wants = framesTo(bob, ada, WANT);

  bob.manager.pause(root);
  bob.manager.resume(root);
  assert.equal(framesTo(bob, ada, WANT), wants, 'nothing asked again');
  files.release();
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  assert.equal(bob.manager.status(root).duplicates, 0);
  assert.equal(ada.manager.status(root).served, CHUNKS, 'each chunk served once');
});

test('when a source\'s link closes, what was asked of it is asked of another holder at once', async () => {
  const room = filesRoom({ stallMs: 3_600_000 }); // no stall check frees those chunks in this test
  const ada = await room.member('ada');
  const cydsFiles = new HeldFiles();
  const cyd = await room.member('cyd', { files: cydsFiles });
  room.connect(ada, cyd);
  const bytes = randomBytes(SIZE, 6);
  const root = await offer(ada, bytes);
  await room.until(done(cyd, root));

  cydsFiles.holdReads = true; // Cyd is asked, and never answers
  const bob = await room.member('bob');
  room.connect(bob, ada);
  room.connect(bob, cyd);
  const transfer = () => bob.manager.transfers.get(root);
  const askedOf = (member) => transfer()?.plan?.inFlightChunks(member.selfId) ?? [];
  // Ada's chunks are written and wait for a flush that waits for Cyd's: Bob is stuck.
  await room.until(() => askedOf(cyd).length > 0 && askedOf(ada).length > 0
    && transfer().unflushedCount === askedOf(ada).length);

  room.disconnect(bob, cyd);
  assert.deepEqual(askedOf(cyd), [], 'nothing left waiting on Cyd');
  await room.until(done(bob, root));
  assert.deepEqual(await stored(bob, root), bytes);
  assert.equal(bob.manager.status(root).duplicates, 0);
  cydsFiles.release();
});

test('stopping lets go of the object URL of a finished file', async (t) => {
  const revoked = [];
  t.mock.method(URL, 'revokeObjectURL', (url) => revoked.push(url));
  const room = filesRoom();
  const ada = await room.member('ada');
  const bob = await room.member('bob');
  room.connect(ada, bob);
  const root = await offer(ada, randomBytes(CHUNK_SIZE + 5, 3));
  await room.until(done(bob, root));
  const { url } = await bob.manager.fileOf(root);
  assert.deepEqual(revoked, []);
  room.leave(bob); // the room is closed: its manager stops
  await settle();
  assert.deepEqual(revoked, [url]);
});
