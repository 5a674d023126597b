"""Network namespaces for the NAT lab: named per run, entered by command, always removed.

Every namespace of a lab is named `pl<pid>-<lab>-<role>`, after the test process that
made it. A run that crashed before its teardown leaves namespaces behind whose pid no
longer runs: `remove_leftovers()` ends the processes still inside them and deletes them,
and never touches the namespaces of a run that is still alive (another pytest).

Interfaces are created directly inside their namespaces (`ip link add ... netns NS`), so
the lab adds nothing to the host's own network: deleting the namespaces removes it all.
"""

import os
import re
import signal
import subprocess
from pathlib import Path

LEFTOVER = re.compile(r"pl(\d+)-\d+-[a-z0-9]+")


class LabError(RuntimeError):
    """A lab command failed; the message carries its command line and stderr."""


def require_root() -> None:
    """The lab needs root (namespaces, nftables): say so instead of skipping."""
    if os.geteuid() != 0:
        raise LabError(
            "the NAT lab needs root (ip netns, nftables); run these tests as root, as CI does"
        )


def run(*argv: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; its stdout, or LabError with its stderr."""
    done = subprocess.run(argv, input=input, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def inside(namespace: str, *argv: str) -> list[str]:
    """The command line that runs `argv` inside `namespace`."""
    return ["ip", "netns", "exec", namespace, *argv]


def namespaces() -> list[str]:
    return [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.strip()]


def pids_inside(namespace: str) -> list[int]:
    try:
        return [int(pid) for pid in run("ip", "netns", "pids", namespace).split()]
    except LabError:
        return []


def delete(namespace: str) -> None:
    """End every process left in `namespace` and delete it (its interfaces go with it)."""
    for pid in pids_inside(namespace):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if Path("/run/netns", namespace).exists():
        run("ip", "netns", "delete", namespace)


def remove_leftovers() -> list[str]:
    """Delete the lab namespaces of runs that are no longer alive; their names."""
    removed = []
    for name in namespaces():
        match = LEFTOVER.fullmatch(name)
        if match and not _alive(int(match[1])):
            delete(name)
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
