"""Blind mirrors (docs/protocol.md §12), two measurements in one run:

1. Catch-up: a member opens the invite of a room of 10,000 entries from 20 authors and
   the clock runs until all are on the screen. First from one member's browser (the
   reference), then, with that browser gone, from the mirror service alone; the ratio.
2. One mirror process: rooms held and links open at once (one Python member per room),
   the process's memory per room, and its CPU time per entry stored, against the CPU
   time of checking the same entries' signatures alone in this process (the reference).

Run with `make bench` or `python -m bench.mirror --entries 10000 --authors 20 --rooms 20`.
"""

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.connect import RESULTS
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e.mirror_service import mirrored_server
from e2e.test_mirror import expect_mirror_holds_everything, keep_on_mirror
from e2e.user import User
from parley_peer.encoding import b64url_decode
from parley_peer.entry import verify_entry_signature
from parley_peer.keys import new_room_secret
from parley_peer.mirror_request import MirrorCapability, open_reply, seal_request
from parley_peer.room_peer import RoomPeer
from parley_peer.room_peer_thread import RoomPeerThread

CATCH_UP_TIMEOUT_MS = 600_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def history(link: str, server_url: str, entries: int, authors: int) -> list[bytes]:
    """`entries` messages from `authors` members, round robin, in causal (clock) order."""
    writers = [RoomPeer(server_url, link, f"Author {i}") for i in range(authors)]
    heads: list[bytes | None] = [None] * authors
    made = []
    for k in range(entries):
        who = k % authors
        body = writers[who].message_body(f"history message {k}", clock=k + 1, ts=1_700_000_000_000)
        entry = writers[who].make_entry(body, seq=k // authors, prev=heads[who])
        heads[who] = entry.id
        made.append(entry.data)
    return made


# The history is on screen: the timeline holds the entries and the holder's join line (it
# counts history lines too), and the newest message is shown.
ALL_SHOWN_JS = """([count, newest]) => {
    const list = document.querySelector('[data-testid=messages]');
    return Number(list?.dataset.total) >= count
        && [...list.querySelectorAll('[data-testid=message-text]')]
            .some((el) => el.textContent === newest);
}"""


def wait_all_shown(user: User, entries: int) -> None:
    newest = f"history message {entries - 1}"
    user.page.wait_for_function(
        ALL_SHOWN_JS, arg=[entries + 1, newest], timeout=CATCH_UP_TIMEOUT_MS, polling=50
    )


def time_to_all_shown(browser, url: str, link: str, entries: int) -> tuple[User, float]:
    reader = User(browser.new_context().new_page(), url)
    reader.onboard("Reader")
    opened = time.perf_counter()
    reader.page.goto(link)
    wait_all_shown(reader, entries)
    return reader, time.perf_counter() - opened


def catch_up(url: str, entries: int, authors: int) -> dict:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        holder = User(browser.new_context().new_page(), url)
        holder.onboard("Holder")
        link = holder.create_room("Archive")
        made = history(link, url, entries, authors)
        with RoomPeerThread(url, link, "Loader") as loader:
            loader.wait_ready(1, timeout=30)
            loader.send_entries(made)
            wait_all_shown(holder, entries)
        reader, from_member = time_to_all_shown(browser, url, link, entries)
        reader.page.context.close()

        keep_on_mirror(holder)
        expect_mirror_holds_everything(holder, timeout=CATCH_UP_TIMEOUT_MS)
        holder.page.context.close()
        _, from_mirror = time_to_all_shown(browser, url, link, entries)
        browser.close()
    return {
        "entries": entries,
        "authors": authors,
        "from_member_s": round(from_member, 3),
        "from_mirror_s": round(from_mirror, 3),
        "mirror_to_member_ratio": round(from_mirror / from_member, 3),
    }


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


async def ask_hold(member: RoomPeer, mirror_key: bytes) -> None:
    reply: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
    member.signaling.add_listener(
        lambda frame: (
            frame.get("type") == "mirror-reply" and not reply.done() and reply.set_result(frame)
        )
    )
    await member.signaling.request_mirror(
        seal_request("hold", MirrorCapability.of(member.room_keys), mirror_key)
    )
    answer = open_reply(
        (await asyncio.wait_for(reply, 30))["blob"], member.signaling.connection_key
    )
    if not answer["ok"]:
        raise RuntimeError(f"the mirror refused: {answer}")


async def mirror_holds(member: RoomPeer, length: int) -> None:
    while True:
        peer, frame = await member.next_frame("heads", timeout=60)
        lengths = {head["author"]: head["length"] for head in frame["heads"]}
        if peer.role == "mirror" and lengths.get(member.identity_id) == length:
            return


async def capacity(url: str, pid: int, mirror_key: bytes, rooms: int, per_room: int) -> dict:
    before = rss_bytes(pid)
    members = []
    try:
        for i in range(rooms):
            member = RoomPeer(url, new_room_secret(), f"Member {i}")
            members.append(member)
            await member.start()
            await ask_hold(member, mirror_key)
            await member.wait_ready(1, timeout=60)
        await asyncio.sleep(2)  # let the allocator settle before reading the RSS
        after_rooms = rss_bytes(pid)
        batches = []
        for member in members:
            prev, chain = None, []
            for seq in range(per_room):
                body = member.message_body(f"entry {seq}", clock=seq + 1)
                entry = member.make_entry(body, seq=seq, prev=prev)
                chain.append(entry.data)
                prev = entry.id
            batches.append(chain)
        cpu_before = cpu_seconds(pid)
        for member, chain in zip(members, batches, strict=True):
            await member.send_entries(chain)
        for member in members:
            await mirror_holds(member, per_room)
        cpu_per_entry = (cpu_seconds(pid) - cpu_before) / (rooms * per_room)
        await asyncio.sleep(2)
        after_entries = rss_bytes(pid)
        discovery = [m.room_keys.discovery_key for m in members]
        checked = time.process_time()
        for key, chain in zip(discovery, batches, strict=True):
            for data in chain:
                verify_entry_signature(data, key)
        verify_per_entry = (time.process_time() - checked) / (rooms * per_room)
        links = sum(
            1 for m in members for p in m.peers if p.role == "mirror" and p.state == "ready"
        )
    finally:
        for member in members:
            await member.close()
    return {
        "rooms": rooms,
        "links_open": links,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_rooms_mib": round(after_rooms / 2**20, 1),
        "memory_per_room_kib": round((after_rooms - before) / rooms / 1024, 1),
        "memory_per_entry_b": round((after_entries - after_rooms) / (rooms * per_room)),
        "entries_stored": rooms * per_room,
        "mirror_cpu_per_entry_us": round(cpu_per_entry * 1e6, 1),
        "signature_check_per_entry_us": round(verify_per_entry * 1e6, 1),
        "cpu_ratio": round(cpu_per_entry / verify_per_entry, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--per-room", type=int, default=250)
    args = parser.parse_args()
    with mirrored_server() as (url, mirror):
        caught_up = catch_up(url, args.entries, args.authors)
        key = (mirror.folder / "mirror.pub").read_text().strip()
        held = asyncio.run(
            capacity(url, mirror.process.pid, b64url_decode(key), args.rooms, args.per_room)
        )
    result = {"catch_up": caught_up, "service": held}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mirror.json").write_text(json.dumps(result, indent=2))
    print(f"catch-up of {args.entries} entries from {args.authors} authors, invite -> all shown")
    print(f"  from one member's browser   {caught_up['from_member_s']:.2f} s")
    print(f"  from the mirror alone       {caught_up['from_mirror_s']:.2f} s")
    print(f"  ratio mirror / member       {caught_up['mirror_to_member_ratio']:.2f}")
    print(f"one mirror process: {held['rooms']} rooms, {held['links_open']} links open")
    print(f"  memory per room             {held['memory_per_room_kib']:.0f} KiB")
    print(f"  memory per entry held       {held['memory_per_entry_b']} bytes")
    print(f"  CPU per entry stored        {held['mirror_cpu_per_entry_us']:.0f} µs")
    print(f"  signature check alone       {held['signature_check_per_entry_us']:.0f} µs")
    print(f"  ratio                       {held['cpu_ratio']:.1f}")


if __name__ == "__main__":
    main()
