"""The security decisions of the rendezvous server, one small function each.

Every check raises ProtocolError (and changes nothing) or returns; the consumer calls
them after parsing a frame and before doing anything with it (docs/protocol.md §3).
"""

from signal_server import frames
from signal_server.protocol import Frame, Hello, ProtocolError
from signal_server.topics import TopicRegistry


def check_hello_order(frame: Frame, said_hello: bool) -> None:
    """`hello` comes first, and only once."""
    if isinstance(frame, Hello):
        if said_hello:
            raise ProtocolError(frames.DUPLICATE_HELLO, "hello was already sent", frame.type)
    elif not said_hello:
        raise ProtocolError(frames.HELLO_REQUIRED, "send hello first", frame.type)


def check_can_join(joined: set[bytes], topic: bytes, max_topics: int) -> None:
    """A connection is in at most `max_topics` topics; joining one again is allowed."""
    if topic not in joined and len(joined) >= max_topics:
        raise ProtocolError(
            frames.TOO_MANY_TOPICS, f"at most {max_topics} topics per connection", "join"
        )


def check_joined(joined: set[bytes], topic: bytes, ref: str) -> None:
    if topic not in joined:
        raise ProtocolError(frames.NOT_JOINED, "this connection is not in the topic", ref)


async def check_reachable(
    registry: TopicRegistry, sender_id: bytes, to: bytes, topic: bytes
) -> None:
    """Relay only between two connections of the same topic.

    A connection that does not exist and one in another topic get the same answer, so
    the error tells a client nothing about connections outside its topics.
    """
    if not await registry.shares_topic(sender_id, to, topic):
        raise ProtocolError(frames.UNREACHABLE, "no such connection in the topic", "signal")
