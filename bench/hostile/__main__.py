"""`python -m bench.hostile`: each server in turn, every kind of bad frame, the figures.

Per server: start it, let an honest pair relay, read RSS ("before"), send each kind for
`--seconds` from `--connections` connections at a time (RSS sampled every 0.2 s: "peak",
and after each kind), wait `--settle` seconds once the last hostile connection is gone
("after"); `--rounds N` does it all N times and says what RSS kept after each. Prints a
table and writes bench/results/hostile.json.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

from bench.hostile.kinds import KINDS
from bench.hostile.load import HonestPair, hostile
from bench.hostile.server import ROOT, running

RESULTS = ROOT / "bench" / "results" / "hostile.json"


async def sample_peak(server, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], server.rss_kib())
        await asyncio.sleep(0.2)


async def measure(
    name: str, kinds, connections: int, seconds: float, settle: float, max_frames, rounds=1
):
    with running(name) as server:
        pair = HonestPair(server.port)
        pair_task = asyncio.create_task(pair.run())
        await asyncio.sleep(2)  # the pair is relaying; the server has served a few frames
        before = server.rss_kib()
        log_before = server.log_size()
        peak, stop = [before], asyncio.Event()
        sampler = asyncio.create_task(sample_peak(server, peak, stop))
        per_kind, totals = [], {"connections": 0, "frames": 0, "refused": 0}
        started = time.monotonic()
        kept_after_rounds = []
        for _ in range(rounds):
            for kind in kinds:
                tally = await hostile(server.port, kind, connections, seconds, max_frames)
                rss = server.rss_kib()
                per_kind.append({"kind": kind, "rss_kib": rss, **tally.__dict__})
                for key in totals:
                    totals[key] += getattr(tally, key)
                print(
                    f"  {name} {kind:15} {tally.connections:5} conns {tally.frames:7} frames "
                    f"rss {rss / 1024:6.1f} MB  closes {tally.close_codes}",
                    flush=True,
                )
            hostile_seconds = time.monotonic() - started
            await asyncio.sleep(settle)
            kept_after_rounds.append(round((server.rss_kib() - before) / 1024, 1))
        after = server.rss_kib()
        stop.set()
        await sampler
        pair.stop.set()
        await pair_task
        (bytes_now, lines_now), (bytes_then, lines_then) = server.log_size(), log_before
        log_bytes, log_lines = bytes_now - bytes_then, lines_now - lines_then
        tracebacks = server.log_text().count("Traceback")
    return {
        "server": name,
        "hostile_seconds": round(hostile_seconds, 1),
        **totals,
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(peak[0] / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "rss_kept_mb": round((after - before) / 1024, 1),
        "rss_kept_mb_after_each_round": kept_after_rounds,
        "rss_after_ratio": round(after / before, 2),
        "log_bytes": log_bytes,
        "log_lines": log_lines,
        "log_lines_per_connection": round(log_lines / max(1, totals["connections"]), 3),
        "tracebacks": tracebacks,
        "honest_relayed": pair.relayed,
        "honest_lost": pair.lost,
        "honest_damaged": pair.damaged,
        "kinds": per_kind,
    }


def print_table(results: list[dict]) -> None:
    columns = (
        "server", "connections", "frames", "rss_before_mb", "rss_peak_mb", "rss_after_mb",
        "rss_kept_mb", "rss_kept_mb_after_each_round", "rss_after_ratio", "log_bytes", "log_lines",
        "log_lines_per_connection", "tracebacks", "honest_relayed", "honest_lost",
        "honest_damaged",
    )  # fmt: skip
    for column in columns:
        cells = (
            "/".join(map(str, r[column])) if isinstance(r[column], list) else str(r[column])
            for r in results
        )
        print(f"{column:29}" + "".join(f"{cell:>16}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="daphne,uvicorn")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--connections", type=int, default=16, help="hostile ones at a time")
    parser.add_argument("--seconds", type=float, default=6.0, help="per kind")
    parser.add_argument("--settle", type=float, default=5.0, help="after the last one closed")
    parser.add_argument("--max-frames", type=int, default=200_000, help="per kind")
    parser.add_argument(
        "--rounds", type=int, default=1, help="every kind again, to see whether RSS keeps growing"
    )
    args = parser.parse_args()
    kinds = [kind for kind in args.kinds.split(",") if kind]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {sorted(unknown)}; known: {', '.join(KINDS)}")
    results = []
    for name in args.servers.split(","):
        print(f"{name}: {len(kinds)} kinds x {args.seconds} s, {args.connections} at a time")
        results.append(
            asyncio.run(
                measure(
                    name,
                    kinds,
                    args.connections,
                    args.seconds,
                    args.settle,
                    args.max_frames,
                    args.rounds,
                )
            )
        )
    print_table(results)
    Path(RESULTS).parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
