"""The Python peer through a real server and a real coturn on 127.0.0.1.

The server hands out the development relay's URLs and credentials (`ice-servers`, as
`make run` sets them up: coturn/`serve --turn`); two RoomPeers in one room make their
links with them. With `relay_only` (aiortc's iceTransportPolicy "relay", the Python twin
of "Hide my IP address") the link can only come up through coturn, and its selected
candidate pair is relay on both ends: the whole relayed path works, credentials included.
"""

import os

import pytest

from e2e.server import running_server
from parley_peer.ice import IceConfig
from parley_peer.room_peer import RoomPeer
from parley_peer.signaling import SignalingClient, SignalingError
from signal_server.coturn_process import loopback_urls

READY_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def server_with_turn(dev_coturn):
    stun, turn = loopback_urls("127.0.0.1", dev_coturn.config.port)
    env = {
        "PARLEY_STUN_URLS": ",".join(stun),
        "PARLEY_TURN_URLS": ",".join(turn),
        "PARLEY_TURN_SECRET": dev_coturn.config.secret,
    }
    with running_server(env) as url:
        yield url, stun, turn


def selected_pair(link) -> tuple[str, str]:
    """(local, remote) candidate types of the link's nominated ICE pair (aioice's)."""
    connection = link.pc.sctp.transport.transport._connection
    pair = connection._nominated[1]
    return pair.local_candidate.type, pair.remote_candidate.type


async def test_the_signaling_client_gets_the_servers_once_joined(server_with_turn):
    url, stun, turn = server_with_turn
    client = SignalingClient(url)
    await client.connect()
    try:
        with pytest.raises(SignalingError) as refused:
            await client.request_ice_servers()
        assert refused.value.code == "not_joined"
        await client.join(os.urandom(32))
        servers, expires = await client.request_ice_servers()
        assert servers[0] == {"urls": stun}
        assert servers[1]["urls"] == turn and isinstance(expires, int)
        config = IceConfig(client)
        await config.refresh()
        [stun_server, turn_server] = config.rtc_configuration().iceServers
        assert stun_server.urls == stun and turn_server.urls == turn
        # A second answer: a credential of its own.
        assert turn_server.username != servers[1]["username"] and turn_server.credential
    finally:
        await client.close()


@pytest.mark.parametrize("relay_only", [False, True], ids=["any route", "relay only"])
async def test_two_python_peers_link_with_the_servers_turn(server_with_turn, relay_only):
    url, stun, turn = server_with_turn
    room = os.urandom(32)
    async with (
        RoomPeer(url, room, "one", relay_only=relay_only) as one,
        RoomPeer(url, room, "two", relay_only=relay_only) as two,
    ):
        [to_two] = await one.wait_ready(1, timeout=READY_TIMEOUT_S)
        [to_one] = await two.wait_ready(1, timeout=READY_TIMEOUT_S)
        for link in (to_two.link, to_one.link):
            servers = link.configuration.iceServers
            assert [s.urls for s in servers] == [stun, turn]
            assert servers[1].username and servers[1].credential
            if relay_only:
                assert selected_pair(link) == ("relay", "relay")
