// Words and numbers for the screen. Pure functions, unit-tested in node.

export function shortId(id) {
  return id ? `${id.slice(0, 6)}…${id.slice(-4)}` : '';
}

export function initials(name) {
  // Words that start with a letter or digit: "Bob (k3Xa)" is "BK", not "B(".
  const words = String(name ?? '').trim().split(/\s+/).map((word) => word.replace(/^[^\p{L}\p{N}]+/u, '')).filter(Boolean);
  if (!words.length) return '?';
  return (words[0][0] + (words[1]?.[0] ?? '')).toUpperCase();
}

// A stable hue per identity, so a person keeps their colour across rooms and reloads.
export function hueFor(id) {
  let hash = 0;
  for (const ch of String(id ?? '')) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % 360;
}

// One formatter per locale and style, made once: toLocale*String makes a new one each
// call, and a room draws a time for every message.
const formatters = new Map();
const STYLES = {
  time: { hour: '2-digit', minute: '2-digit' },
  day: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' },
  weekday: { weekday: 'short' },
  date: { day: 'numeric', month: 'short' },
};

function formatDate(ts, style, locale) {
  const key = `${style} ${locale ?? ''}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, STYLES[style]);
    formatters.set(key, formatter);
  }
  return formatter.format(new Date(ts));
}

// The first formatter of a page loads the locale's data, which takes a while: the time
// of day's is made as this module loads (while the page waits for the network), not
// when the first room list is drawn.
formatDate(0, 'time');

export function timeOfDay(ts, locale = undefined) {
  return formatDate(ts, 'time', locale);
}

export function dayLabel(ts, now = Date.now()) {
  const day = new Date(ts).toDateString();
  if (day === new Date(now).toDateString()) return 'Today';
  if (day === new Date(now - 86_400_000).toDateString()) return 'Yesterday';
  return formatDate(ts, 'day');
}

// When something last happened, as short as a room list needs: "14:02" today, then
// "Yesterday", a weekday within the week, else the date.
export function shortWhen(ts, now = Date.now(), locale = undefined) {
  const day = new Date(ts).toDateString();
  if (day === new Date(now).toDateString()) return timeOfDay(ts, locale);
  if (day === new Date(now - 86_400_000).toDateString()) return 'Yesterday';
  if (now - ts < 6 * 86_400_000) return formatDate(ts, 'weekday', locale);
  return formatDate(ts, 'date', locale);
}

// Only the author's own messages carry a delivery state: read (by how many, from their
// receipts), else delivered (to how many), else sent. In a big room the counts would be
// of this device's few links, and there are no receipts: delivered or sent.
export function deliveryLabel(delivered, { mine, read = 0, bigRoom = false }) {
  if (!mine) return '';
  if (bigRoom) return delivered === 0 ? 'Sent' : 'Delivered';
  if (read > 0) return `Read by ${read}`;
  return delivered === 0 ? 'Sent' : `Delivered to ${delivered}`;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

// 1536 -> "1.5 KB": decimal units, as file managers and download dialogs show them.
export function byteSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

// Seconds -> "40 s left", "3 min left", "2 h left".
export function timeLeft(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  return `${Math.round(seconds / 360) / 10} h left`;
}

// Call length in ms -> "0:42", "3:05", "1:02:09" (whole seconds, rounded down).
export function callDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const seconds = Math.floor(ms / 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

// "Bob", "Bob and Cy", "Bob, Cy and Dee", "Bob, Cy and 2 others".
export function nameList(names) {
  if (names.length <= 2) return names.join(' and ');
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

// The one history line of a call (a room-state call summary, docs/protocol.md §7):
// "Ada started a video call · Bob joined" while it lasts, "Video call with Ada · 3:05"
// once over (the others in it, as this device's user sees them).
export function callSummaryText({ video, starter, joined, ended, duration }, { selfId, nameOf }) {
  const nameFor = (id) => (id === selfId ? 'You' : nameOf(id) ?? 'Someone');
  const kind = video ? 'video call' : 'voice call';
  if (!ended) {
    const opening = starter === null ? `A ${kind} is on` : `${nameFor(starter)} started a ${kind}`;
    return joined.length ? `${opening} · ${nameList(joined.map(nameFor))} joined` : opening;
  }
  const others = [...(starter === null ? [] : [starter]), ...joined].filter((id) => id !== selfId);
  const Kind = kind[0].toUpperCase() + kind.slice(1);
  const length = callDuration(duration);
  return [others.length ? `${Kind} with ${nameList(others.map(nameFor))}` : Kind, length].filter(Boolean).join(' · ');
}

// The room's rules in its header (docs/protocol.md §7 "Room settings", "Disappearing
// messages"): "" when none.
export function roomRulesText({ posting, slowMode, disappear = 0 }) {
  const rules = [];
  if (disappear > 0) rules.push(`⏱\u00a0disappearing after ${disappearLabel(disappear)}`);
  if (posting === 'moderators') rules.push('moderators post');
  if (slowMode > 0) rules.push(`slow mode ${slowMode < 60 ? `${slowMode}\u00a0s` : `${Math.round(slowMode / 60)}\u00a0min`}`);
  return rules.map((rule) => ` · ${rule}`).join('');
}

// The disappearing-message timers, as the app names them (§7 "Disappearing messages").
export const DISAPPEAR_CHOICES = Object.freeze([
  [0, 'Off'], [300, '5 minutes'], [3600, '1 hour'], [86_400, '1 day'], [604_800, '1 week'], [2_419_200, '4 weeks'],
]);

export function disappearLabel(seconds) {
  return DISAPPEAR_CHOICES.find(([value]) => value === seconds)?.[1] ?? `${seconds} seconds`;
}
