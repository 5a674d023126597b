"""Shape 1, relay: pairs of clients in a closed loop, one envelope in flight per pair.

Relayed envelopes per second, one-way latency, every blob checked; the pairs split over
one load thread or several load processes, the server's CPU read over the same window.
"""

import asyncio
import multiprocessing
import os
import statistics
import struct
import threading
import time
from dataclasses import dataclass, field

from bench.signaling.clients import Client, Lost, b64, new_client
from bench.signaling.servers import Server, cpu_seconds

BLOB_BYTES = 1072  # the smallest sealed-envelope size (protocol §4)
RECV_TIMEOUT_S = 10
CPU_BOUND = 0.9  # share of one core above which the load process is the limit


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class RelayTally:
    relayed: int = 0  # envelopes received inside the window
    sent: int = 0  # envelopes sent, warm-up included
    latencies_ms: list[float] = field(default_factory=list)
    damaged: int = 0  # a blob that came back changed, or from the wrong peer
    lost: int = 0
    error_frames: int = 0
    checked: int = 0  # envelopes checked, warm-up included
    load_cpu_s: float = 0.0


async def relay_pair(a: Client, b: Client, index: int, window: tuple[float, float], tally) -> None:
    body = os.urandom(BLOB_BYTES - 12)
    start, end = window
    seq = 0
    while time.perf_counter() < end:
        seq += 1
        blob = b64(struct.pack(">IQ", index, seq) + body)
        # There and back: A -> B as an offer, B -> A as an answer, the same blob.
        for sender, receiver, kind in ((a, b, "OFFER"), (b, a, "ANSWER")):
            await sender.pace()  # Parley's clients stay under the rate limit (§3)
            sent = time.perf_counter()
            await sender.send_to(receiver.id, blob, kind)
            tally.sent += 1
            try:
                async with asyncio.timeout(RECV_TIMEOUT_S):
                    source, got = await receiver.receive()
            except (Lost, TimeoutError):
                tally.lost += 1
                break
            arrived = time.perf_counter()
            tally.checked += 1
            if source != sender.id or got != blob:
                tally.damaged += 1
            if start <= arrived < end:
                tally.relayed += 1
                tally.latencies_ms.append((arrived - sent) * 1000)


async def relay_worker(kind, port, first, pairs, warmup, seconds, ready) -> RelayTally:
    clients: list[Client] = []
    try:
        for _ in range(pairs):
            a, b = new_client(kind, port), new_client(kind, port)
            topic = b64(os.urandom(32))
            await a.start(topic)
            await b.start(topic)
            clients += [a, b]
        await asyncio.to_thread(ready)  # every load process is set up: go together
        now = time.perf_counter()
        window = (now + warmup, now + warmup + seconds)
        tally = RelayTally()
        cpu = asyncio.create_task(measure_cpu(window))
        pairs_done = [
            relay_pair(clients[2 * i], clients[2 * i + 1], first + i, window, tally)
            for i in range(pairs)
        ]
        await asyncio.gather(*pairs_done)
        tally.load_cpu_s = await cpu
        tally.error_frames = sum(client.error_frames for client in clients)
        return tally
    finally:
        for client in clients:
            client.abort()


async def measure_cpu(window: tuple[float, float]) -> float:
    """CPU time of this (load) thread inside the window."""
    await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
    before = time.thread_time()
    await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
    return time.thread_time() - before


def _relay_process(kind, port, first, pairs, warmup, seconds, barrier, queue) -> None:
    tally = asyncio.run(relay_worker(kind, port, first, pairs, warmup, seconds, barrier.wait))
    queue.put(tally)


def relay(server: Server, pairs: int, warmup: float, seconds: float, processes: int) -> dict:
    """Run the closed loop with the pairs split over `processes` load processes."""
    shares = [pairs // processes + (i < pairs % processes) for i in range(processes)]
    firsts = [sum(shares[:i]) for i in range(processes)]
    tallies: list[RelayTally] = []
    if processes == 1:
        barrier = threading.Barrier(2)
        thread = threading.Thread(
            target=lambda: tallies.append(
                asyncio.run(
                    relay_worker(server.kind, server.port, 0, pairs, warmup, seconds, barrier.wait)
                )
            )
        )
        thread.start()
        workers = [thread]
    else:
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(processes + 1)
        queue = context.Queue()
        workers = [
            context.Process(
                target=_relay_process,
                args=(server.kind, server.port, first, share, warmup, seconds, barrier, queue),
            )
            for first, share in zip(firsts, shares, strict=True)
        ]
        for worker in workers:
            worker.start()
    barrier.wait(timeout=120)
    time.sleep(warmup)
    cpu_before = cpu_seconds(server.pids)
    time.sleep(seconds)
    server_cpu = cpu_seconds(server.pids) - cpu_before
    if processes > 1:
        tallies = [queue.get(timeout=RECV_TIMEOUT_S + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=RECV_TIMEOUT_S + 60)
    latencies = [value for tally in tallies for value in tally.latencies_ms]
    relayed = sum(tally.relayed for tally in tallies)
    return {
        "server": server.name,
        "label": server.label,
        "rate_limit": server.limits or "none",
        "pairs": pairs,
        "warmup_s": warmup,
        "seconds": seconds,
        "load_processes": processes,
        "relays_per_s": relayed / seconds,
        "relayed": relayed,
        "sent": sum(tally.sent for tally in tallies),
        "checked": sum(tally.checked for tally in tallies),
        "damaged": sum(tally.damaged for tally in tallies),
        "lost": sum(tally.lost for tally in tallies),
        "error_frames": sum(tally.error_frames for tally in tallies),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "load_cpu": max((tally.load_cpu_s for tally in tallies), default=0) / seconds,
        "server_cpu": server_cpu / seconds,
    }
