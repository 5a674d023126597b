"""One topic of N connections against topics of 4 (issue 20, docs/protocol.md §3 and §5).

    python -m bench.big_topic [--connections 10000] [--servers uvicorn,uvicorn-2] [--settle 5]

For each server, two fresh servers in turn hold N idle connections (32 opening at a
time, kept alive by a ping every 20 s): the reference with the connections in topics of
4 members, as bench.signaling's "connections held" shape, and the big topic with every
connection in one topic. Each client times its `join` (sent to `peers` received), keeps
the size of its `peers` answer and reads everything the server sends it afterwards
(`joined`, `left`), so the server is never held back by a client that does not read.
Printed per server and shape: connections held, time to open, the `peers` answer's
largest size, the join's p50 and p99 for the first and the last 10 % of joins, the
`joined` frames a connection received (mean and most), and the server's RSS per
connection (VmRSS after minus before, over the connections held); then the big topic's
ratios to the reference. Figures also go to bench/results/big_topic.json.

The run fails (exit 1) if a `peers` answer held more than the sample size (32), or a
connection was told of more joins than the bounded announcement allows on average
(sample size x joins after it, over the topic: checked as the mean).
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bench.signaling.clients import ParleyClient, raise_file_limit
from bench.signaling.connections_shape import hold_clients
from bench.signaling.servers import running

RESULTS = Path(__file__).parent / "results" / "big_topic.json"
SAMPLE = 32  # PARLEY_SAMPLE_SIZE as shipped
SMALL_GROUP = 4


class Tally:
    """The `joined` frames all clients read, and an event once there are `wanted`."""

    def __init__(self, wanted: int) -> None:
        self.joined = 0
        self.wanted = wanted
        self.reached = asyncio.Event()

    def add(self, kind: str) -> None:
        if kind == "joined":
            self.joined += 1
            if self.joined >= self.wanted:
                self.reached.set()


class CountingClient(ParleyClient):
    """A Parley client that times its join and counts what the server tells it after."""

    def __init__(self, port: int, tally: Tally) -> None:
        super().__init__(port)
        self.tally = tally
        self.join_ms = 0.0
        self.sample = 0
        self.told: dict[str, int] = {}
        self.reader: asyncio.Task | None = None

    async def _expect(self, kind: str) -> dict:
        if kind != "peers":
            return await super()._expect(kind)
        started = time.perf_counter()
        frame = await super()._expect("peers")
        self.join_ms = (time.perf_counter() - started) * 1000
        self.sample = len(frame["peers"])
        self.reader = asyncio.create_task(self._read())
        return frame

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                kind = (await self.recv_json())["type"]
                self.told[kind] = self.told.get(kind, 0) + 1
                self.tally.add(kind)

    def abort(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        super().abort()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def hold(server, count: int, group: int, settle: float, told: int = 0) -> dict:
    """`told`: after `settle`, wait (up to 30 s) until the clients together read that
    many `joined` frames (a test that knows how many the server sends)."""
    tally = Tally(told)
    row, opened = await hold_clients(
        server, count, settle, group=group, until=tally.reached,
        make_client=lambda _kind, port: CountingClient(port, tally),
    )  # fmt: skip
    tenth = max(1, len(opened) // 10)
    joins = [client.join_ms for client in opened]
    told_each = [client.told.get("joined", 0) for client in opened]
    return {
        **{key: row[key] for key in ("server", "label", "connections", "held", "failures")},
        "group": group,
        "open_s": row["open_s"],
        "largest_sample": max((client.sample for client in opened), default=0),
        "join_ms_first": [percentile(joins[:tenth], 0.5), percentile(joins[:tenth], 0.99)],
        "join_ms_last": [percentile(joins[-tenth:], 0.5), percentile(joins[-tenth:], 0.99)],
        "joined_mean": statistics.fmean(told_each) if told_each else 0.0,
        "joined_most": max(told_each, default=0),
        "kib_per_connection": row["kib_per_connection"],
    }


def run(name: str, count: int, group: int, settle: float) -> dict:
    with running(name) as server:
        return asyncio.run(hold(server, count, group, settle))


def describe(row: dict) -> str:
    shape = "one topic" if row["group"] == row["connections"] else f"topics of {row['group']}"
    first, last = row["join_ms_first"], row["join_ms_last"]
    return (
        f"  {row['label']}, {shape}: {row['held']}/{row['connections']} held, opened in "
        f"{row['open_s']:.1f} s; peers at most {row['largest_sample']}; join p50/p99 "
        f"{first[0]:.1f}/{first[1]:.1f} ms (first 10 %), {last[0]:.1f}/{last[1]:.1f} ms "
        f"(last 10 %); joined told {row['joined_mean']:.1f} on average, at most "
        f"{row['joined_most']}; {row['kib_per_connection']:.1f} KiB per connection"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--servers", default="uvicorn,uvicorn-2")
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    raise_file_limit()
    rows, broken = [], []
    for name in args.servers.split(","):
        small = run(name, args.connections, SMALL_GROUP, args.settle)
        big = run(name, args.connections, args.connections, args.settle)
        rows += [small, big]
        for row in (small, big):
            print(describe(row))
        ratio = big["kib_per_connection"] / max(small["kib_per_connection"], 1e-9)
        join_ratio = big["join_ms_last"][0] / max(small["join_ms_last"][0], 1e-9)
        print(
            f"  {big['label']}: one topic / topics of {SMALL_GROUP}: memory per connection "
            f"{ratio:.2f}x, join p50 (last 10 %) {join_ratio:.2f}x"
        )
        if big["largest_sample"] > SAMPLE:
            broken.append(f"{name}: a peers answer of {big['largest_sample']}")
        # Each join is announced to at most SAMPLE others: over the topic, a connection
        # is told of SAMPLE joins on average at most (the ones before it told of more).
        if big["joined_mean"] > SAMPLE + 1e-9:
            broken.append(f"{name}: {big['joined_mean']:.1f} joins told per connection")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"date": date.today().isoformat(), "rows": rows}, indent=2))
    if broken:
        print("FAILED: " + "; ".join(broken))
        sys.exit(1)


if __name__ == "__main__":
    main()
