"""The per-address caps in Redis (state/redis/addresses.py), against a real redis-server.

Each RedisLink stands for one server process (conftest.new_link).
"""

import asyncio
import time

from signal_server.state.redis.addresses import RedisAddressRegistry

from .conftest import PROCESS_TTL

WAIT_SECONDS = 10


async def test_counts_are_summed_over_processes_and_forgotten_at_zero(new_link):
    link = new_link()
    one, two = RedisAddressRegistry(link), RedisAddressRegistry(new_link())
    assert await one.add_connection("a") == 0
    assert await two.add_connection("a") == 1
    assert await two.add_topic("a") == 0
    assert (await one.connections("a"), await one.topics("a")) == (2, 1)
    await two.remove_connection("a", topics=1)
    await one.remove_connection("a", topics=0)
    assert (await two.connections("a"), await two.topics("a")) == (0, 0)
    assert not await link.client.exists(one._key("a"))


async def test_the_cap_holds_across_processes_and_a_refusal_counts_nothing(new_link):
    one, two = RedisAddressRegistry(new_link()), RedisAddressRegistry(new_link())
    assert await one.add_connection("a", cap=2) == 0
    assert await two.add_connection("a", cap=2) == 1
    assert await one.add_connection("a", cap=2) == 2  # at the cap: not counted
    assert await two.add_connection("a", cap=2) == 2
    assert await one.connections("a") == 2
    assert await one.add_connection("b", cap=2) == 0  # another address
    await one.remove_connection("a", topics=0)
    assert await two.add_connection("a", cap=2) == 1


async def test_concurrent_admissions_never_pass_the_cap(new_link):
    registries = [RedisAddressRegistry(new_link()) for _ in range(4)]
    befores = await asyncio.gather(*(r.add_topic("a", cap=5) for r in registries for _ in range(5)))
    assert sorted(b for b in befores if b < 5) == [0, 1, 2, 3, 4]
    assert await registries[0].topics("a") == 5


async def test_a_dead_process_stops_counting(new_link):
    alive, dying = new_link(), new_link()
    one, two = RedisAddressRegistry(alive), RedisAddressRegistry(dying)
    await one.add_connection("a", cap=2)
    await two.add_connection("a", cap=2)
    assert await one.add_connection("a", cap=2) == 2
    dying._beating.cancel()  # it dies without uncounting its connection
    deadline = time.monotonic() + WAIT_SECONDS
    while await one.connections("a") != 1:
        assert time.monotonic() < deadline, "the dead process still counts"
        await asyncio.sleep(0.05)
    assert await one.add_connection("a", cap=2) == 1
    assert PROCESS_TTL < WAIT_SECONDS
