"""The shared state in Redis, for several server processes: `RedisState` bundles one
RedisLink (link.py) with the topic registry, per-address counts, keyed buckets, mirror
registration and event relay built on it, as factory.py asks for them when
settings.REDIS_URL is set.

Importing this module imports `redis` and `msgpack`: only the factory does, and only
with REDIS_URL, so the base install works without the `redis` extra.
"""

from typing import Any

from signal_server.state.redis.addresses import RedisAddressRegistry
from signal_server.state.redis.buckets import RedisBucketRegistry
from signal_server.state.redis.link import RedisLink
from signal_server.state.redis.mirrors import RedisMirrorDirectory
from signal_server.state.redis.relay import RedisRelay
from signal_server.state.redis.topics import RedisTopicRegistry


class RedisState:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.topics = RedisTopicRegistry(link)
        self.addresses = RedisAddressRegistry(link)
        self.mirrors = RedisMirrorDirectory(link)
        self.relay = RedisRelay(link)
        self._buckets: dict[tuple[str, float, int], RedisBucketRegistry] = {}

    @classmethod
    def from_settings(cls, url: str, conf: dict[str, Any]) -> "RedisState":
        """From settings.REDIS_URL and settings.PARLEY_REDIS."""
        return cls(
            RedisLink(
                url,
                prefix=conf["PREFIX"],
                timeout_seconds=float(conf["TIMEOUT_SECONDS"]),
                heartbeat_seconds=float(conf["HEARTBEAT_SECONDS"]),
                process_ttl_seconds=int(conf["PROCESS_TTL_SECONDS"]),
            )
        )

    def buckets(self, name: str, rate: float, burst: int) -> RedisBucketRegistry:
        key = (name, rate, burst)
        if key not in self._buckets:
            self._buckets[key] = RedisBucketRegistry(self.link, name, rate, burst)
        return self._buckets[key]

    async def close(self) -> None:
        await self.relay.stop()
        await self.link.stop()
