// The members of a room as its history and this device's links tell: who they are,
// their role (room/moderation.js), whether they are online (a ready link), when this
// device last saw them (a link, or their latest entry), whether they left; those linked
// now count even before their first entry arrives. This device first, then admins and
// moderators, then who is online, then by name. Pure.
//
//   memberList({ view, selfId, online: Set, lastLinked: { id: ms }, nameOf })
//     -> [{ id, name, self, role, online, lastSeen, left }]
//   matchesMember(member, query) -> whether a search for `query` finds the member
const ROLE_RANK = { admin: 0, moderator: 1, member: 2, removed: 3 };

export function memberList({ view, selfId, online, lastLinked, nameOf }) {
  const { members, lastActive, left, moderation } = view;
  const list = [...new Set([selfId, ...members, ...online])].map((id) => ({
    id, name: nameOf(id) ?? 'Someone', self: id === selfId, role: moderation?.roleOf(id) ?? 'member',
    online: id !== selfId && online.has(id),
    lastSeen: Math.max(lastLinked[id] ?? 0, lastActive.get(id) ?? 0) || null,
    left: left.has(id),
  }));
  return list.sort((a, b) => Number(b.self) - Number(a.self) || ROLE_RANK[a.role] - ROLE_RANK[b.role]
    || Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
}

// By name, case and accents aside, or by the start of the identity id.
export function matchesMember(member, query) {
  const fold = (text) => text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
  const wanted = fold(query.trim());
  return !wanted || fold(member.name).includes(wanted) || member.id.toLowerCase().startsWith(wanted);
}
