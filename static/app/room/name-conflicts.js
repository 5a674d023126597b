// Who might be impersonating whom: two different identity keys in one room that go by
// the same display name. The second key to appear under a known name is the one to
// warn about (docs/architecture.md, "Trust between people"). Pure.
//
//   nameConflicts(names, { selfId, selfName, firstSeen })
//     names: Map identity id -> display name (from the room's history)
//     firstSeen: Map identity id -> ms when this device first saw that identity
//     -> [{ name, knownId, newId }]

export function sameName(a, b) {
  const norm = (name) => String(name ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
  return norm(a) !== '' && norm(a) === norm(b);
}

export function nameConflicts(names, { selfId, selfName, firstSeen = new Map() }) {
  const everyone = [...names].filter(([id]) => id !== selfId);
  if (selfName) everyone.push([selfId, selfName]);
  const seenAt = (id) => (id === selfId ? -Infinity : firstSeen.get(id) ?? Infinity);
  const conflicts = [];
  for (const [newId, name] of everyone) {
    if (newId === selfId) continue;
    const earlier = everyone
      .filter(([id, other]) => id !== newId && sameName(name, other) && seenAt(id) < seenAt(newId))
      .sort((a, b) => seenAt(a[0]) - seenAt(b[0]));
    if (earlier.length) conflicts.push({ name, knownId: earlier[0][0], newId });
  }
  return conflicts;
}
