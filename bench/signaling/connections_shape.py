"""Shape 2, connections held: N idle connections, kept alive; how many stay open, and RSS."""

import asyncio
import contextlib
import os
import time

from bench.signaling.clients import Client, b64, new_client
from bench.signaling.servers import LABELS, Server, rss_kib

GROUP = 4  # members per topic in the connections shape
KEEPALIVE_S = 20  # under Parley's 90 s idle timeout and PeerJS's 90 s alive timeout


async def open_clients(
    kind: str,
    port: int,
    count: int,
    concurrency: int = 32,
    deadline: float | None = None,
    opened_into: list | None = None,
    group: int = GROUP,
    make_client=new_client,
) -> tuple[list[Client], dict[str, int]]:
    """`count` clients, `group` to a topic (Parley), at most `concurrency` opening at once.

    Returns the clients that opened and a count of failures by reason; none is started
    after `deadline` (perf_counter), those count as "not tried (time limit)". Each client
    is also appended to `opened_into` as soon as it is open (to be kept alive meanwhile).
    """
    clients = [make_client(kind, port) for _ in range(count)]
    topics = [b64(os.urandom(32)) for _ in range(0, count, group)]
    gate = asyncio.Semaphore(concurrency)
    opened: list[bool] = [False] * count
    failures: dict[str, int] = {}

    async def start(position: int) -> None:
        async with gate:
            if deadline is not None and time.perf_counter() > deadline:
                reason = "not tried (time limit)"
            else:
                try:
                    await clients[position].start(topics[position // group])
                    opened[position] = True
                    if opened_into is not None:
                        opened_into.append(clients[position])
                    return
                except Exception as error:  # noqa: BLE001 - counted and reported
                    reason = f"{type(error).__name__}: {error}"[:120]
                    clients[position].abort()
            failures[reason] = failures.get(reason, 0) + 1

    await asyncio.gather(*(start(i) for i in range(count)))
    return [client for client, ok in zip(clients, opened, strict=True) if ok], failures


async def keep_alive(clients: list[Client]) -> None:
    while True:
        await asyncio.sleep(1)
        due = time.monotonic() - KEEPALIVE_S
        for client in clients:
            if client.open and client.last_send < due:
                with contextlib.suppress(Exception):
                    await client.keepalive()


async def hold_clients(
    server: Server,
    count: int,
    settle: float,
    open_limit: float = 180.0,
    *,
    group: int = GROUP,
    make_client=new_client,
    until: asyncio.Event | None = None,
) -> tuple[dict, list[Client]]:
    """Open `count` clients, `group` to a topic, keep them alive for `settle` seconds (and
    then until `until` is set, at most 30 s more); the row of figures and the clients
    that opened (closed by then, what they recorded kept)."""
    await asyncio.sleep(1)  # let the fresh server finish starting up
    rss_before = rss_kib(server.pids)
    clients: list[Client] = []
    keeper = asyncio.create_task(keep_alive(clients))
    try:
        started = time.perf_counter()
        # Opening many can take longer than the servers' idle timeouts (90 s): each one
        # joins `clients`, which the keeper pings, as soon as it is open.
        opened, failures = await open_clients(
            server.kind, server.port, count, deadline=started + open_limit, opened_into=clients,
            group=group, make_client=make_client,
        )  # fmt: skip
        open_s = time.perf_counter() - started
        await asyncio.sleep(settle)
        if until is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), 30)
        held = sum(client.open for client in clients)
        rss_after = rss_kib(server.pids)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        for client in clients:
            client.abort()
    row = {
        "server": server.name,
        "label": LABELS[server.name],  # the rate limit plays no part here
        "connections": count,
        "opened": len(opened),
        "held": held,
        "failures": failures,
        "open_s": open_s,
        "rss_before_mib": rss_before / 1024,
        "rss_after_mib": rss_after / 1024,
        "kib_per_connection": (rss_after - rss_before) / max(held, 1),
    }
    return row, opened


async def hold_connections(
    server: Server, count: int, settle: float, open_limit: float = 180.0
) -> dict:
    row, _opened = await hold_clients(server, count, settle, open_limit)
    return row


def connections(server: Server, count: int, settle: float, open_limit: float = 180.0) -> dict:
    return asyncio.run(hold_connections(server, count, settle, open_limit))
