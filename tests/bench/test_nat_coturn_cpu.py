"""bench/nat/coturn_cpu.py reads a process's CPU time as the kernel counts it, and takes
only a turnserver's pid. (The NAT lab benchmark itself needs root and a minute or more:
it is run by `make bench`, not here.)"""

import os

import pytest

from bench.nat.coturn_cpu import TICKS_PER_SECOND, CpuMeter, coturn_pid, cpu_seconds


def busy(seconds: float) -> None:
    end = os.times().user + seconds
    while os.times().user < end:
        pass


def test_cpu_seconds_agree_with_the_kernels_times_of_this_process():
    busy(0.05)
    before = os.times()
    read = cpu_seconds(os.getpid())
    after = os.times()
    tick = 1 / TICKS_PER_SECOND
    assert before.user + before.system - tick <= read <= after.user + after.system + tick


def test_the_meter_counts_the_cpu_spent_inside_it():
    with CpuMeter(os.getpid()) as meter:
        busy(0.1)
    assert 0.1 - 2 / TICKS_PER_SECOND <= meter.seconds <= 1.0


def test_a_pid_file_that_names_another_program_is_refused(tmp_path):
    (tmp_path / "turnserver.pid").write_text(f"{os.getpid()}\n")
    with pytest.raises(RuntimeError, match="not turnserver"):
        coturn_pid(tmp_path)
