// What a room looks like, derived from its entries (docs/protocol.md §7, §8). Pure: the
// same records give the same state on every device, whatever order they arrived in.
//
//   buildRoomState(records, { selfId, moderation }) -> { messages, timeline, names, members,
//       mailboxes, files, roomName, left, lastActive, readUpTo, settings, refused, moderation }
//     messages: in room order, each { id, author, ts, clock, text, edited, deleted,
//               reply: null | { id, author, text, deleted }, reactions: [{ emoji, count,
//               mine, authors }] }
//     names:    Map author -> latest `name` or `join` name
//     members:  Set of authors with any entry, in order of their first entry
//     mailboxes: Map author -> { mailbox, notify } of their latest `mailbox` entry in
//               room order (§10: where and when to wake them); not a chat message
//     files:    Map root -> { id, author, ts, name, size, mime, chunk, root, key } of the
//               room's `file` entries (§11), the first offer of a root in room order,
//               unless that offer was deleted (by its author, or by a moderator).
//               A file entry is also a message with text null and `file` set; edits
//               and reactions have no effect on it (they apply to `message`s);
//               a reply to it carries `fileName`.
//     The `call` entries of one call (started, joined, ended, §6 Calls) make one item of
//     `messages`, at the place of the first of them, with text null and `call` set to
//     { call, video, starter, startedAt, joined: [authors], ended, duration } (starter
//     and startedAt null until the `started` entry is held; duration null until an
//     `ended` one is). It is history, not a chat message: edits, deletes, reactions and
//     replies have no effect on it (a reply to it shows as a reply to an entry that is
//     not a message).
//     timeline: `messages` and, in their place, the `join`, `leave` and `room` entries,
//               each with text null and `event` set to { type: 'join' | 'leave' } or
//               { type: 'room', name }: history lines ("Bob joined", "Ada renamed the
//               room"), which nothing changes
//     roomName: the name of the latest `room` entry in room order, or null
//     left:     Set of authors whose latest `join` or `leave` is a `leave`
//     lastActive: Map author -> the latest `ts` among their entries
//     readUpTo: Map author -> the highest `upTo` of their `read` receipts
//     moderation: the room's roles and removals (room/moderation.js, from the log);
//               the `role` and `remove` entries that counted are history lines too
//               ({ type: 'role', member, role } or { type: 'remove', member })
//     settings: { description, posting, slowMode, disappear } (room/room-rules.js); in a
//               founded room `room` and `settings` entries count only from admins. A
//               `settings` history line's event also says which keys it `changed`.
//     deviceNames: Map device key id -> the name its `device` entry gave it; a `revoke`
//               that counted (`revocations`, room/revocations.js) is a history line
//     devices:  Map device key id -> identity id: the linked devices (§13 `device`
//               entries); everything else here names the identity, so a person with
//               several devices is one author, one member, one name (mailboxes alone
//               stay per device: each is woken on its own)
//     Stubs of expired entries (body null, §7 "Disappearing messages") show nowhere; a
//     reply to one has `expired: true`.
//     A `payment` entry (§7 "Payments") is a message with text null and `payment` set
//     (payments/payment-state.js: the request, its `receipts`, `refusedReceipts` and
//     `received`); a `paid` or `received` entry that counts for its request is a history
//     line ({ type: 'paid', request, proven } or { type: 'received', request }).
//     refused:  [{ id, author, reason }]: messages and files the room's rules refuse
//               ('moderators_only', 'slow_mode'); they are not shown
//
// Rules: edits and deletes count only from the author of the target (a delete also from
// whoever is a moderator or admin at its place in room order: `deleted` with
// `removedBy`), and only on `message` entries; the latest edit in room order wins and a delete beats every edit
// (its text becomes null, and its reactions are hidden with it). For reactions, the last
// entry per (author, target, emoji) in room order decides. A reply whose target is not a
// message this device holds shows { id, author: null, text: null, deleted: false }.
//
// One sort and two passes over maps, so 10,000 entries stay cheap.
import { addReceipt, markReceived, paymentCard } from '../payments/payment-state.js';
import { evaluateModeration, isModerator } from './moderation.js';
import { orderEntries } from './order.js';
import { RoomRules } from './room-rules.js';

function reactionList(byEmoji, selfId) {
  const list = [];
  for (const [emoji, byAuthor] of byEmoji) {
    const authors = [...byAuthor].filter(([, on]) => on).map(([author]) => author);
    if (authors.length > 0) {
      list.push({ emoji, count: authors.length, mine: authors.includes(selfId), authors });
    }
  }
  return list;
}

// One history line per call, however many devices wrote about it: who started it, who
// joined, and, once the last one out wrote `ended`, how long it lasted (the longest
// figure, should two devices each think they were last).
function addCallEvent(summary, author, ts, { event, video, duration }) {
  if (event === 'started' && summary.starter === null) {
    summary.starter = author;
    summary.startedAt = ts;
    summary.video = video;
  } else if (event === 'joined' && author !== summary.starter && !summary.joined.includes(author)) {
    summary.joined.push(author);
  } else if (event === 'ended') {
    summary.ended = true;
    summary.duration = Math.max(summary.duration ?? 0, duration);
  }
}

const historyLine = (id, author, ts, clock, event) => ({
  id, author, ts, clock, text: null, edited: false, deleted: false, reply: null, reactions: new Map(), event,
});

export function buildRoomState(records, { selfId = null, moderation = evaluateModeration([], null), revocations = new Map() } = {}) {
  const ordered = orderEntries(records);
  const rules = new RoomRules(moderation);
  const refused = [];
  const messages = new Map(); // id -> message under construction
  const names = new Map();
  const members = new Set();
  const mailboxes = new Map();
  const files = new Map();
  const calls = new Map(); // call id -> its one summary
  const left = new Set();
  const lastActive = new Map(); // author -> ts of their latest entry
  const readUpTo = new Map();
  const expired = new Set();
  const devices = new Map();
  const deviceNames = new Map();
  for (const { author, body } of records) {
    if (body?.type !== 'device') continue;
    devices.set(author, body.identity);
    deviceNames.set(author, body.name);
  }
  const personOf = (author) => devices.get(author) ?? author;
  let roomName = null;

  for (const record of ordered) {
    const { id, ts, clock, body } = record;
    const author = personOf(record.author);
    members.add(author);
    if (body === null) {
      expired.add(id);
      continue;
    }
    lastActive.set(author, Math.max(lastActive.get(author) ?? 0, ts));
    const refusal = rules.refusal(record);
    if (refusal) {
      refused.push({ id, author, reason: refusal });
    } else if (body.type === 'role' || body.type === 'remove') {
      if (moderation.applied?.has(id)) {
        messages.set(id, historyLine(id, author, ts, clock, { type: body.type, member: body.member, role: body.role ?? null }));
      }
    } else if (body.type === 'settings') {
      if (rules.take(record)) {
        messages.set(id, historyLine(id, author, ts, clock, { type: 'settings', ...rules.settings, changed: rules.changed }));
      }
    } else if (body.type === 'message') {
      messages.set(id, {
        id, author, ts, clock, text: body.text, edited: false, deleted: false,
        reply: body.reply ?? null, reactions: new Map(), expires: record.expires ?? null,
      });
    } else if (body.type === 'file') {
      const file = {
        name: body.name, size: body.size, mime: body.mime, chunk: body.chunk, root: body.root, key: body.key,
        ...(body.format !== undefined && { format: body.format }),
      };
      messages.set(id, {
        id, author, ts, clock, text: null, edited: false, deleted: false, reply: null, reactions: new Map(), file,
        expires: record.expires ?? null,
      });
      if (!files.has(body.root)) files.set(body.root, { id, author, ts, expires: record.expires ?? null, ...file });
    } else if (body.type === 'payment') {
      messages.set(id, {
        id, author, ts, clock, text: null, edited: false, deleted: false, reply: null, reactions: new Map(),
        payment: paymentCard(body, author),
      });
    } else if (body.type === 'paid' || body.type === 'received') {
      // Shown only if it counts for its request (the second pass decides).
      messages.set(id, historyLine(id, author, ts, clock, { type: body.type, request: body.request, counted: false }));
    } else if (body.type === 'call') {
      let summary = calls.get(body.call);
      if (!summary) {
        summary = { call: body.call, video: body.video, starter: null, startedAt: null, joined: [], ended: false, duration: null };
        calls.set(body.call, summary);
        messages.set(id, {
          id, author, ts, clock, text: null, edited: false, deleted: false, reply: null, reactions: new Map(), call: summary,
        });
      }
      addCallEvent(summary, author, ts, body);
    } else if (body.type === 'room' && !rules.take(record)) {
      // A rename by someone who is not an admin of a founded room counts for nothing.
    } else if (body.type === 'join' || body.type === 'leave' || body.type === 'room') {
      if (body.type === 'join') names.set(author, body.name);
      if (body.type === 'join') left.delete(author);
      if (body.type === 'leave') left.add(author);
      if (body.type === 'room') roomName = body.name;
      const event = body.type === 'room' ? { type: 'room', name: body.name } : { type: body.type };
      messages.set(id, {
        id, author, ts, clock, text: null, edited: false, deleted: false, reply: null, reactions: new Map(), event,
      });
    } else if (body.type === 'name') {
      names.set(author, body.name);
    } else if (body.type === 'read') {
      readUpTo.set(author, Math.max(readUpTo.get(author) ?? 0, body.upTo));
    } else if (body.type === 'mailbox') {
      // An author's clocks only grow, so in room order the last one is the latest.
      mailboxes.set(record.author, { mailbox: body.mailbox, notify: body.notify });
    } else if (body.type === 'device') {
      messages.set(id, historyLine(id, author, ts, clock, { type: 'device', name: body.name }));
    } else if (body.type === 'revoke') {
      const counted = revocations.get(body.device)?.at;
      if (counted?.author === record.author && counted.seq === record.seq) {
        messages.set(id, historyLine(id, author, ts, clock, { type: 'revoke', device: body.device, name: deviceNames.get(body.device) ?? null }));
      }
    }
  }

  // A second pass, so a change applies whatever its clock says about its target.
  for (const record of ordered) {
    const { body } = record;
    const author = personOf(record.author);
    if (body === null) continue;
    if (body.type === 'paid' || body.type === 'received') {
      const { payment } = messages.get(body.request) ?? {};
      const line = messages.get(record.id).event;
      if (payment && body.type === 'paid') {
        line.counted = addReceipt(payment, { id: record.id, author, ts: record.ts, body });
        line.proven = line.counted && body.preimage !== undefined;
      } else if (payment) {
        line.counted = markReceived(payment, { author, ts: record.ts });
      }
      continue;
    }
    const target = messages.get(body.target);
    if (!target || target.call || target.event) continue;
    // A file offer or a payment request is only ever deleted: a deleted offer is not
    // fetched any more, nor offered; a deleted request is withdrawn.
    if (target.file || target.payment) {
      // Roles belong to the key that writes (§13): a linked device is no moderator.
      if (body.type === 'delete' && (target.author === author || isModerator(moderation.roleAt(record.author, record)))) {
        target.deleted = true;
        if (target.author !== author) target.removedBy ??= author;
        if (target.file && files.get(target.file.root)?.id === target.id) files.delete(target.file.root);
      }
      continue;
    }
    if (body.type === 'edit' && target.author === author) {
      target.text = body.text;
      target.edited = true;
    } else if (body.type === 'delete' && target.author === author) {
      target.deleted = true;
    } else if (body.type === 'delete' && isModerator(moderation.roleAt(record.author, record))) {
      target.deleted = true;
      target.removedBy ??= author;
    } else if (body.type === 'reaction') {
      if (!target.reactions.has(body.emoji)) target.reactions.set(body.emoji, new Map());
      target.reactions.get(body.emoji).set(author, body.on);
    }
  }

  const views = [];
  for (const message of messages.values()) {
    if (message.event && (message.event.type === 'paid' || message.event.type === 'received') && !message.event.counted) continue;
    const found = message.reply === null ? undefined : messages.get(message.reply);
    const replied = found?.call || found?.event ? undefined : found;
    views.push({
      ...message,
      text: message.deleted ? null : message.text,
      reply: message.reply === null ? null : {
        id: message.reply,
        author: replied?.author ?? null,
        text: replied && !replied.deleted ? replied.text : null,
        deleted: replied?.deleted ?? false,
        ...(replied?.file ? { fileName: replied.file.name } : {}),
        ...(replied?.payment ? { payment: true } : {}),
        ...(expired.has(message.reply) ? { expired: true } : {}),
      },
      reactions: message.deleted ? [] : reactionList(message.reactions, selfId),
    });
  }
  return {
    messages: views.filter((view) => !view.event), timeline: views, names, members, mailboxes, files, roomName, left,
    lastActive, readUpTo, settings: rules.settings, refused, moderation, devices, deviceNames,
  };
}
