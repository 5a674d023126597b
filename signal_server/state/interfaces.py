"""What the server's shared state offers, declared once: every backend (memory.py, redis/)
implements each Protocol here with the same signatures, and the consumer and the checks
know only these names (tests/server/test_state_contract.py runs one suite against both).

Every operation that may need another machine is a coroutine, in both backends, so that
the caller never cares which one it has; every one of them may raise
errors.Unavailable (the memory backend never does).

A member of a topic is known by its connection id. The registry stores the channel name
(to relay to it) and the connection public key (to announce to others); it never sees
anything of the rooms behind the topics.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

_random = random.SystemRandom()

Event = dict[str, Any]  # an event between consumers (consumers.py): {"type": ..., fields}
OnLost = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Member:
    id: bytes
    key: bytes
    channel_name: str


@dataclass(frozen=True, slots=True)
class Joined:
    """What a join found: the `peers` answer, and whom to announce the newcomer to."""

    sample: list[Member]  # a uniform sample of the others, at most the sample size
    announce_to: list[Member]  # another such sample: the others told of the newcomer


def sample_of(members: list[Member], size: int) -> list[Member]:
    """A uniform sample of at most `size` members: the one sampling rule of every backend."""
    return _random.sample(members, min(size, len(members)))


class TopicRegistry(Protocol):
    """Which connections are in which topic."""

    async def join(self, member: Member, topic: bytes, sample_size: int) -> Joined:
        """Add `member` to `topic`; two uniform samples of the others there.

        Neither sample holds more than `sample_size` members, so a join costs the same in
        a topic of ten thousand as in one of forty: no client can list a large topic in
        one answer, and no join is announced to all of it. While the others number at
        most `sample_size`, both samples are all of them: exactly the members there
        before the newcomer, so that in such a topic each pair of members learns of each
        other once (whoever joins later from its own sample). Joining again is a fresh
        sample.
        """
        ...

    async def leave(self, member_id: bytes, topic: bytes, notify_size: int) -> list[Member]:
        """Remove the member from `topic`; a uniform sample of at most `notify_size` of
        the members left there, to notify ([] if it was not there). The others find out
        when their link to it closes, or when the server refuses a signal to it."""
        ...

    async def leave_all(self, member_id: bytes, notify_size: int) -> dict[bytes, list[Member]]:
        """Remove the member from every topic; map each topic to the members to notify."""
        ...

    async def members_of(self, topic: bytes) -> list[Member]: ...

    async def member_in(self, topic: bytes, member_id: bytes) -> Member | None:
        """The member `member_id` if it is in `topic`, else None."""
        ...

    async def peer_in_topic(self, a: bytes, b: bytes, topic: bytes) -> Member | None:
        """The member `b` if both `a` and `b` are in `topic`, else None."""
        ...


class AddressRegistry(Protocol):
    """Per client address: open connections and topic memberships (addresses.py names
    the address). `add_*` compare with the cap and count in one atomic step."""

    async def connections(self, address: str) -> int: ...

    async def topics(self, address: str) -> int:
        """Topic memberships of all the address's connections together."""
        ...

    async def add_connection(self, address: str, cap: int | None = None) -> int:
        """Count a connection unless the address has `cap` already; the count before."""
        ...

    async def remove_connection(self, address: str, topics: int) -> None:
        """A connection closed, and with it its `topics` memberships."""
        ...

    async def add_topic(self, address: str, cap: int | None = None) -> int:
        """Count a topic membership unless the address has `cap` already; the count before."""
        ...

    async def remove_topic(self, address: str) -> None: ...


class KeyedBuckets(Protocol):
    """One token bucket per key (limits.TokenBucket's rule: up to `burst` tokens,
    refilled at `rate` per second, a new bucket is full), for a budget that many
    connections share: the per-mailbox wake budget."""

    async def take(self, key: bytes) -> bool:
        """Spend one of `key`'s tokens; False (and nothing spent) if its bucket is empty."""
        ...


class MirrorDirectory(Protocol):
    """Which connection serves as the mirror service (docs/protocol.md §12): at most one,
    for every process alike, so that a `mirror` request reaches it wherever it came in."""

    async def register(self, member: Member) -> None:
        """`member` serves from now on, in place of whichever did (the latest wins)."""
        ...

    async def current(self) -> Member | None:
        """The member that serves, or None (none registered, or its process is dead)."""
        ...

    async def unregister(self, member_id: bytes) -> None:
        """`member_id` no longer serves, if it is the current one; else nothing changes
        (a connection that was replaced must not take its successor with it)."""
        ...


class EventRelay(Protocol):
    """How events reach connections of other processes, and whether they can.

    Events for connections of this process never come here (local_delivery.py); an
    event for a channel name that no process holds is dropped, as on a bad network.
    """

    def new_channel_name(self) -> str:
        """A name for a new connection of this process, unique among all processes."""
        ...

    async def check_ready(self) -> None:
        """Return if a new connection can be served now; else raise errors.Unavailable."""
        ...

    async def publish(self, channel_name: str, event: Event) -> None:
        """Send `event` to the process that holds `channel_name` (fire and forget)."""
        ...

    def watch(self, on_lost: OnLost) -> None:
        """Call `on_lost()` when this process's shared state is lost (an outage)."""
        ...

    def unwatch(self, on_lost: OnLost) -> None: ...

    async def health(self) -> tuple[bool, str]:
        """(serving?, what /healthz says of the shared state: "not used", "ok", ...)."""
        ...


class SharedState(Protocol):
    """The whole shared state of a process, as factory.shared_state() gives it."""

    @property
    def topics(self) -> TopicRegistry: ...

    @property
    def addresses(self) -> AddressRegistry: ...

    @property
    def mirrors(self) -> MirrorDirectory: ...

    @property
    def relay(self) -> EventRelay: ...

    def buckets(self, name: str, rate: float, burst: int) -> KeyedBuckets:
        """The buckets named `name` with this rate and burst; the same object for the same
        arguments, so that every connection shares them."""
        ...

    async def close(self) -> None:
        """Stop background tasks and close connections (tests; a process just exits)."""
        ...
