"""The wake parser and budgets, without a connection: BucketRegistry, check_wake_budget."""

import json
import os

import pytest

from signal_server.checks import check_wake_budget
from signal_server.limits import BucketRegistry, TokenBucket
from signal_server.protocol import ProtocolError, Wake, parse_frame
from signal_server.state.memory import MemoryBuckets

from .test_limits import FakeClock
from .wire import b64, unb64


def test_a_wake_parses_to_its_mailbox_and_the_blob_text():
    mailbox, blob = b64(os.urandom(32)), b64(os.urandom(1072))
    frame = parse_frame(json.dumps({"type": "wake", "mailbox": mailbox, "blob": blob}), 32768)
    assert frame == Wake(mailbox=unb64(mailbox), blob=blob)


def test_buckets_are_per_key():
    registry = BucketRegistry(rate=0.001, burst=2, clock=FakeClock())
    assert [registry.take("a") for _ in range(3)] == [True, True, False]
    assert registry.take("b")


def test_idle_buckets_are_forgotten_and_that_changes_nothing():
    clock = FakeClock()
    registry = BucketRegistry(rate=1, burst=2, clock=clock)
    for key in range(100):
        registry.take(key)
    clock.now += 10  # every bucket has refilled
    registry.take("new")
    assert len(registry) == 1


def test_a_bucket_that_is_not_full_is_kept():
    clock = FakeClock()
    registry = BucketRegistry(rate=1, burst=2, clock=clock)
    assert registry.take("busy") and registry.take("busy")
    registry.take("other")
    assert not registry.take("busy")
    assert len(registry) == 2


def test_the_registry_never_holds_more_than_max_keys():
    registry = BucketRegistry(rate=0.001, burst=1, max_keys=10, clock=FakeClock())
    for key in range(1000):
        assert registry.take(key)
    assert len(registry) == 10
    # The most recently used keys are the ones kept.
    assert not registry.take(999)


async def test_the_wake_budgets_are_tried_in_order_and_a_refusal_spends_no_later_one():
    clock = FakeClock()
    connection = TokenBucket(rate=0.001, burst=1, clock=clock)
    mailboxes = BucketRegistry(rate=0.001, burst=5, clock=clock)
    await check_wake_budget(0, 4, connection, MemoryBuckets(mailboxes), b"m")
    for in_flight in (4, 0):  # too many in flight; then the connection's bucket is empty
        with pytest.raises(ProtocolError) as refused:
            await check_wake_budget(in_flight, 4, connection, MemoryBuckets(mailboxes), b"m")
        assert (refused.value.code, refused.value.ref) == ("wake_rate_limited", "wake")
    # Only the first wake was charged to the mailbox: 4 of its 5 tokens are left.
    assert [mailboxes.take(b"m") for _ in range(5)] == [True] * 4 + [False]
