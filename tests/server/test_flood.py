"""A flood: one client sends frames as fast as it can while an honest pair relays.

The flooder is rate-limited (`rate_limited` for every frame beyond its token bucket),
then closed with 4029; meanwhile every frame of the honest pair arrives intact, and the
pair still relays once the flooder is gone. Everything shares one event loop, as one
server process does. How much the flood slows the pair is a timing figure: it is
measured by bench/flood.py (`make bench`), against real servers, not asserted here.
"""

import asyncio
import json

from .wire import Client, new_topic, sealed_blob

ROUND_TRIPS = 20
# The flooder keeps this many frames waiting on its connection, refilling it every
# loop turn: the server always has its next frame at hand, as from a full TCP buffer,
# without an unbounded queue in the test.
BACKLOG = 32
# Dropped frames before the close. The server drops a few flood frames per honest round
# trip (they share one loop, so this does not depend on the machine's speed): this
# outlasts the round trips many times over and still ends in well under a second.
FLOOD_STRIKES = 5_000


async def next_signal_from(receiver: Client, sender: Client) -> dict:
    """The next signal from `sender`; the flooder's joins and signals are skipped."""
    while True:
        frame = await receiver.receive()
        if frame["type"] == "signal" and frame["from"] == sender.id:
            return frame


async def round_trip(a: Client, b: Client, topic: str) -> None:
    blob = sealed_blob()
    await a.signal(topic, b.id, blob)
    assert (await next_signal_from(b, a))["blob"] == blob
    await b.signal(topic, a.id, blob)
    assert (await next_signal_from(a, b))["blob"] == blob


class Flooder:
    def __init__(self, client: Client, frame: str):
        self.client = client
        self.frame = {"type": "websocket.receive", "text": frame}
        self.sent = 0
        self.answers: dict[str, int] = {}
        self.close_code: int | None = None
        self.first_drop = asyncio.Event()

    def flooding(self) -> bool:
        return self.close_code is None

    async def send(self) -> None:
        queue = self.client.comm.input_queue
        while self.flooding():
            while queue.qsize() < BACKLOG:
                queue.put_nowait(self.frame)
                self.sent += 1
            await asyncio.sleep(0)

    async def read(self) -> None:
        while self.flooding():
            message = await self.client.comm.receive_output(timeout=5)
            if message["type"] == "websocket.close":
                self.close_code = message["code"]
            else:
                frame = json.loads(message["text"])
                kind = frame.get("code", frame["type"])
                self.answers[kind] = self.answers.get(kind, 0) + 1
                if kind == "rate_limited":
                    self.first_drop.set()


async def test_a_flooder_is_closed_and_the_honest_pair_relays_throughout(client, limits):
    limits(RATE_PER_SECOND=10**6, RATE_BURST=10**6)  # the honest pair is not limited
    a, b = await client(), await client()
    topic = new_topic()
    await a.join(topic)
    await b.join(topic)
    await round_trip(a, b, topic)

    limits(RATE_PER_SECOND=20, RATE_BURST=100, FLOOD_STRIKES=FLOOD_STRIKES)
    c = await client()
    await c.join(topic)
    # The largest frame there is, to a member of the topic: relayed while tokens last.
    frame = json.dumps({"type": "signal", "topic": topic, "to": a.id, "blob": sealed_blob(16432)})
    flooder = Flooder(c, frame)
    tasks = [asyncio.create_task(flooder.send()), asyncio.create_task(flooder.read())]
    try:
        # Its burst is relayed first; the round trips start once it is being dropped.
        await asyncio.wait_for(flooder.first_drop.wait(), timeout=30)
        dropped_before = flooder.answers["rate_limited"]
        for done in range(ROUND_TRIPS):
            await round_trip(a, b, topic)
            assert flooder.flooding(), f"the flood ended after {done + 1} round trips"
        assert flooder.answers["rate_limited"] > dropped_before, "the flood stalled"
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    finally:
        for task in tasks:
            task.cancel()

    assert flooder.close_code == 4029
    assert flooder.answers["rate_limited"] == FLOOD_STRIKES + 1
    # Nothing but the drops (and no frame for the relayed ones): no other error.
    assert set(flooder.answers) == {"rate_limited"}, flooder.answers
    # The flood is over and the pair still relays.
    await round_trip(a, b, topic)
