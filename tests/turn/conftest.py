"""A real coturn on 127.0.0.1 for the tests (signal_server/coturn.py, coturn_process.py).

The same TurnConfig and Coturn that `manage.py turn` and `serve --turn` use, on ports
the kernel offers free for UDP and TCP; coturn cannot inherit a socket, so a port taken
between the choice and coturn's bind is retried with the next one. The tests need the
Debian package coturn (`make install-turn`, part of `make test`); without it they fail,
loudly, rather than skip.
"""

import secrets
import shutil
from dataclasses import replace

import pytest

from signal_server.coturn import TurnConfig
from signal_server.coturn_process import Coturn, free_ports

ATTEMPTS = 3


def start_coturn(config: TurnConfig) -> Coturn:
    if shutil.which("turnserver") is None:
        raise RuntimeError("turnserver is missing: run `make install-turn` (Debian's coturn)")
    ports = free_ports()
    for attempt in range(ATTEMPTS):
        coturn = Coturn(replace(config, port=next(ports)), binary="turnserver")
        try:
            coturn.start()
        except RuntimeError:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return coturn
    raise AssertionError("unreachable")


def loopback_config(**changes) -> TurnConfig:
    """coturn on 127.0.0.1, relaying from 127.0.0.1, hardened as in production."""
    return TurnConfig(
        secret=secrets.token_urlsafe(32),
        listening_ips=("127.0.0.1",),
        relay_ip="127.0.0.1",
        **changes,
    )


@pytest.fixture(scope="module")
def coturn():
    """The production configuration: loopback is a denied peer like any private range."""
    server = start_coturn(loopback_config())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dev_coturn():
    """The development configuration of `make run`: loopback peers allowed."""
    server = start_coturn(loopback_config(allow_loopback_peers=True))
    yield server
    server.stop()
