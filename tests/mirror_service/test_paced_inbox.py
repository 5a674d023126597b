"""mirror/paced_inbox.py: a link's frames are handled in arrival order at the link's
pace (each costs what it brings or asks for), and a link that keeps more waiting than
allowed is reported once and heard no more."""

import asyncio

from mirror.paced_inbox import PacedInbox


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def entries(count: int) -> dict:
    return {"t": "entries", "entries": ["x"] * count}


async def test_frames_keep_their_order_and_wait_for_the_budget():
    clock, handled, floods = Clock(), [], []
    inbox = PacedInbox(
        rate=1000.0,
        burst=4,
        cost=lambda frame: len(frame.get("entries", [])) or 1,
        handle=lambda frame: handled.append(frame),
        on_flood=lambda: floods.append(1),
        clock=clock,
    )
    inbox.put(entries(3))
    inbox.put({"t": "heads"})
    inbox.put(entries(2))  # the budget has 0 left: it waits, and so does what follows
    inbox.put({"t": "want"})
    for _ in range(5):
        await asyncio.sleep(0)
    assert [frame["t"] for frame in handled] == ["entries", "heads"]
    clock.now += 0.002  # two tokens come back
    for _ in range(50):
        await asyncio.sleep(0.002)
        if len(handled) == 3:
            break
    assert [frame["t"] for frame in handled] == ["entries", "heads", "entries"]
    clock.now += 0.001
    for _ in range(50):
        await asyncio.sleep(0.002)
        if len(handled) == 4:
            break
    assert [frame["t"] for frame in handled][-1] == "want" and floods == []
    inbox.close()


async def test_a_link_that_keeps_too_much_waiting_is_reported_once():
    clock, handled, floods = Clock(), [], []
    inbox = PacedInbox(
        rate=0.001,
        burst=1,
        cost=lambda frame: 1,
        handle=handled.append,
        on_flood=lambda: floods.append(1),
        max_waiting=3,
        clock=clock,
    )
    for _ in range(10):
        inbox.put({"t": "heads"})
    await asyncio.sleep(0)
    assert floods == [1] and inbox.flooded
    assert len(handled) <= 1  # the first took the one token; nothing after the flood
    inbox.close()
