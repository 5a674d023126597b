"""The mirror service (mirror/service.py) against a real rendezvous server and a member
played by the Python peer over WebRTC (docs/protocol.md §12): a sealed request makes it
hold a room, it stores what passes the checks byte for byte and nothing else, it keeps
to the operator's limits (rooms, bytes, entry rate, expiry), a restart keeps the room,
and `drop` forgets it; at their expiry its entries become stubs and its files go (§7
"Disappearing messages"); a room held without a control key takes a later hold's and
then enforces revocations (§13)."""

import asyncio
import datetime

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from nacl.signing import SigningKey

from e2e.server import running_server
from mirror import store
from mirror.held_room import RoomLimits
from mirror.models import HeldEntry, HeldFile, HeldRoom
from mirror.paced_inbox import MAX_WAITING_FRAMES
from mirror.service import MirrorService, ServiceLimits
from parley_peer.blind_log import Clock, wall_clock_ms
from parley_peer.device_cert import certify_device
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.entry import entry_stub
from parley_peer.keys import new_room_secret
from parley_peer.mirror_request import MirrorCapability, open_reply, seal_request
from parley_peer.room_peer import RoomPeer
from tests.server.push_fixtures import release_db_connections  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("release_db_connections"),
]

MIRROR = SigningKey.generate()
WAIT_S = 20
ROOMY = ServiceLimits(
    max_rooms=10,
    room=RoomLimits(max_bytes=1 << 30, entries_per_second=1000, entries_burst=10_000),
    expiry_days=30,
)


@pytest.fixture(scope="module")
def server_url():
    with running_server({"PARLEY_MIRROR_KEY": b64url_encode(bytes(MIRROR.verify_key))}) as url:
        yield url


class Running:
    """A MirrorService on this test's loop, started and stopped by the test."""

    def __init__(
        self, server_url: str, limits: ServiceLimits = ROOMY, clock: Clock = wall_clock_ms
    ) -> None:
        self.service = MirrorService(server_url, MIRROR, limits, clock)
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> MirrorService:
        self.task = asyncio.ensure_future(self.service.run())
        async with asyncio.timeout(WAIT_S):
            await self.service.ready.wait()
        return self.service

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def ask(member: RoomPeer, op: str, capability: MirrorCapability | None = None) -> dict:
    """Send a sealed request through the server and open the sealed reply."""
    replies: asyncio.Queue[dict] = asyncio.Queue()

    def catch(frame: dict) -> None:
        if frame.get("type") in ("mirror-reply", "error"):
            replies.put_nowait(frame)

    member.signaling.add_listener(catch)
    try:
        capability = capability or MirrorCapability.of(member.room_keys)
        blob = seal_request(op, capability, bytes(MIRROR.verify_key))
        await member.signaling.request_mirror(blob)
        async with asyncio.timeout(WAIT_S):
            frame = await replies.get()
    finally:
        member.signaling.remove_listener(catch)
    assert frame["type"] == "mirror-reply", frame
    return open_reply(frame["blob"], member.signaling.connection_key)


def chain(member: RoomPeer, count: int, start: int = 0, prev: bytes | None = None, text="x"):
    entries = []
    for seq in range(start, start + count):
        entry = member.make_entry(member.message_body(text, clock=seq + 1), seq=seq, prev=prev)
        entries.append(entry)
        prev = entry.id
    return entries


async def stored(topic: str) -> list[tuple[bytes, int, bytes]]:
    def rows():
        return [
            (bytes(e.author), e.seq, bytes(e.data))
            for e in HeldEntry.objects.filter(room__topic=topic).order_by("author", "seq")
        ]

    return await sync_to_async(rows)()


async def mirror_heads(member: RoomPeer, length: int, not_from=None, author=None):
    """The mirror link whose `heads` first announce `length` entries of the member (or of
    `author`), not counting the link `not_from` (an earlier one)."""
    author = author or member.identity_id
    async with asyncio.timeout(WAIT_S):
        while True:
            peer, frame = await member.next_frame("heads", timeout=WAIT_S)
            heads = {head["author"]: head["length"] for head in frame["heads"]}
            if peer.role == "mirror" and peer is not not_from and heads.get(author) == length:
                return peer


async def linked_member(server_url: str, name: str = "Ada", secret: bytes | None = None):
    member = RoomPeer(server_url, secret or new_room_secret(), name)
    await member.start()
    return member


async def test_a_held_room_keeps_what_passes_the_checks_byte_for_byte_and_nothing_else(
    server_url,
):
    async with Running(server_url) as service:
        ada = await linked_member(server_url)
        try:
            assert await ask(ada, "hold") == {"v": 1, "topic": ada._swarm.topic, "ok": True}
            [mirror] = await ada.wait_ready(1, timeout=WAIT_S)
            assert mirror.role == "mirror" and mirror.identity == bytes(MIRROR.verify_key)
            good = chain(ada, 3)
            await ada.send_entries(good)
            await mirror_heads(ada, 3)

            stranger = RoomPeer(server_url, new_room_secret(), "Elsewhere")
            elsewhere = chain(stranger, 1)[0]  # signed for another room's discovery key
            forged = bytearray(chain(ada, 1, start=3, prev=good[-1].id)[0].data)
            forged[-1] ^= 1
            unchained = chain(ada, 1, start=3, prev=b"\x07" * 32)[0]
            oversized = bytearray(chain(ada, 1, start=3, prev=good[-1].id)[0].data)
            oversized += bytes(16_566 - len(oversized))
            for bad in (elsewhere.data, bytes(forged), unchained.data, bytes(oversized)):
                await ada.send_entries([bad])
            rival = chain(ada, 1, start=2, prev=good[1].id, text="rewritten")[0]
            await ada.send_entries([rival])  # a fork: the author's log is no longer served
            later = chain(ada, 1, start=3, prev=good[-1].id)[0]
            await ada.send_entries([later])
            # A barrier: another member's entry, relayed after all that. The mirror reads
            # a link's frames in order, so once its heads show that entry, it has read
            # every frame before it.
            cyd = RoomPeer(server_url, ada.room_secret, "Cyd")
            [barrier] = chain(cyd, 1)
            await ada.send_entries([barrier])
            await mirror_heads(ada, 1, author=cyd.identity_id)
            await service.rooms[ada._swarm.topic].flushed()
            author = ada.identity.verify_key.encode()
            assert author in service.rooms[ada._swarm.topic].log.forked
            assert await stored(ada._swarm.topic) == sorted(
                [(author, seq, entry.data) for seq, entry in enumerate(good)]
                + [(cyd.identity.verify_key.encode(), 0, barrier.data)]
            )
        finally:
            await ada.close()


async def test_a_full_service_refuses_a_new_room_and_drop_forgets_one(server_url):
    limits = ServiceLimits(max_rooms=1, room=ROOMY.room, expiry_days=30)
    async with Running(server_url, limits):
        ada = await linked_member(server_url)
        bob = await linked_member(server_url, "Bob")
        try:
            assert (await ask(ada, "hold"))["ok"] is True
            assert await ask(ada, "hold") == {"v": 1, "topic": ada._swarm.topic, "ok": True}
            full = await ask(bob, "hold")
            assert full == {"v": 1, "topic": bob._swarm.topic, "ok": False, "error": "full"}
            keys = ada.room_keys
            wrong = MirrorCapability(keys.discovery_key, b"\x01" * 32)
            assert (await ask(bob, "drop", wrong))["error"] == "wrong_key"
            assert (await ask(ada, "drop"))["ok"] is True
            assert (await ask(ada, "drop"))["error"] == "not_held"
            assert await sync_to_async(HeldRoom.objects.count)() == 0
            assert (await ask(bob, "hold"))["ok"] is True  # room for it now
        finally:
            await ada.close()
            await bob.close()


async def test_a_room_past_its_bytes_stores_no_more(server_url):
    entry_bytes = len(chain(RoomPeer(server_url, new_room_secret(), "A"), 1)[0].data)
    limits = ServiceLimits(
        max_rooms=10, room=ROOMY.room._replace(max_bytes=3 * entry_bytes), expiry_days=30
    )
    async with Running(server_url, limits) as service:
        ada = await linked_member(server_url)
        try:
            await ask(ada, "hold")
            await ada.wait_ready(1, timeout=WAIT_S)
            await ada.send_entries(chain(ada, 5))  # three fit
            await mirror_heads(ada, 3)
            await service.rooms[ada._swarm.topic].flushed()
            assert len(await stored(ada._swarm.topic)) == 3
        finally:
            await ada.close()


async def test_a_link_past_its_entry_rate_waits_and_a_flood_is_cut_off(server_url):
    limits = ServiceLimits(
        max_rooms=10,
        room=ROOMY.room._replace(entries_per_second=0.01, entries_burst=5),
        expiry_days=30,
    )
    async with Running(server_url, limits) as service:
        ada = await linked_member(server_url)
        try:
            await ask(ada, "hold")
            [mirror] = await ada.wait_ready(1, timeout=WAIT_S)
            entries = chain(ada, 5 + MAX_WAITING_FRAMES + 1)
            await ada.send_entries(entries[:5])  # the link's five tokens
            await mirror_heads(ada, 5)
            # The budget is spent: each frame now waits its turn, and a link that keeps
            # more waiting than an honest member ever could is closed.
            for entry in entries[5:]:
                await ada.send_frame({"t": "entries", "entries": [b64url_encode(entry.data)]})
            await ada.wait_for(lambda: mirror.state == "closed", WAIT_S)
            await service.rooms[ada._swarm.topic].flushed()
            assert len(await stored(ada._swarm.topic)) == 5
        finally:
            await ada.close()


async def test_a_restart_keeps_the_room_and_expiry_drops_an_untouched_one(server_url):
    ada = await linked_member(server_url)
    try:
        async with Running(server_url):
            await ask(ada, "hold")
            await ada.wait_ready(1, timeout=WAIT_S)
            await ada.send_entries(chain(ada, 2))
            before = await mirror_heads(ada, 2)
        async with Running(server_url) as service:
            # A new link to the restarted service announces what it kept.
            await mirror_heads(ada, 2, not_from=before)
            topic = ada._swarm.topic
            long_ago = timezone.now() - datetime.timedelta(days=31)
            untouched = HeldRoom.objects.filter(topic=topic).update
            await sync_to_async(untouched)(touched=long_ago)
            assert await service.expire() == [], "a member is linked: the room is in use"
            await ada.close()  # nobody links any more
            for _ in range(WAIT_S * 20):  # until the mirror has seen the link close
                if not service.rooms[topic].replicators:
                    break
                await asyncio.sleep(0.05)
            await sync_to_async(untouched)(touched=long_ago)
            assert await service.expire() == [topic]
            assert topic not in service.rooms
            assert await sync_to_async(HeldRoom.objects.count)() == 0
            assert await sync_to_async(store.load_rooms)() == []
    finally:
        await ada.close()


class MovedClock:
    """The service's clock, which the test moves on."""

    def __init__(self) -> None:
        self.now = wall_clock_ms()

    def __call__(self) -> int:
        return self.now


async def test_held_entries_become_stubs_and_files_go_at_their_expiry(server_url):
    clock = MovedClock()
    async with Running(server_url, clock=clock) as service:
        ada = await linked_member(server_url)
        try:
            await ask(ada, "hold")
            [mirror] = await ada.wait_ready(1, timeout=WAIT_S)
            expires = clock.now + 60_000
            root = b"\x07" * 32
            keep = {"t": "keep", "root": b64url_encode(root), "size": 10, "expires": expires}
            await ada.send_frame(keep, mirror)
            body = ada.message_body("for a minute", clock=1, ts=clock.now)
            gone = ada.make_entry(body, seq=0, expires=expires)
            kept = ada.make_entry(ada.message_body("for good", clock=2), seq=1, prev=gone.id)
            await ada.send_entries([gone, kept])
            await mirror_heads(ada, 2)  # read in order: the keep came before
            room = service.rooms[ada._swarm.topic]
            await room.flushed()
            author = ada.identity.verify_key.encode()
            assert await stored(room.topic) == [(author, 0, gone.data), (author, 1, kept.data)]
            assert service.expiry_timer.next == expires and root in room.files
            clock.now = expires
            assert await service.sweep(clock.now) is None
            await room.flushed()
            assert await stored(room.topic) == [
                (author, 0, entry_stub(gone.data)),
                (author, 1, kept.data),
            ]
            assert root not in room.files
            assert not await sync_to_async(HeldFile.objects.filter(root=root).exists)()
            want = {"t": "want", "author": ada.identity_id, "from": 0, "to": 2}
            await ada.send_frame(want, mirror)
            _, frame = await ada.next_frame("entries", timeout=WAIT_S)
            assert [b64url_decode(text) for text in frame["entries"]] == [
                entry_stub(gone.data),
                kept.data,
            ]
        finally:
            await ada.close()


async def test_a_room_held_without_its_control_key_takes_a_later_holds_and_revocations(
    server_url,
):
    """§12: a `hold` of a room held without a control key (asked for by an older app)
    brings it; the mirror then opens the `revoke` it held (§13) and takes the revoked
    device's entries from `upTo` on out of its database, in a room without a founder."""
    async with Running(server_url) as service:
        ada = await linked_member(server_url)
        try:
            keys = ada.room_keys
            older = MirrorCapability(keys.discovery_key, keys.membership_key)
            assert (await ask(ada, "hold", older))["ok"] is True
            await ada.wait_ready(1, timeout=WAIT_S)
            laptop = RoomPeer(server_url, ada.room_secret, "Laptop")  # signs only
            device = laptop.identity.verify_key.encode()
            cert = b64url_encode(certify_device(ada.identity, device, 1))
            # The laptop's first entry names Ada, who certified it: Ada's to revoke.
            named = {"identity": ada.identity_id, "created": 1, "cert": cert, "name": "Laptop"}
            first = laptop.make_entry({"type": "device", **named, "ts": 1, "clock": 1})
            fields = {"device": b64url_encode(device), "upTo": 1, "created": 1, "cert": cert}
            body = {"type": "revoke", **fields, "ts": 1, "clock": 4}
            held = [first, *chain(laptop, 2, start=1, prev=first.id)]
            await ada.send_entries([*held, ada.make_entry(body)])
            await mirror_heads(ada, 1)
            room = service.rooms[ada._swarm.topic]
            assert room.log.length(device) == 3, "without the control key, nothing is cut"
            assert (await ask(ada, "hold"))["ok"] is True  # now with the control key
            assert room.capability.control_key == keys.control_key
            assert room.log.cap(device) == 1
            await room.flushed()
            assert [seq for author, seq, _ in await stored(room.topic) if author == device] == [0]
            [held] = await sync_to_async(store.load_rooms)()
            assert held.capability == MirrorCapability.of(keys)
            other = MirrorCapability(keys.discovery_key, keys.membership_key, b"\x07" * 32)
            assert (await ask(ada, "hold", other))["error"] == "wrong_key"
        finally:
            await ada.close()
