"""This process's link to Redis, the state that several server processes share.

One `RedisLink` per process (made by backend.RedisState from settings.REDIS_URL) holds:

- a `redis.asyncio` client with short connect and socket timeouts and no retries, so a
  Redis that is gone fails a call within about a second instead of hanging a frame;
- the process id, a random name under which the registries store this process's
  connections, and its heartbeat: the key `<prefix>proc:<id>`, set with a TTL and
  refreshed in the background. A process that dies stops refreshing it; once the key
  has expired, readers treat that process's members as gone and delete them;
- the outage watch: when a call or a heartbeat fails, or a heartbeat finds its key gone
  (Redis restarted empty, or the process was stalled past the TTL and others have
  forgotten it), every watcher is told, and the consumers close their connections with
  4503 so that the clients reconnect with backoff and join again into the Redis that is
  there now. The process then takes a new id: whatever Redis still holds under the old
  one (a leave that could not be sent) expires with the old heartbeat.

`call(coro)` runs one Redis command (a script, a pipeline) and turns every Redis or
socket failure into errors.Unavailable, the one exception the consumer handles.
"""

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import redis.asyncio as redis
from redis import exceptions as redis_errors
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from signal_server.state.errors import Unavailable

logger = logging.getLogger(__name__)

# The process id is this many hex characters; the topic registry's scripts cut it from
# the front of each stored member.
PROCESS_ID_CHARS = 16
# Redis did not answer (as opposed to answering with an error).
_UNREACHABLE = (TimeoutError, OSError, redis_errors.ConnectionError, redis_errors.TimeoutError)

Result = TypeVar("Result")


class RedisLink:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "parley:",
        timeout_seconds: float = 1.0,
        heartbeat_seconds: float = 2.0,
        process_ttl_seconds: int = 10,
    ):
        self.url = url
        self.prefix = prefix
        self.timeout_seconds = timeout_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.process_ttl_seconds = process_ttl_seconds
        self.process_prefix = f"{prefix}proc:"
        self.process_id = self.process_key = ""
        self._ever_beat = False
        self._new_process_id()
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            decode_responses=False,
        )
        # False once a call or a heartbeat failed to reach Redis, until one succeeds: new
        # connections are then refused at once (4503) rather than welcomed into a server
        # that cannot work.
        self.healthy = True
        self._beating: asyncio.Task[None] | None = None
        # Other background tasks on this link (the topic sweep), stopped with it.
        self._tasks: set[asyncio.Task[None]] = set()
        self._watchers: set[Callable[[], None]] = set()

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def call(self, awaitable: Awaitable[Result]) -> Result:
        """Await one Redis call; any failure to reach Redis is Unavailable."""
        self.start()
        try:
            result = await awaitable
        except _UNREACHABLE as error:
            self._failed()
            raise Unavailable("the server's shared state (Redis) is unreachable") from error
        except redis_errors.RedisError as error:
            # An answer, so Redis is there (a failed-over replica, say): this call fails
            # but the process's state is not presumed lost.
            raise Unavailable("the server's shared state (Redis) is unreachable") from error
        self.healthy = True
        return result

    async def ping(self) -> bool:
        try:
            await self.call(self.client.ping())
        except Unavailable:
            return False
        return True

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Call `on_lost()` when this process's shared state is lost (see above)."""
        self._watchers.add(on_lost)

    def unwatch(self, on_lost: Callable[[], None]) -> None:
        self._watchers.discard(on_lost)

    def start(self) -> None:
        """Start the heartbeat in the running loop, if it is not running yet."""
        if self._beating is None or self._beating.done():
            self._beating = asyncio.get_running_loop().create_task(self._beat_forever())

    def run_in_background(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop(self) -> None:
        """Stop the heartbeat and the background tasks; close the client (tests)."""
        tasks = [*self._tasks, *([self._beating] if self._beating else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._beating = None
        await self.client.aclose()

    async def beat(self) -> None:
        """Refresh the heartbeat once; tell the watchers if the state was lost."""
        key = self.process_key
        try:
            previous = await self.client.set(key, b"1", ex=self.process_ttl_seconds, get=True)
        except (*_UNREACHABLE, redis_errors.RedisError):
            self._failed()
            return
        if key != self.process_key:
            return  # the process took a new id meanwhile; the next beat is for that one
        # The key is also set by every join (topics.py), so it is missing only if
        # Redis lost it: restarted, or expired while this process was stalled.
        if previous is None and self._ever_beat:
            logger.warning("Redis lost this process's connections; closing them")
            self._lost()
        self._ever_beat = True
        self.healthy = True

    async def _beat_forever(self) -> None:
        task = asyncio.current_task()
        while True:
            await self.beat()
            # redis-py may turn a cancellation inside a call into a connection error,
            # which beat() takes for an outage: the cancellation must not be lost.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(self.heartbeat_seconds)

    def _new_process_id(self) -> None:
        self.process_id = secrets.token_hex(PROCESS_ID_CHARS // 2)
        self.process_key = f"{self.process_prefix}{self.process_id}"
        self._ever_beat = False

    def lost_contact(self) -> None:
        """Another part of the process lost Redis (the relay's subscription, relay.py)."""
        self._failed()

    def _failed(self) -> None:
        if self.healthy:
            logger.warning("Redis is unreachable; closing this process's connections")
            self.healthy = False
            self._lost()

    def _lost(self) -> None:
        self._new_process_id()
        for on_lost in list(self._watchers):
            try:
                on_lost()
            except Exception:
                logger.exception("an outage watcher failed")
