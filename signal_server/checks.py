"""The security decisions of the rendezvous server, one small function each.

Every check raises ProtocolError (and changes nothing) or returns; the consumer calls
them after parsing a frame and before doing anything with it (docs/protocol.md §3).
`check_address_can_connect` runs before any frame and raises ConnectionRefused.
`check_wake_budget` is the one check that spends: a token of each wake budget it passes.
The mirror checks (`check_mirror_serve`, `check_mirror_registered`, `check_is_mirror`)
decide which connection may serve as the mirror service, and that one is there (§12).

The per-address checks are given the count before the consumer's `add_*` call, which
compared it with the cap and counted only under the cap, in one atomic step (in Redis
too, shared by every process); the check then turns "at the cap" into the refusal.
"""

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from signal_server import frames
from signal_server.limits import TokenBucket
from signal_server.mirror_key import serve_message
from signal_server.protocol import Frame, Hello, MirrorServe, ProtocolError, encode_b64url
from signal_server.state.interfaces import KeyedBuckets, Member, TopicRegistry

# How far a `mirror-serve`'s ts may be from the server's clock: a signature copied from
# a connection is no use on another (it covers the connection key), and an old one of
# the same connection key (a client that reuses keys) no use after a minute.
MIRROR_SERVE_SKEW_MS = 60_000


class ConnectionRefused(Exception):
    """The connection is closed with `close_code` as soon as it is accepted."""

    def __init__(self, close_code: int, message: str):
        super().__init__(f"{close_code}: {message}")
        self.close_code = close_code


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


def check_address_can_join(joined: set[bytes], topic: bytes, memberships: int, cap: int) -> None:
    """All connections from one address are in at most `cap` topics together.

    `memberships` is the address's count before this join (AddressRegistry.add_topic);
    joining a topic this connection is already in adds no membership and is allowed.
    """
    if topic not in joined and memberships >= cap:
        raise ProtocolError(
            frames.TOO_MANY_TOPICS_PER_ADDRESS, f"at most {cap} topics per address", "join"
        )


def check_address_can_connect(connections: int, cap: int) -> None:
    """At most `cap` connections are open from one address at a time."""
    if connections >= cap:
        raise ConnectionRefused(
            frames.CLOSE_TOO_MANY_CONNECTIONS, f"at most {cap} connections per address"
        )


def check_joined(joined: set[bytes], topic: bytes, ref: str) -> None:
    if topic not in joined:
        raise ProtocolError(frames.NOT_JOINED, "this connection is not in the topic", ref)


async def check_reachable(
    registry: TopicRegistry, sender_id: bytes, to: bytes, topic: bytes
) -> Member:
    """Relay only between two connections of the same topic; the receiver's member.

    A connection that does not exist and one in another topic get the same answer, so
    the error tells a client nothing about connections outside its topics. It names the
    topic and the connection: in a big topic a client is not told of every leave, and
    this is how it learns that a member it heard of through the room is gone.
    """
    receiver = await registry.peer_in_topic(sender_id, to, topic)
    if receiver is None:
        about = {"topic": encode_b64url(topic), "to": encode_b64url(to)}
        raise ProtocolError(frames.UNREACHABLE, "no such connection in the topic", "signal", about)
    return receiver


async def check_wake_budget(
    in_flight: int,
    max_in_flight: int,
    connection_wakes: TokenBucket,
    mailbox_wakes: KeyedBuckets,
    mailbox: bytes,
) -> None:
    """A wake fits the connection's and the mailbox's wake limits (docs/protocol.md §5).

    The budgets are tried in order and a refused one stops the rest: a connection over
    its own limit spends nothing of the mailbox's, which other connections (of every
    process, with Redis) share.
    """
    if in_flight >= max_in_flight:
        message = f"at most {max_in_flight} wakes of a connection wait for push services"
    elif not connection_wakes.take():
        message = "too many wakes from this connection"
    elif not await mailbox_wakes.take(mailbox):
        message = "too many wakes to this mailbox"
    else:
        return
    raise ProtocolError(frames.WAKE_RATE_LIMITED, message, "wake")


async def check_mirror_budget(address_budget: KeyedBuckets, address: str) -> None:
    """A `mirror` request within its address's budget: each costs the mirror service a
    sealed box opened and answered, and may hold a room (§12)."""
    if not await address_budget.take(address.encode("utf-8")):
        message = "too many mirror requests from this address"
        raise ProtocolError(frames.MIRROR_RATE_LIMITED, message, "mirror")


async def check_ice_budget(
    joined: set[bytes],
    connection_budget: TokenBucket,
    address_budget: KeyedBuckets,
    address: str,
) -> None:
    """An `ice-servers` request comes from a connection in a topic, within its budgets.

    TURN credentials are for making links, which needs a topic: a connection that has
    joined none gets `not_joined` and spends nothing. The budgets are then tried in
    order, as the wake budgets are: one refused by its own spends nothing of its
    address's, which the other connections from that address (of every process, with
    Redis) share.
    """
    if not joined:
        raise ProtocolError(frames.NOT_JOINED, "join a topic first", "ice-servers")
    if not connection_budget.take():
        message = "too many ice-servers requests from this connection"
    elif not await address_budget.take(address.encode("utf-8")):
        message = "too many ice-servers requests from this address"
    else:
        return
    raise ProtocolError(frames.ICE_RATE_LIMITED, message, "ice-servers")


def check_mirror_serve(
    frame: MirrorServe, connection_key: bytes, mirror_key: bytes | None, now_ms: int
) -> None:
    """The connection proves the mirror key: the one configured, signing this connection
    key at a time within a minute of the server's clock (docs/protocol.md §12)."""
    if mirror_key is None:
        message = "this server has no mirror service"
    elif frame.key != mirror_key:
        message = "not this server's mirror key"
    elif abs(now_ms - frame.ts) > MIRROR_SERVE_SKEW_MS:
        message = "ts is more than 60 s from the server's clock"
    else:
        try:
            VerifyKey(frame.key).verify(serve_message(connection_key, frame.ts), frame.sig)
        except BadSignatureError:
            message = "the signature does not verify"
        else:
            return
    raise ProtocolError(frames.BAD_MIRROR, message, frame.type)


def check_mirror_registered(mirror: Member | None) -> Member:
    """A `mirror` request needs a registered mirror service; its connection."""
    if mirror is None:
        raise ProtocolError(frames.NO_MIRROR, "no mirror service is connected", "mirror")
    return mirror


def check_is_mirror(mirror: Member | None, member_id: bytes) -> None:
    """Only the registered mirror service's connection answers requests."""
    if mirror is None or mirror.id != member_id:
        raise ProtocolError(
            frames.NOT_MIRROR, "this connection is not the mirror service", "mirror-reply"
        )
