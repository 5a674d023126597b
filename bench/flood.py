"""A flood against an honest pair: what one flooding connection costs the others.

`python -m bench.flood` starts Parley as `manage.py serve` runs it (on daphne, then on
uvicorn; a fresh server and database each, as bench.signaling does) and measures, in the
same run and on the same server, an honest pair's round trip A -> B -> A through the
server (a 1,072-byte sealed blob each way):

1. unloaded: `--samples` round trips, nothing else connected;
2. flooded: the same number of round trips by a second pair while `--flooders`
   connections of the same topic send the largest frame there is (a `signal` of a
   16,432-byte blob to A, about 22 KB of text) as fast as the server reads them.

It prints the two medians and p99s and their ratio, and writes bench/results/flood.json.
The server's rate limit (20 frames/s, burst 100) is as shipped, so the flooders are
answered `rate_limited` once their burst is spent; their close after
PARLEY_FLOOD_STRIKES dropped frames is raised to a million so that the flood outlasts
the measurement (tests/server/test_flood.py checks the close itself). Each pair sends
fewer frames than the burst, so the honest clients are never limited. All the load
comes from 127.0.0.1, so the per-address caps are raised, as in bench.signaling.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from bench.signaling.clients import ParleyClient, b64
from bench.signaling.relay_shape import percentile
from bench.signaling.servers import running

RESULTS = Path(__file__).resolve().parent / "results" / "flood.json"
SERVERS = ("daphne", "uvicorn")
FLOOD_ENV = {"PARLEY_FLOOD_STRIKES": "1000000"}
HONEST_BLOB_BYTES = 1072
FLOOD_BLOB_BYTES = 16432  # the largest sealed size (protocol §4)
WARM_UP = 5
RECV_TIMEOUT_S = 10
# hello, join and the round trips: every frame costs a token of the burst of 100.
MAX_SAMPLES = 100 - 2 - WARM_UP


async def next_signal_from(receiver: ParleyClient, sender: ParleyClient) -> str:
    """The next blob from `sender`; the flood's signals to `receiver` are skipped."""
    while True:
        frame = await receiver.recv_json()
        if frame["type"] == "signal" and frame["from"] == sender.id:
            return frame["blob"]
        if frame["type"] == "error":
            raise RuntimeError(f"the honest pair was refused: {frame}")


async def round_trip(a: ParleyClient, b: ParleyClient) -> float:
    blob = b64(os.urandom(HONEST_BLOB_BYTES))
    started = time.perf_counter()
    async with asyncio.timeout(RECV_TIMEOUT_S):
        await a.send_to(b.id, blob, "")
        if await next_signal_from(b, a) != blob:
            raise RuntimeError("a blob arrived changed")
        await b.send_to(a.id, blob, "")
        if await next_signal_from(a, b) != blob:
            raise RuntimeError("a blob arrived changed")
    return time.perf_counter() - started


async def honest_round_trips(port: int, topic: str, samples: int) -> list[float]:
    a, b = ParleyClient(port), ParleyClient(port)
    await a.start(topic)
    await b.start(topic)
    try:
        for _ in range(WARM_UP):
            await round_trip(a, b)
        return [await round_trip(a, b) for _ in range(samples)]
    finally:
        await a.ws.close()
        await b.ws.close()


class Flooder:
    def __init__(self, port: int) -> None:
        self.client = ParleyClient(port)
        self.sent = 0
        self.answers: dict[str, int] = {}
        self.closed_with: int | None = None

    async def run(self, topic: str, target: str, stop) -> None:
        await self.client.start(topic)
        blob = b64(os.urandom(FLOOD_BLOB_BYTES))
        frame = json.dumps({"type": "signal", "topic": topic, "to": target, "blob": blob})
        reader = asyncio.create_task(self.read())
        try:
            while not stop.is_set() and self.closed_with is None:
                await self.client.ws.send(frame)  # waits while the server does not read
                self.sent += 1
                await asyncio.sleep(0)  # let read() count the answers
        except ConnectionClosed:
            pass  # the server closed it: read() keeps the code
        finally:
            await self.client.ws.close()
            reader.cancel()

    async def read(self) -> None:
        try:
            async for text in self.client.ws:
                frame = json.loads(text)
                kind = frame.get("code", frame["type"])
                self.answers[kind] = self.answers.get(kind, 0) + 1
        finally:
            self.closed_with = self.client.ws.close_code


def flood(port: int, topic: str, target: str, flooders: int, burst_spent, stop, results) -> None:
    """The flooders, in a process of their own so that they do not slow the honest
    pair's process: `burst_spent` is set once every flooder is being dropped."""

    async def run() -> list[Flooder]:
        flood = [Flooder(port) for _ in range(flooders)]
        tasks = [asyncio.create_task(f.run(topic, target, stop)) for f in flood]
        while not stop.is_set():
            if all(f.answers.get("rate_limited", 0) for f in flood):
                burst_spent.set()
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks, return_exceptions=True)
        return flood

    flood_done = asyncio.run(run())
    results.put(
        {
            "flood_frames_sent": sum(f.sent for f in flood_done),
            "rate_limited": sum(f.answers.get("rate_limited", 0) for f in flood_done),
            "closed_by_server": [f.closed_with for f in flood_done if f.closed_with != 1000],
        }
    )


async def flooded_round_trips(port: int, topic: str, samples: int, flooders: int) -> dict:
    a, b = ParleyClient(port), ParleyClient(port)
    await a.start(topic)
    await b.start(topic)
    context = multiprocessing.get_context("spawn")
    burst_spent, stop, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(
        target=flood, args=(port, topic, a.id, flooders, burst_spent, stop, results)
    )
    process.start()
    try:
        # Until every flooder's burst is spent, its frames are relayed to A, not dropped.
        deadline = time.monotonic() + 60
        while not burst_spent.is_set():
            if time.monotonic() > deadline or not process.is_alive():
                raise RuntimeError("the flood did not start")
            await next_signal_or_nothing(a)
        for _ in range(WARM_UP):
            await round_trip(a, b)
        times = [await round_trip(a, b) for _ in range(samples)]
    finally:
        stop.set()
        outcome = await asyncio.to_thread(results.get, True, 60)
        process.join(10)
        await a.ws.close()
        await b.ws.close()
    # A flooder the server closed before the end would have left part of the
    # measurement unflooded (PARLEY_FLOOD_STRIKES is raised so that it cannot).
    if outcome["closed_by_server"]:
        raise RuntimeError(f"a flooder was closed while measuring: {outcome}")
    return {"times": times, **outcome, "flooders": flooders}


async def next_signal_or_nothing(client: ParleyClient) -> None:
    try:
        async with asyncio.timeout(0.05):
            await client.recv_json()
    except TimeoutError:
        pass


def summary(times: list[float]) -> dict:
    return {
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": percentile(times, 0.99) * 1e3,
        "samples": len(times),
    }


async def measure(port: int, samples: int, flooders: int) -> dict:
    unloaded = await honest_round_trips(port, b64(os.urandom(32)), samples)
    flooded = await flooded_round_trips(port, b64(os.urandom(32)), samples, flooders)
    row = {
        "unloaded": summary(unloaded),
        "flooded": summary(flooded.pop("times")),
        **flooded,
    }
    row["p50_ratio"] = row["flooded"]["p50_ms"] / row["unloaded"]["p50_ms"]
    row["p99_ratio"] = row["flooded"]["p99_ms"] / row["unloaded"]["p99_ms"]
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60, help=f"at most {MAX_SAMPLES}")
    parser.add_argument("--flooders", type=int, default=1)
    parser.add_argument("--servers", default=",".join(SERVERS))
    args = parser.parse_args(argv)
    if not 1 <= args.samples <= MAX_SAMPLES:
        parser.error(f"--samples must be 1..{MAX_SAMPLES}: each pair stays within its burst")
    rows = {}
    for name in args.servers.split(","):
        with running(name, extra_env=FLOOD_ENV) as server:
            rows[name] = asyncio.run(measure(server.port, args.samples, args.flooders))
        row = rows[name]
        print(
            f"{name:8} round trip p50 {row['unloaded']['p50_ms']:.2f} ms unloaded, "
            f"{row['flooded']['p50_ms']:.2f} ms flooded ({row['p50_ratio']:.2f}x); "
            f"p99 {row['unloaded']['p99_ms']:.2f} -> {row['flooded']['p99_ms']:.2f} ms "
            f"({row['p99_ratio']:.2f}x); the flood: {row['flood_frames_sent']} frames, "
            f"{row['rate_limited']} dropped by the rate limit"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"when": time.time(), "servers": rows}, indent=2) + "\n")
    print(f"written to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
