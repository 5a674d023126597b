"""Smoke test of bench/flood.py: tiny numbers, no timing thresholds (the ratio is the
benchmark's figure, bench/README.md). The flood really runs while the honest pair is
measured (the server drops its frames), nothing of the pair is lost, and the figures
are there and finite."""

import asyncio
import math

import pytest

from bench.flood import FLOOD_ENV, SERVERS, measure
from bench.signaling import raise_file_limit, running

SAMPLES = 3


@pytest.mark.parametrize("name", SERVERS)
def test_the_pair_is_measured_while_the_flood_is_dropped(name):
    raise_file_limit()
    with running(name, extra_env=FLOOD_ENV) as server:
        row = asyncio.run(measure(server.port, SAMPLES, flooders=2))
    assert row["unloaded"]["samples"] == row["flooded"]["samples"] == SAMPLES
    assert row["flooders"] == 2
    assert row["closed_by_server"] == []
    assert 0 < row["rate_limited"] <= row["flood_frames_sent"]
    for shape in ("unloaded", "flooded"):
        assert all(math.isfinite(row[shape][key]) for key in ("p50_ms", "p99_ms")), row
    assert row["p50_ratio"] == row["flooded"]["p50_ms"] / row["unloaded"]["p50_ms"]
