// One message in the conversation: author, time, reply quote, text (or tombstone),
// reaction chips, delivery state, and its actions (react, reply, edit, delete; a
// moderator deletes others' messages too). A call event (message.call) or a room event
// (message.event: joined, left, renamed, a role named, a member removed, the settings
// changed) is a compact centred history line instead (callEventView, roomEventView).
import { h } from './dom.js';
import { deliveryLabel, disappearLabel, timeOfDay } from './format.js';
import { mentions } from '../push/notify-levels.js';
import { richText } from './rich-text.js';
import { avatar } from './sidebar-view.js';

const SNIPPET = 90;

// A string that changes whenever anything visible in the message changes, so the list
// can keep the elements of unchanged messages between renders.
export function messageKey(message, extra) {
  return JSON.stringify([
    message.text, message.edited, message.deleted, message.reply, message.reactions, message.call, message.expires, extra,
  ]);
}

// A file offer (message.file) shows its FileCard element instead of text, a payment
// request (message.payment) its PaymentCard; edits and reactions have no effect on
// either (docs/protocol.md §7), so Reply stays, and Delete for its author and for
// moderators (then a file is no longer fetched, a request is withdrawn).
export function messageView({
  message, mine, authorName, replyAuthorName, delivered, read = 0, bigRoom = false, verified, actions, fileCard = null, paymentCard = null,
  callText = '', textOptions = {},
  moderates = false, nameOf = () => 'Someone',
}) {
  if (message.call) return callEventView({ message, text: callText });
  if (message.event) return roomEventView({ message, who: mine ? 'You' : authorName ?? 'Someone', nameOf });
  const replyQuote = message.reply
    ? h('button', {
      class: 'reply-quote', type: 'button', 'data-testid': 'reply-quote',
      onclick: () => actions.jumpTo(message.reply.id),
    },
    h('strong', {}, replyAuthorName ?? 'Someone'),
    h('span', {}, quoteText(message.reply)))
    : null;
  const card = message.file ? fileCard : paymentCard;
  const body = card && !message.deleted ? card : message.deleted
    ? h('p', { class: 'message-text deleted', 'data-testid': 'message-deleted' },
      message.removedBy ? `Removed by ${nameOf(message.removedBy)}` : 'This message was deleted')
    : h('p', { class: 'message-text', 'data-testid': 'message-text' }, richText(message.text, textOptions));
  const reactions = message.reactions.length && !message.deleted
    ? h('ul', { class: 'reactions', 'aria-label': 'Reactions' }, message.reactions.map((reaction) =>
      h('li', {}, h('button', {
        type: 'button', class: `reaction-chip${reaction.mine ? ' mine' : ''}`,
        'aria-pressed': String(reaction.mine), 'data-testid': 'reaction-chip',
        dataset: { emoji: reaction.emoji, count: String(reaction.count) },
        title: reaction.mine ? 'Take back your reaction' : 'React with this too',
        onclick: () => actions.react(message.id, reaction.emoji, !reaction.mine),
      }, h('span', { class: 'reaction-emoji' }, reaction.emoji), h('span', { class: 'reaction-count' }, String(reaction.count))))))
    : null;
  const delivery = message.deleted ? '' : deliveryLabel(delivered, { mine, read, bigRoom });
  const status = delivery ? h('span', { class: 'delivery', 'data-testid': 'delivery' }, delivery) : null;
  const toolbar = message.deleted ? null : h('div', { class: 'message-actions', role: 'toolbar', 'aria-label': 'Message actions' },
    message.file || message.payment ? null : actionButton('React', '☺', 'action-react', (event) => actions.pickReaction(message.id, event.currentTarget)),
    actionButton('Reply', '↩', 'action-reply', () => actions.reply(message)),
    mine && !message.file && !message.payment ? actionButton('Edit', '✎', 'action-edit', () => actions.edit(message)) : null,
    mine || moderates ? actionButton('Delete', '🗑', 'action-delete', () => actions.remove(message)) : null);

  return h('li', {
    class: `message${mine ? ' mine' : ''}${message.file ? ' file-message' : ''}${message.payment ? ' payment-message' : ''}`, 'data-testid': 'message',
    dataset: { id: message.id, mentionsMe: String(!mine && !message.deleted && mentions(message.text, textOptions.selfName)) },
    tabIndex: -1,
  },
  mine ? null : avatar(authorName, message.author),
  h('div', { class: 'bubble' },
    h('div', { class: 'message-meta' },
      h('span', { class: 'message-author', 'data-testid': 'message-author' }, mine ? 'You' : authorName),
      verified ? h('span', { class: 'verified-badge', title: 'Verified', 'data-testid': 'author-verified' }, '✓') : null,
      h('time', { dateTime: new Date(message.ts).toISOString() }, timeOfDay(message.ts)),
      message.edited && !message.deleted ? h('span', { class: 'edited', 'data-testid': 'edited-label' }, 'edited') : null,
      message.expires ? h('span', {
        class: 'disappears', 'data-testid': 'disappears', title: `Disappears at ${new Date(message.expires).toLocaleString()}`,
        'aria-label': `Disappears at ${new Date(message.expires).toLocaleString()}`,
      }, '⏱') : null),
    replyQuote, body, reactions, status),
  toolbar);
}

// "🎥 Video call with Ada · 3:05 · 14:02": one line per call (callSummaryText), no
// bubble, no avatar, no actions (edits, deletes, reactions and replies have no effect
// on a call event, docs/protocol.md §7).
export function callEventView({ message, text }) {
  const { call } = message;
  return h('li', {
    class: 'call-event', 'data-testid': 'call-event',
    dataset: { id: message.id, call: call.ended ? 'ended' : 'on' }, tabIndex: -1,
  },
  h('span', { class: 'call-event-line' },
    h('span', { class: 'call-event-icon', 'aria-hidden': 'true' }, call.video ? '🎥' : '📞'),
    h('span', { class: 'call-event-text', 'data-testid': 'call-event-text' }, text),
    h('time', { dateTime: new Date(message.ts).toISOString() }, timeOfDay(message.ts))));
}

const ROLE_WORDS = { admin: 'an admin', moderator: 'a moderator' };
const ROOM_EVENTS = {
  join: { icon: '👋', testid: 'join-event', text: (who) => `${who} joined` },
  leave: { icon: '🚪', testid: 'leave-event', text: (who) => `${who} left` },
  room: { icon: '✏️', testid: 'rename-event', text: (who, { name }) => `${who} renamed the room to “${name}”` },
  role: {
    icon: '🛡️', testid: 'role-event',
    text: (who, { member, role }, nameOf) => (ROLE_WORDS[role]
      ? `${who} made ${nameOf(member)} ${ROLE_WORDS[role]}` : `${who} took ${nameOf(member)}’s role away`),
  },
  remove: { icon: '⛔', testid: 'remove-event', text: (who, { member }, nameOf) => `${who} removed ${nameOf(member)} from the room` },
  settings: { icon: '⚙️', testid: 'settings-event', text: (who) => `${who} changed the room’s settings` },
  paid: {
    icon: '💸', testid: 'paid-event',
    text: (who, { proven }) => (proven ? `${who} paid a payment request (proven)` : `${who} marked a payment request as paid`),
  },
  received: { icon: '✅', testid: 'received-event', text: (who) => `${who} marked a payment as received` },
  device: { icon: '💻', testid: 'device-event', text: (who, { name }) => `${who} linked a new device: ${name}` },
  revoke: { icon: '🔌', testid: 'revoke-event', text: (who, { name }) => `${who} unlinked a device${name ? `: ${name}` : ''}` },
  // A `settings` entry that set the disappearing-message timer alone.
  timer: {
    icon: '⏱️', testid: 'timer-event',
    text: (who, { disappear }) => (disappear > 0
      ? `${who} set messages to disappear after ${disappearLabel(disappear)}` : `${who} turned disappearing messages off`),
  },
};

const eventKind = ({ type, changed }) => (type === 'settings' && changed?.length === 1 && changed[0] === 'disappear' ? 'timer' : type);

// "👋 Bob joined · 14:02": the history line of a `join`, `leave`, `room`, `role`,
// `remove` or `settings` entry.
export function roomEventView({ message, who, nameOf = () => 'Someone' }) {
  const { icon, testid, text } = ROOM_EVENTS[eventKind(message.event)];
  return h('li', { class: 'call-event room-event', 'data-testid': testid, dataset: { id: message.id }, tabIndex: -1 },
    h('span', { class: 'call-event-line' },
      h('span', { class: 'call-event-icon', 'aria-hidden': 'true' }, icon),
      h('span', { class: 'call-event-text' }, text(who, message.event, nameOf)),
      h('time', { dateTime: new Date(message.ts).toISOString() }, timeOfDay(message.ts))));
}

function actionButton(label, icon, testid, onclick) {
  return h('button', { type: 'button', class: 'action-button', title: label, 'aria-label': label, 'data-testid': testid, onclick }, icon);
}

function quoteText(reply) {
  if (reply.deleted) return 'Deleted message';
  if (reply.expired) return 'This message has disappeared';
  if (reply.fileName) return `File: ${reply.fileName}`;
  if (reply.payment) return 'Payment request';
  if (reply.text === null || reply.text === undefined) return 'A message not received yet';
  return reply.text.length > SNIPPET ? `${reply.text.slice(0, SNIPPET)}…` : reply.text;
}
