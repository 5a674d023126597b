"""Smoke test of bench/big_topic.py: its counts are what the server sent, on the servers
it measures, with tiny numbers and no timing thresholds (bench/README.md has those).

One topic of 40 connections with the sample as shipped (32): the first 33 members are
announced to everyone before them, later ones to 32, so the counts are exact.
"""

import asyncio

import pytest

from bench.big_topic import SAMPLE, SMALL_GROUP, hold
from bench.signaling import raise_file_limit, running

COUNT = 40


@pytest.mark.parametrize("name", ["uvicorn", "uvicorn-2"])
def test_one_topic_and_topics_of_four_count_what_the_server_sent(name):
    raise_file_limit()
    # Each join is announced to min(members before it, SAMPLE) of its topic.
    announced = {
        SMALL_GROUP: COUNT // SMALL_GROUP * sum(range(SMALL_GROUP)),
        COUNT: sum(min(k, SAMPLE) for k in range(COUNT)),
    }
    rows = {}
    for group, told in announced.items():
        with running(name) as server:
            rows[group] = asyncio.run(hold(server, COUNT, group, settle=0.2, told=told))
    small, big = rows[SMALL_GROUP], rows[COUNT]
    for row in (small, big):
        assert row["held"] == COUNT and row["failures"] == {}, row
        assert row["kib_per_connection"] > 0
        assert 0 < row["join_ms_first"][0] <= row["join_ms_first"][1]
    assert small["largest_sample"] == SMALL_GROUP - 1
    assert big["largest_sample"] == SAMPLE
    assert big["joined_mean"] * COUNT == pytest.approx(announced[COUNT])
    assert small["joined_mean"] * COUNT == pytest.approx(announced[SMALL_GROUP])
    assert small["joined_most"] == SMALL_GROUP - 1
    assert big["joined_most"] <= COUNT - 1
