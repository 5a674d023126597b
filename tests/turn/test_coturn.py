"""coturn as `manage.py turn` configures it: it accepts Parley's credentials and nothing
else, and relays to public addresses only (docs/deployment.md "TURN").

A real turnserver on 127.0.0.1 (conftest.py) and a real TURN client (aioice): an
Allocate with a credential minted by signal_server/turn_credentials.py, then a
ChannelBind, which is where coturn checks the peer address against denied-peer-ip.
"""

import asyncio
import time

import pytest
from aioice import stun

from signal_server.turn_credentials import credential_for, mint

from .turn_client import allocate, close, error_code

# A public address by coturn's rules (documentation range, as the NAT lab uses): a
# permission to it is granted; nothing is sent there.
PUBLIC_PEER = ("198.51.100.7", 9)
TTL = 600
# A bound on waiting for relayed data, not a performance check.
RELAY_WAIT_SECONDS = 10


def fresh(coturn):
    return mint(coturn.config.secret, TTL, time.time())


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_fresh_credential_gets_an_allocation_and_a_permission(coturn, transport):
    credential = fresh(coturn)
    protocol, sock = await allocate(
        coturn.config.port, credential.username, credential.credential, transport
    )
    try:
        assert protocol.relayed_address[0] == "127.0.0.1"
        await protocol.channel_bind(0x4000, PUBLIC_PEER)
    finally:
        await close(protocol, sock)


async def test_an_expired_credential_is_refused(coturn):
    # Minted correctly, with the right secret, but its expiry has passed.
    expired = mint(coturn.config.secret, TTL, time.time() - TTL - 60)
    with pytest.raises(stun.TransactionFailed) as refused:
        await allocate(coturn.config.port, expired.username, expired.credential)
    assert error_code(refused.value) == 401


async def test_a_forged_credential_is_refused(coturn):
    good = fresh(coturn)
    forged = [
        # The HMAC under another secret.
        (good.username, mint("another-secret-" * 3, TTL, time.time()).credential),
        # A later expiry written into a username whose HMAC was made for the earlier one.
        (f"{good.expires + 86400}:{good.username.split(':')[1]}", good.credential),
        # A username and password of the attacker's choosing.
        ("alice", "password"),
    ]
    for username, password in forged:
        with pytest.raises(stun.TransactionFailed) as refused:
            await allocate(coturn.config.port, username, password)
        assert error_code(refused.value) == 401, username


@pytest.mark.parametrize(
    "peer",
    [
        ("127.0.0.1", 8000),  # this host: the Parley server itself
        ("10.0.0.1", 22),  # the operator's private network
        ("192.168.1.1", 80),
        ("169.254.169.254", 80),  # a cloud's metadata service
        ("100.64.0.1", 53),  # carrier-grade NAT
        ("172.16.0.1", 80),
        ("0.0.0.0", 80),
        ("224.0.0.1", 5353),  # multicast
    ],
)
async def test_a_relay_to_a_denied_address_is_refused(coturn, peer):
    credential = fresh(coturn)
    protocol, sock = await allocate(coturn.config.port, credential.username, credential.credential)
    try:
        with pytest.raises(stun.TransactionFailed) as refused:
            await protocol.channel_bind(0x4000, peer)
        assert error_code(refused.value) == 403
        # The same allocation may still reach a public address.
        await protocol.channel_bind(0x4001, PUBLIC_PEER)
    finally:
        await close(protocol, sock)


async def test_the_development_relay_carries_data_between_two_allocations(dev_coturn):
    """`make run`'s coturn (loopback peers allowed): two clients of this machine meet
    through their relay addresses on 127.0.0.1, as two browser tabs would."""
    port = dev_coturn.config.port
    one, two = fresh(dev_coturn), fresh(dev_coturn)
    a, a_sock = await allocate(port, one.username, one.credential)
    b, b_sock = await allocate(port, two.username, two.credential, "tcp")
    try:
        # A relay passes data from a peer on only once its client has a permission for
        # that peer: b's first datagram makes one (a channel), a's relay drops it (a has
        # none for b yet); a's answer makes a's and comes through.
        await b.send_data(b"knock", a.relayed_address)
        await a.send_data(b"hello through the relay", b.relayed_address)
        async with asyncio.timeout(RELAY_WAIT_SECONDS):
            data, sender = await b.receiver.received.get()
        assert data == b"hello through the relay"
        assert sender == a.relayed_address
    finally:
        await close(a, a_sock)
        await close(b, b_sock)


def test_a_credential_is_what_coturn_computes(coturn):
    credential = fresh(coturn)
    assert credential.credential == credential_for(coturn.config.secret, credential.username)
