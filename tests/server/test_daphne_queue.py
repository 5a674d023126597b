"""daphne's per-connection queue pauses reading by message count and by payload bytes
(signal_server/daphne_server.py), and reads on once both are back to half."""

from signal_server.daphne_server import PausingQueue


class Transport:
    def __init__(self):
        self.calls = []

    def pauseProducing(self):  # noqa: N802 - Twisted's name
        self.calls.append("pause")

    def resumeProducing(self):  # noqa: N802 - Twisted's name
        self.calls.append("resume")


def text(size: int) -> dict:
    return {"type": "websocket.receive", "text": "x" * size}


async def test_many_small_messages_pause_at_the_count_and_resume_at_half():
    transport = Transport()
    queue = PausingQueue(transport, high=4, high_bytes=1_000_000)
    for _ in range(3):
        queue.put_nowait(text(10))
    assert transport.calls == []
    queue.put_nowait(text(10))
    assert transport.calls == ["pause"]
    await queue.get()
    assert transport.calls == ["pause"]  # 3 waiting: above half
    await queue.get()
    assert transport.calls == ["pause", "resume"]


async def test_large_messages_pause_at_the_byte_bound_before_the_count():
    transport = Transport()
    queue = PausingQueue(transport, high=16, high_bytes=1000)
    queue.put_nowait(text(600))
    assert transport.calls == []
    queue.put_nowait(text(600))
    assert transport.calls == ["pause"]
    await queue.get()  # 600 bytes waiting: above half of 1000
    assert transport.calls == ["pause"]
    await queue.get()
    assert transport.calls == ["pause", "resume"]
    assert queue.bytes == 0


async def test_binary_and_control_messages_count_their_payload_or_nothing():
    transport = Transport()
    queue = PausingQueue(transport, high=16, high_bytes=100)
    queue.put_nowait({"type": "websocket.connect"})
    queue.put_nowait({"type": "websocket.receive", "bytes": b"y" * 60})
    assert (queue.bytes, transport.calls) == (60, [])
    queue.put_nowait({"type": "websocket.receive", "bytes": b"y" * 40})
    assert transport.calls == ["pause"]
