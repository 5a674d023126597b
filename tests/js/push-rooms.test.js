// Mailboxes in rooms and waking (docs/protocol.md §7 `mailbox`, §10): a member tells the
// room where to wake it, a restored device waits until it may write, and a sender wakes
// exactly the members who want it and are away.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64Url } from '../../static/app/crypto/bytes.js';
import { createMailboxKeys, mailboxId } from '../../static/app/push/mailbox-keys.js';
import { RoomWaker } from '../../static/app/push/room-waker.js';
import { openWake } from '../../static/app/push/wake.js';
import { WakeLimiter } from '../../static/app/push/wake-limiter.js';
import { createRoom, link, person, sessionFor, settle, unlink } from './in-memory-room.js';

const ownMailboxEntries = (side) => side.session.log.records()
  .filter((r) => r.author === side.id && r.body.type === 'mailbox');

class RecordingSignaling {
  constructor() {
    this.wakes = [];
  }
  async wake(mailbox, blob) {
    this.wakes.push({ mailbox, blob });
    return { mailbox, delivered: 1 };
  }
}

async function roomOfTwo() {
  const room = createRoom('Tea');
  const ada = await sessionFor(person('Ada'), room);
  const bob = await sessionFor(person('Bob'), room);
  return { room, ada, bob };
}

test('a mailbox entry is written once per change and reaches the others', async () => {
  const { ada, bob } = await roomOfTwo();
  const mailbox = toBase64Url(createMailboxKeys().publicKey);
  bob.session.setMailbox({ mailbox, notify: 'all' });
  bob.session.setMailbox({ mailbox, notify: 'all' });
  await settle();
  assert.equal(ownMailboxEntries(bob).length, 1, 'the same announcement twice is one entry');
  bob.session.setMailbox({ mailbox, notify: 'mentions' });
  await settle();
  assert.equal(ownMailboxEntries(bob).length, 2);
  link(ada, bob);
  await settle();
  assert.deepEqual(ada.session.view.mailboxes.get(bob.id), { mailbox, notify: 'mentions' });
  assert.equal(ada.session.view.messages.length, 0, 'not a chat message');
  assert.equal(ada.session.peerList()[0].notify, 'mentions');
});

test('a restored device announces its mailbox only once it holds its own log again', async () => {
  const { room, ada, bob } = await roomOfTwo();
  await ada.session.send('before the restore');
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  const head = ada.session.log.headId(ada.id);
  const restored = { ...room, restored: { ownLength: 2, ownHead: head } };
  const again = await sessionFor(ada.session.identity, restored);
  const mailbox = toBase64Url(createMailboxKeys().publicKey);
  again.session.setMailbox({ mailbox, notify: 'all' });
  await settle();
  assert.equal(again.session.log.length(again.id), 0, 'nothing written before catching up');
  link(again, bob);
  await settle(10);
  assert.equal(again.session.log.isForked(again.id), false);
  const mine = ownMailboxEntries(again);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].seq, 2, 'appended after the restored log, never forking it');
});

test('the sender wakes members away from it, by their level, once a minute', async () => {
  const room = createRoom('Tea');
  const ada = await sessionFor(person('Ada'), room);
  const bob = await sessionFor(person('Bob'), room);
  const cyd = await sessionFor(person('Cyd'), room);
  const bobMailbox = createMailboxKeys();
  const cydMailbox = createMailboxKeys();
  bob.session.setMailbox({ mailbox: toBase64Url(bobMailbox.publicKey), notify: 'all' });
  cyd.session.setMailbox({ mailbox: toBase64Url(cydMailbox.publicKey), notify: 'mentions' });
  await settle();
  // Ada learns both mailboxes (one link at a time: the in-memory swarm has one peer).
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  link(ada, cyd);
  await settle();
  unlink(ada, cyd);
  assert.equal(ada.session.view.mailboxes.size, 2);

  let now = 1_000_000;
  const signaling = new RecordingSignaling();
  const waker = new RoomWaker({
    identity: ada.session.identity, signaling, now: () => now,
    limiter: new WakeLimiter({ now: () => now }),
  });
  const sent = await ada.session.send('tea at five');
  assert.equal(await waker.afterOwnEntry(ada.session, sent), 1, 'Bob (all), not Cyd (mentions)');
  const [wake] = signaling.wakes;
  assert.equal(wake.mailbox, toBase64Url(mailboxId(bobMailbox.publicKey)));
  assert.deepEqual(openWake(wake.blob, { mailbox: bobMailbox }), {
    room: room.topic, from: ada.id, kind: 'message', text: 'tea at five', ts: now,
  });
  // The sealed bytes do not hold the text. (Not a search of the base64 string: three
  // letters turn up in 1,400 random base64 characters about once in 180 runs.)
  const sealed = Buffer.from(fromBase64Url(wake.blob));
  assert.ok(!sealed.includes(Buffer.from('tea at five')), 'nothing readable travels');

  const again = await ada.session.send('@cyd and @Bob, tea?');
  assert.equal(await waker.afterOwnEntry(ada.session, again), 1, 'Bob was woken a moment ago; Cyd is mentioned');
  assert.equal(openWake(signaling.wakes[1].blob, { mailbox: cydMailbox }).kind, 'mention');

  now += 60_000;
  link(ada, bob);
  await settle();
  const third = await ada.session.send('@Bob you there?');
  assert.equal(await waker.afterOwnEntry(ada.session, third), 0, 'Bob has a ready link; Cyd is not mentioned');

  const edit = await ada.session.edit(third.id, 'fixed');
  assert.equal(await waker.afterOwnEntry(ada.session, edit), 0, 'only messages wake');
});

test('members whose level is none, or whose mailbox is not a key, are not woken', async () => {
  const { ada, bob } = await roomOfTwo();
  bob.session.setMailbox({ mailbox: toBase64Url(createMailboxKeys().publicKey), notify: 'none' });
  await settle();
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  const signaling = new RecordingSignaling();
  const waker = new RoomWaker({ identity: ada.session.identity, signaling });
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('hello @Bob')), 0);

  // 32 bytes that are no point of the curve: building the wake fails, quietly.
  bob.session.setMailbox({ mailbox: toBase64Url(new Uint8Array(32).fill(0xff)), notify: 'all' });
  await settle();
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('hello again')), 0);
  assert.equal(signaling.wakes.length, 0);
});

test('a refused wake is not an error the sender sees', async () => {
  const { ada, bob } = await roomOfTwo();
  bob.session.setMailbox({ mailbox: toBase64Url(createMailboxKeys().publicKey), notify: 'all' });
  await settle();
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  const warnings = [];
  const signaling = { wake: async () => { throw Object.assign(new Error('x'), { code: 'wake_rate_limited' }); } };
  const waker = new RoomWaker({ identity: ada.session.identity, signaling, log: { warn: (w) => warnings.push(w) } });
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('hi')), 0);
  assert.deepEqual(warnings, []);
});

test('without a server connection the wake is retried with the next message', async () => {
  const { ada, bob } = await roomOfTwo();
  bob.session.setMailbox({ mailbox: toBase64Url(createMailboxKeys().publicKey), notify: 'all' });
  await settle();
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  let online = false;
  const signaling = {
    wakes: 0,
    async wake() {
      if (!online) throw Object.assign(new Error('offline'), { code: 'offline' });
      this.wakes++;
      return { delivered: 1 };
    },
  };
  const waker = new RoomWaker({ identity: ada.session.identity, signaling });
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('one')), 0);
  online = true;
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('two')), 1);
  assert.equal(await waker.afterOwnEntry(ada.session, await ada.session.send('three')), 0, 'then once a minute');
});

test('a mention wakes by the name chosen, also when two share it, and never someone who left', async () => {
  const room = createRoom('Tea');
  const ada = await sessionFor(person('Ada'), room);
  const bobs = [await sessionFor(person('Bob'), room), await sessionFor(person('Bob'), room)];
  const boxes = bobs.map(() => createMailboxKeys());
  bobs.forEach((bob, i) => bob.session.setMailbox({ mailbox: toBase64Url(boxes[i].publicKey), notify: 'mentions' }));
  await settle();
  for (const bob of bobs) {
    link(ada, bob);
    await settle();
    unlink(ada, bob);
  }
  assert.match(ada.session.memberName(bobs[0].id), /^Bob \(/, 'the room tells the two apart');
  const signaling = new RecordingSignaling();
  const waker = new RoomWaker({ identity: ada.session.identity, signaling, now: () => 1_000_000 });
  const sent = await ada.session.send('@Bob tea?');
  assert.equal(await waker.afterOwnEntry(ada.session, sent), 2);

  await bobs[1].session.leave();
  link(ada, bobs[1]);
  await settle();
  unlink(ada, bobs[1]);
  const later = new RoomWaker({ identity: ada.session.identity, signaling, now: () => 2_000_000 });
  const again = await ada.session.send('@Bob still there?');
  assert.equal(await later.afterOwnEntry(ada.session, again), 1, 'not the Bob who left');
});

async function withMirror({ lagging }) {
  const { ada, bob } = await roomOfTwo();
  const bobMailbox = createMailboxKeys();
  bob.session.setMailbox({ mailbox: toBase64Url(bobMailbox.publicKey), notify: 'all' });
  await settle();
  link(ada, bob);
  await settle();
  unlink(ada, bob);
  const mirror = { isMirror: true, state: 'ready', identity: new Uint8Array(32).fill(9) };
  const handed = [];
  const { swarm } = ada.session;
  const readyPeers = swarm.readyPeers.bind(swarm);
  swarm.readyPeers = () => [...readyPeers(), mirror];
  swarm.sendTo = (peer, frame) => peer === mirror && handed.push(frame) > 0;
  // What the mirror's heads said it holds: all of the room so far, or one entry less.
  const heads = new Map(ada.session.log.heads().map(({ author, length }) => [author, { length }]));
  if (lagging) heads.set(bob.id, { length: heads.get(bob.id).length - 1 });
  ada.session.replicators.set(mirror, { remoteHeads: heads, pushOwn: () => {} });
  const signaling = new RecordingSignaling();
  const waker = new RoomWaker({ identity: ada.session.identity, signaling });
  const sent = await ada.session.send('tea at five');
  assert.equal(await waker.afterOwnEntry(ada.session, sent), 1);
  return { handed, signaling, sent, bobMailbox };
}

test('with a blind mirror linked, the wake goes to the mirror, which pushes it once it holds the entry', async () => {
  const { handed, signaling, sent, bobMailbox } = await withMirror({ lagging: false });
  assert.equal(signaling.wakes.length, 0, 'nothing through the server from this device');
  const [frame] = handed;
  assert.deepEqual(Object.keys(frame).sort(), ['blob', 'entry', 'mailbox', 't']);
  assert.equal(frame.t, 'wake');
  assert.equal(frame.entry, sent.id);
  assert.equal(frame.mailbox, toBase64Url(mailboxId(bobMailbox.publicKey)));
  assert.equal(openWake(frame.blob, { mailbox: bobMailbox }).text, 'tea at five');
});

test('a mirror that lags behind might never hold the entry: the member is woken directly', async () => {
  const { handed, signaling } = await withMirror({ lagging: true });
  assert.deepEqual(handed, []);
  assert.equal(signaling.wakes.length, 1);
});

test('in a big room only a mention wakes: most members without a link to us are there', () => {
  const waker = new RoomWaker({ identity: person('Ada'), signaling: new RecordingSignaling() });
  const mailbox = toBase64Url(createMailboxKeys().publicKey);
  const session = (big) => ({
    isBig: () => big,
    swarm: { readyPeers: () => [] },
    view: {
      mailboxes: new Map([['bob', { mailbox, notify: 'all' }], ['cyd', { mailbox, notify: 'all' }]]),
      names: new Map([['bob', 'Bob'], ['cyd', 'Cyd']]), left: new Set(),
    },
    memberName: (id) => id,
  });
  const record = { author: waker.selfId, body: { type: 'message', text: 'tea, @Cyd?' } };
  assert.deepEqual(waker.recipients(session(false), record).map((r) => [r.member, r.kind]), [['bob', 'message'], ['cyd', 'mention']]);
  assert.deepEqual(waker.recipients(session(true), record).map((r) => [r.member, r.kind]), [['cyd', 'mention']]);
});

test('a removed member is not woken (docs/protocol.md §7 "Moderation")', () => {
  const waker = new RoomWaker({ identity: person('Ada'), signaling: new RecordingSignaling() });
  const mailbox = toBase64Url(createMailboxKeys().publicKey);
  const session = {
    isBig: () => false,
    swarm: { readyPeers: () => [] },
    view: {
      mailboxes: new Map([['bob', { mailbox, notify: 'all' }], ['cyd', { mailbox, notify: 'all' }]]),
      names: new Map([['bob', 'Bob'], ['cyd', 'Cyd']]), left: new Set(),
      moderation: { roleOf: (id) => (id === 'cyd' ? 'removed' : 'member') },
    },
    memberName: (id) => id,
  };
  const record = { author: waker.selfId, body: { type: 'message', text: 'tea, @Cyd?' } };
  assert.deepEqual(waker.recipients(session, record).map((r) => r.member), ['bob']);
});
