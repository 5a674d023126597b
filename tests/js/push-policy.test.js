// Who is woken and what a received wake shows (docs/protocol.md §10): the notification
// levels, mentions, the one-a-minute limit, and the notification's words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allowsWake, mentions, notifyLevelOf, wakeKindFor,
} from '../../static/app/push/notify-levels.js';
import { WakeLimiter } from '../../static/app/push/wake-limiter.js';
import { wakeNotification } from '../../static/app/push/wake-notification.js';

test('a mention is the display name after an @, in any case', () => {
  assert.ok(mentions('hi @Bob!', 'Bob'));
  assert.ok(mentions('@bob', 'Bob'));
  assert.ok(mentions('ping @ADA LOVELACE now', 'Ada Lovelace'));
  assert.equal(mentions('Bob, hi', 'Bob'), false, 'no @');
  assert.equal(mentions('@ Bob', 'Bob'), false);
  assert.equal(mentions('@Bo', 'Bob'), false);
  assert.equal(mentions('@Bob', ''), false);
  assert.equal(mentions('@Bob', null), false);
  assert.equal(mentions('hi @Adam', 'Ada'), false, 'not inside a longer name');
  assert.equal(mentions('mail me@bob.example', 'Bob'), false, 'not inside a word');
  assert.ok(mentions('hi @Adam and @Ada', 'Ada'), 'a later whole mention counts');
});

test('the sender wakes for all, for mentions only when mentioned, never for none', () => {
  assert.equal(wakeKindFor('all', 'hello', 'Bob'), 'message');
  assert.equal(wakeKindFor('all', 'hello @bob', 'Bob'), 'mention');
  assert.equal(wakeKindFor('mentions', 'hello', 'Bob'), null);
  assert.equal(wakeKindFor('mentions', 'hello @Bob', 'Bob'), 'mention');
  assert.equal(wakeKindFor('none', 'hello @Bob', 'Bob'), null);
  assert.equal(wakeKindFor('loud', 'hello', 'Bob'), null);
});

test('the receiver decides by its own level', () => {
  assert.ok(allowsWake('all', 'message'));
  assert.ok(allowsWake('all', 'mention'));
  assert.equal(allowsWake('mentions', 'message'), false);
  assert.ok(allowsWake('mentions', 'mention'));
  assert.equal(allowsWake('none', 'mention'), false);
  assert.equal(notifyLevelOf({}), 'all', 'all by default');
  assert.equal(notifyLevelOf({ notify: 'none' }), 'none');
  assert.equal(notifyLevelOf({ notify: 'bogus' }), 'all');
  assert.equal(notifyLevelOf(null), 'all');
});

test('one wake per key a minute', () => {
  let now = 0;
  const limiter = new WakeLimiter({ intervalMs: 60_000, now: () => now });
  assert.ok(limiter.take('room|bob'));
  assert.equal(limiter.take('room|bob'), false);
  assert.ok(limiter.take('room|cyd'), 'another member has its own budget');
  assert.ok(limiter.take('other|bob'), 'another room too');
  now = 59_999;
  assert.equal(limiter.take('room|bob'), false);
  now = 60_000;
  assert.ok(limiter.take('room|bob'));
});

test('the limiter forgets old keys instead of growing without end', () => {
  let now = 0;
  const limiter = new WakeLimiter({ intervalMs: 10, now: () => now });
  for (let i = 0; i < 5000; i++) {
    now = i * 20;
    limiter.take(`key ${i}`);
  }
  assert.ok(limiter.lastWake.size <= 4097);
});

const ROOM = { topic: 'T'.repeat(43), name: 'Tea' };
const WAKE = { room: ROOM.topic, from: 'F'.repeat(43), kind: 'message', text: 'the secret plan', ts: 5 };

test('a notification names the room and the sender, not the text unless opted in', () => {
  const { title, options } = wakeNotification({ wake: WAKE, room: ROOM, senderName: 'Ada' });
  assert.equal(title, 'Tea');
  assert.equal(options.body, 'Ada sent a message');
  assert.equal(options.tag, ROOM.topic);
  assert.deepEqual(options.data, { room: ROOM.topic });
  assert.ok(!JSON.stringify(options).includes('secret'));
  const mention = wakeNotification({ wake: { ...WAKE, kind: 'mention' }, room: ROOM, senderName: 'Ada' });
  assert.equal(mention.options.body, 'Ada mentioned you');
  const preview = wakeNotification({ wake: WAKE, room: ROOM, senderName: 'Ada', preview: true });
  assert.equal(preview.options.body, 'Ada: the secret plan');
  const stranger = wakeNotification({ wake: WAKE, room: ROOM, senderName: undefined });
  assert.equal(stranger.options.body, 'Someone sent a message');
});

test('no notification for a room this device lacks or whose level forbids it', () => {
  assert.equal(wakeNotification({ wake: WAKE, room: null, senderName: 'Ada' }), null);
  assert.equal(wakeNotification({ wake: WAKE, room: { ...ROOM, notify: 'none' }, senderName: 'Ada' }), null);
  assert.equal(wakeNotification({ wake: WAKE, room: { ...ROOM, notify: 'mentions' }, senderName: 'Ada' }), null);
  assert.ok(wakeNotification({ wake: { ...WAKE, kind: 'mention' }, room: { ...ROOM, notify: 'mentions' }, senderName: 'Ada' }));
});

test('a wake that was never sent gives its minute back', () => {
  const limiter = new WakeLimiter({ now: () => 0 });
  assert.ok(limiter.take('room|bob'));
  limiter.giveBack('room|bob');
  assert.ok(limiter.take('room|bob'));
});

test('#open=<room> names a well-formed topic, or nothing', async () => {
  const { roomToOpen } = await import('../../static/app/room/rooms.js');
  const topic = `${'A'.repeat(42)}E`;
  assert.equal(roomToOpen(`#open=${topic}`), topic);
  assert.equal(roomToOpen(`open=${topic}`), topic);
  for (const hash of ['', '#', '#open=', `#open=${topic.slice(1)}`, `#join=${topic}`, '#open=<script>']) {
    assert.equal(roomToOpen(hash), null, hash);
  }
});
