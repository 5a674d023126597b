// Big rooms (issue 20): the overlay simulated at 1,000 and 10,000 members with 10 % churn
// (bench/overlay-sim.mjs), then 20 entries replicated over it by the real replication
// modules (bench/replication-sim.mjs): the tables bench/README.md shows.
// `node bench/overlay.mjs` [members ...]; `make bench` runs it.
import { simulate } from './overlay-sim.mjs';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
console.log('overlay simulation: 10 % churn, links target 8 (low 6, high 12), 20 messages each');
console.log('members  online  links min/median/max  most ever  parts  hops 99%/all (worst)  ms 99%/all (worst)  run');
for (const members of sizes.length ? sizes : [1000, 10_000]) {
  const started = performance.now();
  const r = simulate({ members, replicated: 20 });
  const { linksPerMember: l, spread: s } = r;
  const row = [
    String(members).padStart(7), String(r.online).padStart(7),
    `${l.min}/${l.median}/${l.max}`.padStart(20), String(r.maxLinksEver).padStart(10),
    String(r.components).padStart(6),
    `${s.hops99}/${s.hopsAll} (${s.worstHopsAll})`.padStart(21),
    `${s.ms99}/${s.msAll} (${s.worstMsAll})`.padStart(19),
    `${((performance.now() - started) / 1000).toFixed(1)} s`.padStart(6),
  ];
  console.log(row.join(' '));
  if (!s.reachedAll) console.log(`  NOT every member online got every message`);
  const rep = r.replication;
  console.log(`  replicated (heads, wants, entries): ms until 99%/all ${rep.ms99}/${rep.msAll} (worst ${rep.worstMsAll}); `
    + `copies per member and entry ${rep.copies.mean.toFixed(2)} on average, at most ${rep.copies.max}; `
    + `most times one entry crossed one link one way: ${rep.mostOnOneLink}${rep.reachedAll ? '' : '; NOT every member got every entry'}`);
}
