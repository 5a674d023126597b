"""Smoke test of bench/signaling/: its clients speak both servers' protocols correctly.

Tiny numbers and no timing thresholds (timing targets live in bench/README.md): Parley on
each server `manage.py serve` offers (uvicorn also with 2 worker processes on a real
Redis, where pairs are relayed across processes), with its rate limit as shipped (the
load clients must pace under it and never be refused); the floor (the bare relay the
figures are compared with); and PeerJS's server from node_modules (`npm ci` installs it).
"""

import pytest

from bench.signaling import connections, raise_file_limit, relay, running
from bench.signaling.servers import SERVERS


@pytest.mark.parametrize("name", SERVERS)
def test_relays_intact_and_holds_connections(name):
    raise_file_limit()
    with running(name) as server:
        row = relay(server, pairs=2, warmup=0.2, seconds=1.0, processes=1)
        held = connections(server, 20, settle=0.2)
    assert row["relayed"] > 0
    assert row["checked"] >= row["relayed"]
    # Every blob came back byte for byte, from the peer it was sent to, and none was
    # dropped or answered with an error frame (rate_limited included).
    assert row["damaged"] == 0
    assert row["lost"] == 0
    assert row["error_frames"] == 0
    assert row["p50_ms"] is not None and row["p99_ms"] >= row["p50_ms"]
    assert held["held"] == held["connections"] == 20
    assert held["rss_after_mib"] > 0
