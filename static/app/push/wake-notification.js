// What the service worker shows for an opened wake (docs/protocol.md §10 "Receiving"):
// the room's name from this device's store as the title, the sender by this device's
// name for them, and the message text only when the user turned previews on.
//
//   wakeNotification({ wake, room, senderName, preview }) -> { title, options } | null
//
// `room` is this device's room record (null when it holds no such room). Pure, no DOM:
// the service worker and the unit tests share it.
import { allowsWake, notifyLevelOf } from './notify-levels.js';

export const NOTIFICATION_ICON = '/static/icons/icon-192.png';
const UNKNOWN_SENDER = 'Someone';

export function wakeNotification({ wake, room, senderName, preview = false }) {
  if (!room) return null;
  if (!allowsWake(notifyLevelOf(room), wake.kind)) return null;
  const who = senderName || UNKNOWN_SENDER;
  let body;
  if (preview) body = `${who}: ${wake.text}`;
  else body = wake.kind === 'mention' ? `${who} mentioned you` : `${who} sent a message`;
  return {
    title: room.name,
    options: {
      body,
      tag: room.topic, // one notification per room: a newer one replaces it
      renotify: true,
      data: { room: room.topic },
      icon: NOTIFICATION_ICON,
      timestamp: wake.ts,
    },
  };
}
