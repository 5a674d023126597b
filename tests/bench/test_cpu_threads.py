"""bench/cpu_threads.py: the CPU a descendant's thread spent shows up under its name,
and differences count only what was spent between two snapshots."""

import subprocess
import sys

from bench import cpu_threads

# Burns 0.3 s of its own CPU time (not wall time: a busy machine only makes it slower),
# says so, and waits to be told to end, so that it is still there to be measured.
BURN = """
import sys, time
while time.process_time() < 0.3:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_a_child_that_burns_cpu_is_counted_by_its_name():
    before = cpu_threads.snapshot()
    child = subprocess.Popen(
        [sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "burnt\n"
        spent = cpu_threads.difference(before, cpu_threads.snapshot())
    finally:
        child.communicate("")
    mine = {key: value for key, value in spent.items() if key[0] == child.pid}
    assert mine, "the child's threads are found"
    assert sum(seconds for _, seconds in mine.values()) >= 0.3 - 2 / cpu_threads.TICK
    names = cpu_threads.by_thread(mine)
    assert all(name.startswith("python") for name in names), names


def test_differences_and_totals_by_name():
    before = {(1, 1): ("renderer chromium", 1.0), (2, 2): ("renderer chromium", 5.0)}
    after = {
        (1, 1): ("renderer chromium", 1.5),
        (2, 2): ("renderer chromium", 5.25),
        (3, 3): ("browser chromium", 0.5),  # a thread that came meanwhile counts whole
    }
    spent = cpu_threads.difference(before, after)
    assert cpu_threads.by_thread(spent) == {"renderer chromium": 0.75, "browser chromium": 0.5}
