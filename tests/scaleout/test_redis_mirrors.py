"""The mirror's registration in Redis (state/redis/mirrors.py) against a real
redis-server: a registration of a process that died is forgotten with its heartbeat.

Each RedisLink here stands for one server process (conftest.py); the contract of the
registration, shared with the memory backend, is in tests/server/test_state_contract.py.
"""

import asyncio
import os

from signal_server.state.interfaces import Member
from signal_server.state.redis.mirrors import RedisMirrorDirectory

from .conftest import PROCESS_TTL
from .test_redis_registry import wait_until


def member() -> Member:
    return Member(id=os.urandom(16), key=os.urandom(32), channel_name=f"c.{os.urandom(4).hex()}")


async def test_the_mirror_of_a_dead_process_is_forgotten_with_its_heartbeat(new_link):
    alive, dying = new_link(), new_link()
    one, two = RedisMirrorDirectory(alive), RedisMirrorDirectory(dying)
    mirror = member()
    await two.register(mirror)
    assert await one.current() == mirror
    # The process dies with its mirror connection still registered.
    assert dying._beating is not None
    dying._beating.cancel()

    async def forgotten() -> bool:
        return await one.current() is None

    await wait_until(forgotten)
    # ... deleted from Redis, not just hidden.
    assert not await alive.client.exists(one.key)


async def test_a_live_process_keeps_its_mirror_long_after_the_ttl(new_link):
    one, two = RedisMirrorDirectory(new_link()), RedisMirrorDirectory(new_link())
    mirror = member()
    await two.register(mirror)
    await asyncio.sleep(PROCESS_TTL * 2.5)
    assert await one.current() == mirror


async def test_a_value_this_code_did_not_write_is_no_mirror(new_link):
    link = new_link()
    mirrors = RedisMirrorDirectory(link)
    await mirrors.register(member())
    await link.client.hset(mirrors.key, "member", b"\xc1 not msgpack")
    assert await mirrors.current() is None
