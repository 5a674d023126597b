"""CPU seconds of this process's descendants (the browser Playwright launched, its
renderers, the servers), thread by thread, from /proc (Linux only).

When both cores are busy, a transfer's speed follows the CPU it costs per byte, and a
profile of one page's main thread misses most of it: the network service, WebRTC's
threads, the file worker, the browser process behind OPFS. `bench.files --cpu` takes
a snapshot before and after each timed transfer and reports the difference per MB.

    before = snapshot(); ...; spent = difference(before, snapshot())
    for name, seconds in by_thread(spent).most_common(): ...

A thread is named by its process's kind (`renderer`, `browser`, `gpu-process`,
`utility:NetworkService`, ...) and its thread name (`chromium` is a renderer's main
thread, `WebRTC_W_and_N` WebRTC's worker and network thread, `DedicatedWorker` a
page's worker). Renderers are not told apart: both pages of a half count together.
"""

import collections
import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")

Key = tuple[int, int]  # (pid, tid)


def _stat_fields(text: str) -> tuple[str, list[str]]:
    """The command name and the fields after it (the name may hold spaces)."""
    return text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()


def _kind(pid: int) -> str:
    try:
        args = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().split()
    except OSError:
        return "gone"
    if not args or "chrom" not in args[0]:
        return Path(args[0]).name if args else "?"
    kind = next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), "browser")
    if kind == "utility":
        sub = next((a for a in args if a.startswith("--utility-sub-type=")), "=?")
        kind += ":" + sub.split("=", 1)[1].split(".")[-1]
    return kind


def _descendants(root: int) -> list[int]:
    children = collections.defaultdict(list)
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            _, fields = _stat_fields((entry / "stat").read_text())
        except OSError:
            continue
        children[int(fields[1])].append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children[stack.pop()]:
            found.append(child)
            stack.append(child)
    return found


def snapshot(root: int | None = None) -> dict[Key, tuple[str, float]]:
    """(pid, tid) -> (its name, CPU seconds so far), for every thread under `root`."""
    seen: dict[Key, tuple[str, float]] = {}
    for pid in _descendants(os.getpid() if root is None else root):
        kind = _kind(pid)
        try:
            tasks = list((PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                comm, fields = _stat_fields((task / "stat").read_text())
            except OSError:
                continue
            seconds = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
            seen[(pid, int(task.name))] = (f"{kind} {comm}", seconds)
    return seen


def difference(before: dict, after: dict) -> dict[Key, tuple[str, float]]:
    return {
        key: (name, seconds - before.get(key, (name, 0.0))[1])
        for key, (name, seconds) in after.items()
    }


def by_thread(spent: dict[Key, tuple[str, float]]) -> collections.Counter:
    """CPU seconds per thread name (threads of one name in several processes added)."""
    total: collections.Counter = collections.Counter()
    for name, seconds in spent.values():
        total[name] += seconds
    return total
