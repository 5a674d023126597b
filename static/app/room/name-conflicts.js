// Who might be impersonating whom: two different identity keys in one room that go by
// the same display name. The second key to appear under a known name is the one to
// warn about (docs/architecture.md, "Trust between people"). Pure.
//
//   nameConflicts(names, { selfId, selfName, firstSeen })
//     names: Map identity id -> display name (from the room's history)
//     firstSeen: Map identity id -> ms when this device first saw that identity
//     -> [{ name, knownId, newId }]
//   sharedNames(names, { selfId, selfName }) -> Set of the names several ids go by

// What two names that read the same have in common: case, spacing and Unicode forms aside.
export function nameKey(name) {
  return String(name ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
}

export function sameName(a, b) {
  return nameKey(a) !== '' && nameKey(a) === nameKey(b);
}

// The names (as nameKey) that more than one identity goes by, `selfName` counted for
// `selfId`.
export function sharedNames(names, { selfId, selfName }) {
  const owners = new Map(); // nameKey -> a set of ids
  for (const [id, name] of [...names, [selfId, selfName]]) {
    const key = nameKey(name);
    if (!key) continue;
    if (!owners.has(key)) owners.set(key, new Set());
    owners.get(key).add(id);
  }
  return new Set([...owners].filter(([, ids]) => ids.size > 1).map(([key]) => key));
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
