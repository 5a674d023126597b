"""The lab leaves nothing behind: not when a test fails, not when a run is killed."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.lab import netns
from e2e.lab.topology import Lab, Nat

ROOT = Path(__file__).resolve().parents[2]

# A run that builds a lab with a process inside, says what it made, and waits to be killed.
CRASHING_RUN = """
import json, sys, time
from e2e.lab.topology import Lab, Nat
lab = Lab().__enter__()
home = lab.add_home(Nat.SYMMETRIC)
sleeper = lab.start(home.user, ["sleep", "600"], "sleeper")
print(json.dumps({"namespaces": [lab.public, home.router, home.user], "pid": sleeper.pid}))
sys.stdout.flush()
time.sleep(600)
"""


def test_a_failing_body_still_removes_every_namespace_and_process():
    with pytest.raises(RuntimeError, match="the test failed"), Lab() as lab:
        home = lab.add_home(Nat.CONE)
        sleeper = lab.start(home.user, ["sleep", "600"], "sleeper")
        made = [lab.public, home.router, home.user]
        raise RuntimeError("the test failed")

    assert sleeper.poll() is not None
    assert not set(made) & set(netns.namespaces())


def test_the_leftovers_of_a_killed_run_are_removed_by_the_next():
    run = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUN], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        made = json.loads(run.stdout.readline())
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    assert set(made["namespaces"]) <= set(netns.namespaces())

    removed = netns.remove_leftovers()

    assert set(made["namespaces"]) <= set(removed)
    assert not set(made["namespaces"]) & set(netns.namespaces())
    assert _gone(made["pid"]), "the process left inside the killed run's lab still runs"


def test_the_namespaces_of_a_live_run_are_left_alone():
    with Lab() as lab:
        assert lab.public not in netns.remove_leftovers()
        assert lab.public in netns.namespaces()


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie its new parent has not reaped yet."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status
