// The members of a room as its history and this device's links tell: who they are,
// whether they are online (a ready link), when this device last saw them (a link, or
// their latest entry), whether they left; those linked now count even before their
// first entry arrives. This device first, then who is online, then by name. Pure.
//
//   memberList({ view, selfId, online: Set, lastLinked: { id: ms }, nameOf })
//     -> [{ id, name, self, online, lastSeen, left }]
export function memberList({ view, selfId, online, lastLinked, nameOf }) {
  const { members, lastActive, left } = view;
  const list = [...new Set([selfId, ...members, ...online])].map((id) => ({
    id, name: nameOf(id) ?? 'Someone', self: id === selfId, online: id !== selfId && online.has(id),
    lastSeen: Math.max(lastLinked[id] ?? 0, lastActive.get(id) ?? 0) || null,
    left: left.has(id),
  }));
  return list.sort((a, b) => Number(b.self) - Number(a.self) || Number(b.online) - Number(a.online)
    || a.name.localeCompare(b.name));
}
