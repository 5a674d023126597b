// Moderation (issue 20, docs/protocol.md §7): what a founded room's rules cost a member.
// The same 10,000 entries (100 members, messages, a moderator's deletes, 20 removals)
// turned into the room's state with the moderation and the rules, against the same
// records as an unfounded room (the reference: no roles, no rules), in the same run;
// then the evaluation alone over 1,000 control entries of admins removing each other.
// `node bench/moderation.mjs`; `make bench` runs it.
import { deriveRoomKeys, newRoomSecret } from '../static/app/crypto/room-keys.js';
import { toBase64Url } from '../static/app/crypto/bytes.js';
import { createIdentity } from '../static/app/identity/identity.js';
import { evaluateModeration } from '../static/app/room/moderation.js';
import { RoomLog } from '../static/app/room/room-log.js';
import { buildRoomState } from '../static/app/room/room-state.js';

const ROUNDS = 15;
const keys = deriveRoomKeys(newRoomSecret());
const people = Array.from({ length: 100 }, () => createIdentity());
const ids = people.map((person) => toBase64Url(person.publicKey));
const founder = ids[0];

// One log everyone writes into, as a member holds the room once caught up.
function room() {
  const log = new RoomLog({ ...keys, founder });
  const write = (i, body) => log.append(people[i], { ts: 1_700_000_000_000 + log.maxClock() * 1000, ...body });
  write(0, { type: 'role', member: ids[1], role: 'moderator' });
  write(0, { type: 'settings', slowMode: 5 });
  let last = null;
  for (let n = 0; log.records().length < 10_000; n++) {
    const author = 2 + (n % 98);
    if (n % 50 === 49) write(1, { type: 'delete', target: last.id });
    else if (n % 500 === 250) {
      const member = ids[2 + (Math.floor(n / 500) % 98)];
      write(1, { type: 'remove', member, upTo: log.length(member) });
    } else last = write(author, { type: 'message', text: `message ${n}` });
    // Now and then a member posts twice at once: slow mode refuses the second.
    if (n % 100 === 3) write(author, { type: 'message', text: `again ${n}` });
  }
  return log;
}

function median(run) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const log = room();
const records = log.records();
const unfounded = evaluateModeration([], null);
buildRoomState(records, { moderation: log.moderation }); // warm up
const reference = median(() => buildRoomState(records, { moderation: unfounded }));
const founded = median(() => buildRoomState(records, { moderation: evaluateModeration(records, founder) }));
const state = buildRoomState(records, { moderation: log.moderation });
console.log('moderation: a room of 10,000 entries turned into its state (median of 15)');
console.log(`  unfounded (reference) ${reference.toFixed(1)} ms; founded, with roles, removals and rules ${founded.toFixed(1)} ms: ${(founded / reference).toFixed(2)}x`);
console.log(`  (${log.moderation.removals.size} removed, ${state.refused.length} posts refused by slow mode, ${state.messages.filter((m) => m.removedBy).length} removed by the moderator)`);

// Admins removing each other at once: every second control entry a racing removal.
const war = new RoomLog({ ...keys, founder });
for (let i = 1; i < 40; i++) war.append(people[0], { ts: 1, type: 'role', member: ids[i], role: 'admin' });
const rivals = Array.from({ length: 39 }, () => new RoomLog({ ...keys, founder }));
const base = war.records().map((record) => record.bytes);
for (const rival of rivals) rival.ingest(base);
for (let round = 0; round < 24; round++) {
  rivals.forEach((rival, i) => {
    const target = ids[1 + ((i + round + 1) % 39)];
    if (target !== ids[i + 1]) rival.append(people[i + 1], { ts: 1, type: 'remove', member: target, upTo: rival.length(target) });
  });
}
const control = [...war.records(), ...rivals.flatMap((rival) => rival.records().filter((r) => r.author !== founder))];
const evaluation = median(() => evaluateModeration(control, founder));
const outcome = evaluateModeration(control, founder);
console.log(`  ${control.length} control entries of 39 admins removing each other: evaluated in ${evaluation.toFixed(1)} ms`
  + ` (${outcome.removals.size} removed, ${outcome.admins().length} admins left)`);
