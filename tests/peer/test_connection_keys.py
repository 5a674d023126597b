"""e2e/connection_keys.py: a chosen connection key sorts first, and the choice is fixed."""

import pytest

from e2e.connection_keys import candidate_key, connection_key_sorting_before
from e2e.server import running_server
from parley_peer.redial import dials_again
from parley_peer.signaling import SignalingClient

BOUNDS = [
    bytes([0xFF]) * 32,
    bytes([0x80]) + bytes(31),
    bytes([0x01]) + bytes([0xFF]) * 31,
    bytes([0x00, 0x20]) + bytes([0x55]) * 30,  # 1 in 2048 keys sorts below this
]


@pytest.mark.parametrize("bound", BOUNDS)
def test_the_chosen_key_sorts_before_the_bound_and_so_dials_again(bound):
    key = connection_key_sorting_before(bound)
    assert key.public_key.encode() < bound
    assert dials_again(key.public_key.encode(), bound)


def test_the_choice_is_the_same_every_time():
    bound = bytes([0x40]) + bytes(31)
    first = connection_key_sorting_before(bound)
    assert bytes(first) == bytes(connection_key_sorting_before(bound))


def test_the_sequence_is_not_one_key():
    assert bytes(candidate_key(0)) != bytes(candidate_key(1))


@pytest.mark.parametrize("bound", [bytes(32), bytes(31), bytes(33)])
def test_a_bound_no_key_can_sort_before_is_refused(bound):
    with pytest.raises(ValueError):
        connection_key_sorting_before(bound)


async def test_the_given_key_greets_the_server_once_and_a_reconnect_draws_a_fresh_one():
    given = candidate_key(7)
    with running_server() as url:
        client = SignalingClient(url, connection_key=given)
        await client.connect()
        assert client.public_key == given.public_key.encode()
        await client.close()
        await client.connect()  # a new connection (§1): never the same key twice
        assert client.public_key != given.public_key.encode()
        await client.close()
