"""A TURN client for the tests: aioice's (installed with aiortc), over UDP or TCP.

`allocate` makes an allocation with a username and password and returns the protocol,
whose `channel_bind(number, peer)` asks coturn for a permission and a channel to `peer`
(the request coturn checks against denied-peer-ip) and whose `send_data` relays.
Failures are aioice's `stun.TransactionFailed`, carrying coturn's error response.
"""

import asyncio

from aioice import stun
from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol


class Inbox(asyncio.DatagramProtocol):
    """What a relayed peer receives."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, tuple]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.received.put_nowait((data, addr))

    def connection_lost(self, exc) -> None:
        pass

    def error_received(self, exc) -> None:
        pass


async def allocate(
    port: int, username: str, password: str, transport: str = "udp", host: str = "127.0.0.1"
):
    """(protocol, its transport) with an allocation made, or TransactionFailed."""
    loop = asyncio.get_running_loop()
    options = dict(username=username, password=password, lifetime=600, channel_refresh_time=500)
    if transport == "tcp":
        sock, protocol = await loop.create_connection(
            lambda: TurnClientTcpProtocol((host, port), **options), host=host, port=port
        )
    else:
        sock, protocol = await loop.create_datagram_endpoint(
            lambda: TurnClientUdpProtocol((host, port), **options), remote_addr=(host, port)
        )
    try:
        await protocol.connect()
    except BaseException:
        sock.close()
        raise
    protocol.receiver = Inbox()
    return protocol, sock


async def close(protocol, sock) -> None:
    await protocol.delete()
    sock.close()


def error_code(failure: stun.TransactionFailed) -> int | None:
    return failure.response.error_code
