"""The mirror service (docs/protocol.md §12): one rendezvous connection that registers as
the server's mirror, answers sealed requests, and links to members in every room held.

    service = MirrorService(server_url, mirror_key, limits, clock=wall_clock_ms)
    await service.run()       # until cancelled: reconnects with backoff, rooms from the DB

Expired entries become stubs and expired files go at the moment they expire (§7
"Disappearing messages"): an ExpiryTimer (mirror/expiry.py) runs `sweep` then, by the
one `clock` every room's log reads too.

Everything stored goes through mirror/store.py. Logs name rooms by the first characters
of their topic and say what happened, never what an entry holds (it cannot know).
"""

import asyncio
import datetime
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.utils import timezone
from nacl.signing import SigningKey
from websockets.exceptions import WebSocketException

from mirror import store
from mirror.expiry import ExpiryTimer
from mirror.held_room import HeldRoomPeer, RoomLimits
from parley_peer.blind_log import BlindEntry, BlindLog, Clock, wall_clock_ms
from parley_peer.encoding import b64url_decode
from parley_peer.ice import IceConfig, IceServers
from parley_peer.mirror_request import (
    MirrorCapability,
    MirrorRequest,
    MirrorRequestError,
    open_request,
    reply_error,
    reply_ok,
    seal_reply,
)
from parley_peer.signaling import SignalingClient, SignalingError

logger = logging.getLogger("mirror")
T = TypeVar("T")

FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.5, 30.0
STEADY_S = 60.0
EXPIRY_CHECK_S = 3600.0


@dataclass(frozen=True)
class ServiceLimits:
    max_rooms: int
    room: RoomLimits
    expiry_days: float


class SharedIce(IceConfig):
    """One set of ICE servers for every room of the service's connection: asked once, not
    per room (the server's per-connection budget), renewed while any room has links."""

    async def refresh(self) -> IceServers:
        if self.current.servers and (self.renew_in() or 0) > 60:
            return self.current
        return await super().refresh()

    async def stop(self) -> None:
        """A room leaving must not stop the renewal of the others (see close)."""

    async def close(self) -> None:
        await super().stop()


class MirrorService:
    def __init__(
        self,
        server_url: str,
        mirror_key: SigningKey,
        limits: ServiceLimits,
        clock: Clock = wall_clock_ms,
    ) -> None:
        self.server_url, self.mirror_key, self.limits = server_url, mirror_key, limits
        self.clock = clock  # ms since the epoch: when entries and files expire
        self.expiry_timer = ExpiryTimer(clock, self.sweep)
        self.rooms: dict[str, HeldRoomPeer] = {}
        self.signaling: SignalingClient | None = None
        self.ice: SharedIce | None = None
        self.ready = asyncio.Event()  # registered, rooms started (tests wait on it)
        self._requests: set[asyncio.Task] = set()
        self._db = asyncio.Lock()  # one database call at a time
        # The newest request carried out per room: requests are fresh for 10 minutes, so
        # remembering them for this process's life is enough to refuse replays.
        self._last_request_ts: dict[str, int] = {}

    async def run(self) -> None:
        backoff = FIRST_BACKOFF_S
        expiry = asyncio.ensure_future(self._expire_forever())
        sweeps = asyncio.ensure_future(self.expiry_timer.run())
        try:
            while True:
                began = asyncio.get_running_loop().time()
                try:
                    await self._serve_once()
                except (OSError, SignalingError, TimeoutError, WebSocketException) as problem:
                    logger.info("rendezvous connection failed: %s", problem)
                # Only a connection that lasted starts the backoff again: one the server
                # closes at once (a limit, a restart loop) must not be retried in a hurry.
                if asyncio.get_running_loop().time() - began > STEADY_S:
                    backoff = FIRST_BACKOFF_S
                delay = backoff * random.uniform(0.5, 1.5)  # jitter, not a secret
                backoff = min(MAX_BACKOFF_S, backoff * 2)
                logger.info("reconnecting in %.1f s", delay)
                await asyncio.sleep(delay)
        finally:
            expiry.cancel()
            sweeps.cancel()
            await self._teardown()

    async def _serve_once(self) -> None:
        signaling = SignalingClient(self.server_url)
        await signaling.connect()
        self.signaling = signaling
        self.ice = SharedIce(signaling, has_links=self._has_links)
        try:
            signaling.add_listener(self._on_server_frame)
            await signaling.serve_mirror(self.mirror_key)
            logger.info("serving as the mirror of %s", self.server_url)
            for stored in await self._db_call(store.load_rooms):
                await self._start_room(stored.capability, stored)
            self.ready.set()
            await signaling.closed.wait()
            logger.info("rendezvous connection closed (%s)", signaling.close_code)
        finally:
            self.ready.clear()
            await self._teardown()

    async def _teardown(self) -> None:
        rooms, self.rooms = list(self.rooms.values()), {}
        for room in rooms:
            await room.stop()
        if self.ice is not None:
            await self.ice.close()
        if self.signaling is not None:
            await self.signaling.close()

    def _has_links(self) -> bool:
        return any(room.swarm.peers for room in self.rooms.values())

    async def _db_call(self, function: Callable[..., T], *args: object) -> T:
        async with self._db:
            return await sync_to_async(function, thread_sensitive=True)(*args)

    # RoomStore (held_room.py), on the database.

    async def save_entries(self, topic: str, added: list[BlindEntry], forks: list[bytes]) -> None:
        await self._db_call(store.save, topic, added, forks)

    async def delete_entries(self, topic: str, removed: list[BlindEntry]) -> None:
        await self._db_call(store.delete_entries, topic, removed)

    async def keep_file(
        self, topic: str, root: bytes, size: int, version: int, expires: int | None
    ) -> None:
        await self._db_call(store.keep_file, topic, root, size, version, expires)

    async def strip_due(self, topic: str, now: int) -> None:
        await self._db_call(store.strip_due, topic, now)

    async def forget_due_files(self, topic: str, now: int) -> None:
        await self._db_call(store.forget_due_files, topic, now)

    async def save_chunk(
        self, topic: str, root: bytes, index: int, ciphertext: bytes, proof: list[bytes]
    ) -> None:
        await self._db_call(store.save_chunk, topic, root, index, ciphertext, proof)

    def _send_wake(self, mailbox: bytes, blob: str) -> None:
        """Hand a member's sealed wake to the server to push (§10): the service learns the
        mailbox id and nothing else."""
        if self.signaling is None:
            return
        self._spawn(self.signaling.wake(mailbox, blob))
        logger.info("a wake handed on")

    def _touched(self, topic: str) -> None:
        self._spawn(self._db_call(store.touch, topic))

    def _spawn(self, work: Awaitable[object]) -> None:
        """Run `work` on its own, kept referenced until it ends."""
        task = asyncio.ensure_future(work)
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def _start_room(
        self,
        capability: MirrorCapability,
        stored: store.StoredRoom | None = None,
    ) -> None:
        assert self.signaling is not None and self.ice is not None
        room = HeldRoomPeer(
            capability,
            BlindLog(
                capability.discovery_key,
                stored.entries if stored else [],
                stored.forked if stored else [],
                control_key=capability.control_key,
                founder=capability.founder,
                clock=self.clock,
            ),
            stored.files if stored else [],
            signaling=self.signaling,
            ice=self.ice,
            identity=self.mirror_key,
            limits=self.limits.room,
            store=self,
            on_touched=self._touched,
            send_wake=self._send_wake,
            on_expiry=self.expiry_timer.arm,
        )
        self.rooms[capability.topic] = room
        await room.start()
        self.expiry_timer.arm(room.next_expiry())
        logger.info("room %s: held (%d entries)", room.short, room.log.count())

    # Requests (§12).

    def _on_server_frame(self, frame: dict) -> None:
        if frame.get("type") != "mirror-request":
            return
        self._spawn(self._answer(frame))

    async def _answer(self, frame: dict) -> None:
        try:
            requester_key = b64url_decode(frame.get("key"), 32)  # type: ignore[arg-type]
        except Exception:
            return  # the server's own frame, malformed: nobody to answer
        try:
            request = open_request(frame.get("blob"), self.mirror_key)
        except MirrorRequestError as error:
            reply = reply_error(None, error.code)
        else:
            try:
                reply = await self._carry_out(request)
            except Exception:  # the requester hears of it rather than waiting in vain
                logger.exception("a %s request failed", request.op)
                reply = reply_error(request.capability.topic, "failed")
        signaling = self.signaling
        if signaling is not None:
            await signaling.mirror_reply(frame["from"], seal_reply(reply, requester_key))

    async def _carry_out(self, request: MirrorRequest) -> dict:
        op, capability, topic = request.op, request.capability, request.capability.topic
        # A request replayed by whoever relays it (a hold after its drop, or the reverse)
        # is older than the last one carried out for the room: refused.
        if request.ts <= self._last_request_ts.get(topic, -1):
            return reply_error(topic, "stale")
        self._last_request_ts[topic] = request.ts
        try:
            if op == "hold":
                held = await self._db_call(store.hold, capability, self.limits.max_rooms)
                running = self.rooms.get(topic)
                if held.status == "new" or running is None:
                    await self._start_room(held.capability)
                elif held.status == "keyed" and held.capability.control_key is not None:
                    running.take_control_key(held.capability.control_key)
            else:
                await self._db_call(store.drop, capability)
                room = self.rooms.pop(topic, None)
                if room is not None:
                    await room.stop()
                logger.info("room %s: dropped at a member's request", topic[:8])
        except store.StoreRefusal as refusal:
            logger.info("room %s: %s refused (%s)", topic[:8], op, refusal.code)
            return reply_error(topic, refusal.code)
        return reply_ok(topic)

    # Expiry: of entries and files (§7 "Disappearing messages"), of rooms nobody uses.

    async def sweep(self, now: int) -> int | None:
        """Strip the entries and forget the files that expired by `now` (ms); when the
        next sweep is needed (ms), or None."""
        if not self.rooms:
            # No room loaded (no rendezvous connection, or none held): straight in the
            # database, so that nothing outlives its expiry while the service is away.
            return await self._db_call(store.sweep_all, now)
        for room in list(self.rooms.values()):
            room.sweep(now)
        times = [room.next_expiry() for room in self.rooms.values()]
        return min([t for t in times if t is not None], default=None)

    async def _expire_forever(self) -> None:
        while True:
            await self.expire()
            await asyncio.sleep(EXPIRY_CHECK_S)

    async def expire(self) -> list[str]:
        # A member linked now touches its room: only rooms nobody uses go.
        for topic in [topic for topic, held in self.rooms.items() if held.replicators]:
            await self._db_call(store.touch, topic)
        before = timezone.now() - datetime.timedelta(days=self.limits.expiry_days)
        dropped = await self._db_call(store.expire, before)
        for topic in dropped:
            gone = self.rooms.pop(topic, None)
            if gone is not None:
                await gone.stop()
            logger.info(
                "room %s: expired, untouched for %g days", topic[:8], self.limits.expiry_days
            )
        return dropped
