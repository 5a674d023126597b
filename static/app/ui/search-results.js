// What the sidebar shows while a search is typed: the rooms whose name matches, then
// the messages that do, newest first, each with its room, author, time and the words
// around the match (room/search.js; the search never leaves this device).
//
//   searchResults({ app, query, roomItem, onOpenMessage }) -> <li> nodes for the room list
import { searchMessages, searchRooms, snippet } from '../room/search.js';
import { h } from './dom.js';
import { shortWhen } from './format.js';

export function searchResults({ app, query, roomItem, onOpenMessage }) {
  const rooms = searchRooms(app.roomList(), query);
  const sources = app.roomList().map((room) => ({ topic: room.topic, messages: app.session(room.topic)?.view.messages ?? [] }));
  const messages = searchMessages(sources, query);
  if (!rooms.length && !messages.length) {
    return [h('li', { class: 'room-list-empty', 'data-testid': 'search-empty' }, `Nothing here matches “${query.trim()}”.`)];
  }
  return [
    rooms.length ? h('li', { class: 'search-heading' }, 'Rooms') : null,
    ...rooms.map(roomItem),
    messages.length ? h('li', { class: 'search-heading' }, 'Messages') : null,
    ...messages.map(({ topic, message, at }) => {
      const session = app.session(topic);
      const who = message.author === app.selfId ? 'You' : session.memberName(message.author) ?? 'Someone';
      const piece = at >= 0 ? snippet(message.text, at, query.trim().length) : snippet(message.text, 0, 0, { around: 80 });
      return h('li', {},
        h('button', {
          class: 'search-result', type: 'button', 'data-testid': 'search-result', onclick: () => onOpenMessage(topic, message.id),
        },
        h('span', { class: 'search-result-top' },
          h('span', { class: 'search-result-room' }, app.rooms.get(topic)?.name ?? ''),
          h('time', { class: 'room-item-time', dateTime: new Date(message.ts).toISOString() }, shortWhen(message.ts))),
        h('span', { class: 'search-result-text' },
          `${who}: ${piece.before}`, piece.match ? h('mark', {}, piece.match) : null, piece.after)));
    }),
  ];
}
