"""bench.files's report: each half's runs summed up, and the table printed against the
targets (issue 19: Parley at least 0.9 of the reference, B's peak heap under 100 MB)."""

import statistics

from bench.bare_channel import MB, MIB

TARGET_RATIO = 0.9
TARGET_HEAP_MB = 100


def summary(runs: list[dict]) -> dict:
    rates = [run["mb_s"] for run in runs]
    result = {
        "runs": runs,
        "median_mb_s": statistics.median(rates),
        "min_mb_s": min(rates),
        "max_mb_s": max(rates),
        "heap_peak_mb": max(run["heap_peak_mb"] for run in runs),
    }
    if all("cpu" in run for run in runs):
        for run in runs:
            run["cpu_s_per_mb"] = round(sum(run["cpu"].values()) / (run["bytes"] / MB), 5)
        result["median_cpu_s_per_mb"] = statistics.median(run["cpu_s_per_mb"] for run in runs)
        threads: dict[str, float] = {}
        for run in runs:
            for name, seconds in run["cpu"].items():
                threads[name] = threads.get(name, 0.0) + seconds / (run["bytes"] / MB) / len(runs)
        result["cpu_s_per_mb_by_thread"] = dict(sorted(threads.items(), key=lambda kv: -kv[1]))
    return result


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_table(result: dict) -> None:
    ref = result["reference"]
    parley = result["parley"]
    print(f"file transfer of {result['bytes'] // MIB} MiB (MB = 10^6 bytes)")
    print(f"  message size {result['message_size']} B, backpressure {result['backpressure']}")
    print(f"  reference path {ref['runs'][0]['path']}")
    for index, run in enumerate(ref["runs"], 1):
        print(
            f"  reference run {index}: {run['mb_s']:6.1f} MB/s in {run['seconds']:.2f} s,"
            f" receiver heap {run['heap_before_mb']:.1f} -> peak {run['heap_peak_mb']:.1f} MB"
        )
    floor = result.get("floor")
    for index, run in enumerate(floor["runs"] if floor else [], 1):
        print(
            f"  floor run {index}: {run['mb_s']:6.1f} MB/s in {run['seconds']:.2f} s,"
            f" receiver heap {run['heap_before_mb']:.1f} -> peak {run['heap_peak_mb']:.1f} MB"
        )
    if "error" in parley:
        print(f"  Parley transfer: {parley['status']} ({parley['error']})")
        rate = ratio = heap = "-"
    else:
        for index, run in enumerate(parley["runs"], 1):
            print(
                f"  Parley run {index}: {run['mb_s']:6.1f} MB/s in {run['seconds']:.2f} s"
                f" (from {run['timed_from']}), B's heap {run['heap_before_mb']:.1f} -> peak"
                f" {run['page_heap_peak_mb']:.1f} page + {run['worker_heap_peak_mb']:.1f}"
                f" workers = {run['heap_peak_mb']:.1f} MB"
            )
        value = parley["median_mb_s"] / ref["median_mb_s"]
        rate = f"{parley['median_mb_s']:.1f} MB/s"
        ratio = f"{value:.2f} ({met(value >= TARGET_RATIO)})"
        heap = f"{parley['heap_peak_mb']:.1f} MB ({met(parley['heap_peak_mb'] < TARGET_HEAP_MB)})"
    runs = len(ref["runs"])
    rows = [
        ("", "result", "target"),
        (f"reference MB/s (median of {runs})", f"{ref['median_mb_s']:.1f} MB/s", ""),
        ("Parley MB/s (median)", rate, ""),
        ("ratio Parley / reference", ratio, f">= {TARGET_RATIO}"),
        *floor_rows(floor, ref, parley),
        ("B's peak JS heap", heap, f"< {TARGET_HEAP_MB} MB"),
        ("reference receiver's peak JS heap", f"{ref['heap_peak_mb']:.1f} MB", ""),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    for label, value, target in rows:
        print(f"  {label:<{widths[0]}}  {value:<{widths[1]}}  {target}".rstrip())
    halves = {"reference": ref, "floor": floor or {}, "Parley": parley}
    if all("median_cpu_s_per_mb" in half for half in halves.values() if half):
        print_cpu({name: half for name, half in halves.items() if half})


def floor_rows(floor: dict | None, ref: dict, parley: dict) -> list[tuple[str, str, str]]:
    """The floor's speed and what it leaves: its ratio to the reference is the most a
    verified, stored transfer reaches here (bench/floor_channel.py)."""
    if not floor:
        return []
    rows = [
        ("floor MB/s (median)", f"{floor['median_mb_s']:.1f} MB/s", ""),
        ("ratio floor / reference", f"{floor['median_mb_s'] / ref['median_mb_s']:.2f}", ""),
    ]
    if "median_mb_s" in parley:
        over_floor = parley["median_mb_s"] / floor["median_mb_s"]
        rows.append(("ratio Parley / floor", f"{over_floor:.2f}", ""))
    return rows


def print_cpu(halves: dict[str, dict]) -> None:
    """CPU ms per MB of the timed transfers (every process under this one), by thread."""
    medians = ", ".join(
        f"{name} {1000 * half['median_cpu_s_per_mb']:.1f} ms" for name, half in halves.items()
    )
    print(f"  CPU per MB (median): {medians}")
    threads = [name for half in halves.values() for name in half["cpu_s_per_mb_by_thread"]]
    names = list(dict.fromkeys(threads))
    for name in names:
        spent = [half["cpu_s_per_mb_by_thread"].get(name, 0.0) for half in halves.values()]
        if max(spent) >= 0.0002:
            columns = "   ".join(
                f"{label} {1000 * value:5.2f}" for label, value in zip(halves, spent, strict=True)
            )
            print(f"    {name:<40} {columns} ms/MB")
