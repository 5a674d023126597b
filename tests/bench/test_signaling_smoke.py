"""Smoke test of bench/signaling/: its clients speak both servers' protocols correctly,
and its figures are counted and measured where they claim to be.

Tiny numbers and no timing thresholds (timing targets live in bench/README.md): Parley on
each server `manage.py serve` offers (uvicorn also with 2 worker processes on a real
Redis, where pairs are relayed across processes), with its rate limit as shipped (the
load clients must pace under it and never be refused); the floor (the bare relay the
figures are compared with); and PeerJS's server from node_modules (`npm ci` installs it).
"""

import math
from functools import cache
from pathlib import Path

import pytest

from bench.signaling import connections, raise_file_limit, relay, running
from bench.signaling.report import with_ratios
from bench.signaling.servers import SERVERS

PAIRS, WARMUP, SECONDS, CONNECTIONS = 2, 0.2, 1.0, 20
RELAY_KEYS = {
    "server", "label", "rate_limit", "pairs", "warmup_s", "seconds", "load_processes",
    "relays_per_s", "relayed", "sent", "checked", "damaged", "lost", "error_frames",
    "p50_ms", "p99_ms", "load_cpu", "server_cpu",
}  # fmt: skip
CONNECTION_KEYS = {
    "server", "label", "connections", "opened", "held", "failures", "open_s",
    "rss_before_mib", "rss_after_mib", "kib_per_connection",
}  # fmt: skip
# What the measured process runs: the RSS must be the server's, not a wrapper's.
COMMAND_OF = {
    "daphne": "manage.py",
    "uvicorn": "manage.py",
    "uvicorn-2": "manage.py",
    "floor": "bench.signaling.floor_app:app",
    "peerjs": "bench/peerjs_server.mjs",
}


@cache
def measured(name: str) -> tuple[dict, dict, str]:
    """One short run on a server: its relay row, its connections row, its command line."""
    raise_file_limit()
    with running(name) as server:
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        row = relay(server, pairs=PAIRS, warmup=WARMUP, seconds=SECONDS, processes=1)
        held = connections(server, CONNECTIONS, settle=0.2)
    return row, held, command


@pytest.mark.parametrize("name", SERVERS)
def test_relays_intact_and_holds_connections(name):
    row, held, command = measured(name)
    assert set(row) == RELAY_KEYS and row["server"] == name
    # Every blob came back byte for byte, from the peer it was sent to, and none was
    # dropped or answered with an error frame (rate_limited included).
    assert row["relayed"] > 0
    assert row["checked"] == row["sent"], "an envelope sent was neither received nor lost"
    assert row["relayed"] <= row["checked"]
    assert row["damaged"] == 0
    assert row["lost"] == 0
    assert row["error_frames"] == 0
    assert row["relays_per_s"] == row["relayed"] / SECONDS
    figures = [row["p50_ms"], row["p99_ms"], row["load_cpu"], row["server_cpu"]]
    assert all(math.isfinite(value) and value >= 0 for value in figures), row
    # A pair has one envelope in flight at a time, so the latencies of the envelopes
    # that arrived fit in the pairs' time: half of them took at least p50. A latency in
    # the wrong unit or of the wrong span would not fit.
    assert row["relayed"] / 2 * row["p50_ms"] / 1e3 <= PAIRS * (WARMUP + SECONDS)

    assert set(held) == CONNECTION_KEYS and held["server"] == name
    assert held["held"] == held["opened"] == held["connections"] == CONNECTIONS
    assert held["failures"] == {}
    # The RSS read is the server's: its own process (not a shell in between), of the
    # size of a Python or node server in MiB (a figure in KiB would be 1,024 times it).
    assert COMMAND_OF[name] in command, command
    assert 10 < held["rss_before_mib"] < 1024, held
    assert 10 < held["rss_after_mib"] < 1024, held
    assert math.isfinite(held["kib_per_connection"])


def test_the_report_has_a_row_of_every_server_with_its_ratios():
    relay_rows, connection_rows = [], []
    for name in SERVERS:
        row, held, _ = measured(name)
        relay_rows.append(row)
        connection_rows.append(held)
    with_ratios(relay_rows, connection_rows)
    assert [row["server"] for row in relay_rows] == list(SERVERS)
    for row in relay_rows:
        for key in ("server_us_per_relay", "relays_ratio", "p99_ratio"):
            assert math.isfinite(row[key]) and row[key] > 0, (key, row)
    peerjs = relay_rows[SERVERS.index("peerjs")]
    assert peerjs["relays_ratio"] == peerjs["p99_ratio"] == 1
