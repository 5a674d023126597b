"""coturn's process CPU time, read from /proc, around a transfer it relays.

    with CpuMeter(pid) as meter:
        ... a relayed transfer ...
    meter.seconds        # user + system CPU seconds coturn spent meanwhile, all threads

/proc/<pid>/stat of a process (its thread group leader) counts every thread's time, in
clock ticks (fields 14 and 15, utime and stime). The lab's coturn writes its pid file in
the lab's directory (e2e/lab/turn.py); the pid is checked to be a running turnserver.
"""

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def coturn_pid(lab_directory: Path) -> int:
    pid = int((lab_directory / "turnserver.pid").read_text().strip())
    command = Path(f"/proc/{pid}/comm").read_text().strip()
    if command != "turnserver":
        raise RuntimeError(f"pid {pid} from coturn's pid file is {command!r}, not turnserver")
    return pid


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / TICKS_PER_SECOND


class CpuMeter:
    def __init__(self, pid: int):
        self.pid = pid
        self.seconds = 0.0

    def __enter__(self) -> "CpuMeter":
        self._before = cpu_seconds(self.pid)
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = cpu_seconds(self.pid) - self._before
