"""`python -m bench.signaling`: the options, each server and shape in turn, the report."""

import argparse
import os
import sys
import time

from bench import signaling
from bench.signaling.clients import raise_file_limit
from bench.signaling.connections_shape import connections
from bench.signaling.relay_shape import CPU_BOUND, relay
from bench.signaling.report import previous_results, print_tables, with_ratios, write_results
from bench.signaling.servers import PARLEY_SERVERS, SERVERS, running


def shipped_burst_seconds() -> float:
    """How long a client pacing at the shipped rate takes to spend the shipped burst."""
    rate = float(os.environ.get("PARLEY_RATE_PER_SECOND", 20))
    burst = float(os.environ.get("PARLEY_RATE_BURST", 100))
    return burst / rate


def run_relays(
    servers, pairs, warmup, seconds, processes: str | int, rounds: int = 1, log=print
) -> list[dict]:
    """Each server (and rate limit) in turn, `rounds` times interleaved; the median round."""
    runs: dict[str, list[dict]] = {}
    for round_number in range(1, rounds + 1):
        for name in servers:
            variants = [False, True] if name in PARLEY_SERVERS else [False]
            for raised in variants:
                # With the rate limit as shipped the clients first spend their bucket's
                # burst, faster than the rate; the warm-up outlasts it so that the measured
                # window is steady.
                shipped = name in PARLEY_SERVERS and not raised
                lead_in = warmup + (shipped_burst_seconds() if shipped else 0)
                with running(name, raised_rate=raised) as server:
                    row = relay_auto(server, pairs, lead_in, seconds, processes, log)
                log(
                    f"  round {round_number}: {row['label']}: {row['relays_per_s']:.0f} relays/s,"
                    f" p99 {row['p99_ms']:.2f} ms (load average {os.getloadavg()[0]:.1f})"
                )
                runs.setdefault(row["label"], []).append(row)
    rows = []
    for same in runs.values():
        ordered = sorted(same, key=lambda row: row["relays_per_s"])
        row = dict(ordered[(len(ordered) - 1) // 2])  # the median round (lower middle)
        row["rounds"] = [
            {key: other[key] for key in ("relays_per_s", "p50_ms", "p99_ms", "load_processes")}
            for other in same
        ]
        rows.append(row)
    return rows


def relay_auto(server, pairs, lead_in, seconds, processes, log) -> dict:
    count = 1 if processes == "auto" else int(processes)
    row = relay(server, pairs, lead_in, seconds, count)
    if processes == "auto" and row["load_cpu"] >= CPU_BOUND:
        log(
            f"  {server.label}: the load process used {row['load_cpu']:.0%} of a core "
            "(CPU-bound); measuring again with 2 load processes"
        )
        single = row
        row = relay(server, pairs, lead_in, seconds, 2)
        row["one_load_process"] = {
            key: single[key] for key in ("relays_per_s", "p50_ms", "p99_ms", "load_cpu")
        }
    return row


def run_connections(servers, counts, settle, open_limit=180.0, log=print) -> list[dict]:
    rows = []
    for name in servers:
        for count in counts:
            with running(name) as server:
                row = connections(server, count, settle, open_limit)
            failed = "; ".join(f"{n} {reason}" for reason, n in row["failures"].items())
            log(
                f"  {row['label']}: {row['held']}/{count} held, opened in {row['open_s']:.1f} s"
                + (f" (failed: {failed})" if failed else "")
            )
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.signaling", description=signaling.__doc__
    )
    parser.add_argument("--pairs", type=int, default=50, help="0: no relay shape")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", default="1000,5000,10000", help="or none")
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument(
        "--open-limit", type=float, default=180.0, help="seconds to open the N connections"
    )
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument(
        "--load-processes",
        default="auto",
        help="1, 2 or auto (1, and 2 more if the first is CPU-bound)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="relay rounds, interleaved")
    parser.add_argument("--quick", action="store_true", help="tiny numbers (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.seconds, args.warmup = 2, 1.0, 0.5
        args.connections, args.settle = "20", 0.5
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; choose from {', '.join(SERVERS)}")
    counts = [int(value) for value in args.connections.split(",") if value.strip().isdigit()]
    raise_file_limit()
    # A shape left out (--pairs 0, --connections none) keeps its rows from the last run's
    # JSON, marked with that run's date, so that one shape can be measured again alone.
    previous = previous_results()
    now = time.strftime("%Y-%m-%d %H:%M:%S")

    relay_rows = previous.get("relay", [])
    relay_date = previous.get("relay_date", previous.get("date"))
    if args.pairs > 0:
        print(f"relay: {args.pairs} pairs, {args.warmup} s warm-up, {args.seconds} s measured")
        print(f"load average before: {os.getloadavg()[0]:.1f} (1 min)")
        relay_rows = run_relays(
            servers, args.pairs, args.warmup, args.seconds, args.load_processes, args.rounds
        )
        relay_date = now
    connection_rows = previous.get("connections", [])
    connections_date = previous.get("connections_date", previous.get("date"))
    if counts:
        print(f"connections: {', '.join(map(str, counts))}, {args.settle} s settle")
        connection_rows = run_connections(servers, counts, args.settle, args.open_limit)
        connections_date = now
    with_ratios(relay_rows, connection_rows)
    print_tables(relay_rows, connection_rows)

    result = {
        "date": now,
        "relay_date": relay_date,
        "connections_date": connections_date,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load_average_after": os.getloadavg(),
        "options": vars(args),
        "relay": relay_rows,
        "connections": connection_rows,
    }
    write_results(result)


if __name__ == "__main__":
    main()
