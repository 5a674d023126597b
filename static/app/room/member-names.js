// A member's name as a room shows it. Someone else going by a name that another member
// (or this device) also uses gets the start of their key after it, so that two "Bob"s
// can be told apart everywhere: "Bob (k3Xa)".
//
//   memberName({ view, room, identity, selfId }, id, said) -> the name, or null
//     said: what a peer calls itself on its link, for a member with no name entry yet
import { nameKey, sharedNames } from './name-conflicts.js';

// The names several members go by, worked out once per room view and own name.
const shared = new WeakMap(); // view -> { selfName, names }

export function memberName({ view, room, identity, selfId }, id, said = null) {
  if (id === selfId) return identity.name;
  const name = view.names.get(id) ?? room.members?.[id] ?? said ?? null;
  return name !== null && sharedOf(view, selfId, identity.name).has(nameKey(name)) ? `${name} (${id.slice(0, 4)})` : name;
}

function sharedOf(view, selfId, selfName) {
  let known = shared.get(view);
  if (known?.selfName !== selfName) {
    known = { selfName, names: sharedNames(view.names, { selfId, selfName }) };
    shared.set(view, known);
  }
  return known.names;
}
