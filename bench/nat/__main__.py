"""`python -m bench.nat`: run the NAT lab benchmark (bench/nat/__init__.py says what)."""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.bare_channel import MAX_MESSAGE, MB, reference_run
from bench.connect import RESULTS
from bench.files import write_random_file
from bench.nat.bare import LabChannel, bare_connect
from bench.nat.coturn_cpu import CpuMeter, coturn_pid
from bench.nat.parley import ParleyPair
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e.lab.nat_lab import NatLab

MIB = 1 << 20
PATHS = {"direct": ("cone_a", "cone_b"), "relayed": ("symmetric_a", "symmetric_b")}
HIGH, LOW = 4 * MIB, 1 * MIB  # bench.files' backpressure, Parley's chunk server's (§11)


def spread(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "all": values,
    }


def check_route(path: str, pair: list[str] | None, what: str) -> None:
    """A figure labelled direct must not have gone through coturn, nor relayed around it."""
    relayed = pair is not None and "relay" in pair
    if pair is None or relayed != (path == "relayed"):
        raise RuntimeError(f"{what} on the {path} path selected the pair {pair}")


def measure_connect(world, path: str, samples: int) -> tuple[dict, ParleyPair]:
    """`samples` bare pairs and Parley pairs, alternating, after one of each unmeasured;
    the last Parley pair is left open for the file transfer."""
    home_a, home_b = PATHS[path]
    browsers = world.browser(home_a), world.browser(home_b)
    config = {"iceServers": world.relay.ice_servers(), "iceTransportPolicy": "all"}
    bare, parley = [], []
    pair = None
    for index in range(samples + 1):
        bare_run = bare_connect(*browsers, world.page_origin, config)
        check_route(path, bare_run["pair"], "the bare pair")
        if pair is not None:
            pair.close()
        pair = ParleyPair(world, home_a, home_b)
        parley_run = pair.connect()
        check_route(path, parley_run["pair"], "Parley")
        if index:  # the first of each is a warm-up
            bare.append(bare_run)
            parley.append(parley_run)
        print(f"  {path} connect {index or 'warm-up'}: bare {bare_run['connect_s']:.3f} s, "
              f"Parley dial->ready {parley_run['dial_to_ready_s']:.3f} s, "
              f"invite->ready {parley_run['invite_to_ready_s']:.3f} s", flush=True)  # fmt: skip
    result = {
        "bare_connect_s": spread([run["connect_s"] for run in bare]),
        "bare_after_answer_s": spread([run["after_answer_s"] for run in bare]),
        "bare_ice_connected_s": spread([run["ice_connected_s"] for run in bare]),
        "parley_dial_to_ready_s": spread([run["dial_to_ready_s"] for run in parley]),
        "parley_invite_to_ready_s": spread([run["invite_to_ready_s"] for run in parley]),
        "bare_pairs": [run["pair"] for run in bare],
        "parley_pairs": [run["pair"] for run in parley],
    }
    result["connect_ratio"] = (
        result["parley_dial_to_ready_s"]["median"] / result["bare_connect_s"]["median"]
    )
    return result, pair


def measure_files(world, path, pair: ParleyPair, files: dict, runs: int, pid: int, loopback):
    """Bare channel and Parley file, alternating run by run, each after a warm-up on its
    connection; coturn's CPU around each measured transfer. Each run also moves the
    same bytes over a bare channel outside the lab (`loopback`, a browser on the host,
    host candidates on 127.0.0.1): what the machine gives at that moment without the
    lab's routers."""
    home_a, home_b = PATHS[path]
    config = {"iceServers": world.relay.ice_servers(), "iceTransportPolicy": "all"}
    total, warm = files["big"].stat().st_size, files["warm"].stat().st_size
    bare, parley, outside = [], [], []
    for index in range(runs):
        outside.append(reference_run(loopback, total, warm, MAX_MESSAGE, HIGH, LOW))
        channel = LabChannel(
            world.browser(home_a), world.browser(home_b), world.page_origin, config
        )
        try:
            channel.transfer(warm, MAX_MESSAGE, HIGH, LOW)
            with CpuMeter(pid) as cpu:
                run = channel.transfer(total, MAX_MESSAGE, HIGH, LOW)
            run.update(path=channel.path, coturn_cpu_s=cpu.seconds)
        finally:
            channel.close()
        if ("relay" in run["path"]) != (path == "relayed"):
            raise RuntimeError(f"the bare channel on the {path} path went {run['path']}")
        bare.append(run)
        if index == 0:
            pair.send_file(files["warm"])
        with CpuMeter(pid) as cpu:
            run = pair.send_file(files["big"])
        check_route(path, run["pair"], "Parley's file")
        run["coturn_cpu_s"] = cpu.seconds
        parley.append(run)
        print(f"  {path} files {index + 1}: bare {bare[-1]['mb_s']:.1f} MB/s, "
              f"Parley {run['mb_s']:.1f} MB/s", flush=True)  # fmt: skip
    result = {
        "bytes": total,
        "bare": {"runs": bare, "mb_s": spread([run["mb_s"] for run in bare])},
        "parley": {"runs": parley, "mb_s": spread([run["mb_s"] for run in parley])},
        "loopback": {"runs": outside, "mb_s": spread([run["mb_s"] for run in outside])},
    }
    result["mb_s_ratio"] = result["parley"]["mb_s"]["median"] / result["bare"]["mb_s"]["median"]
    for side in ("bare", "parley"):
        runs_cpu = [run["coturn_cpu_s"] for run in result[side]["runs"]]
        result[side]["coturn_cpu_s_per_mb"] = sum(runs_cpu) / (len(runs_cpu) * total / MB)
    return result


def ms(figures: dict) -> str:
    return f"{figures['median'] * 1000:,.0f} ({figures['min'] * 1000:,.0f}-{figures['max'] * 1000:,.0f})"  # noqa: E501


def mb_s(figures: dict) -> str:
    return f"{figures['median']:.1f} ({figures['min']:.1f}-{figures['max']:.1f})"


def print_table(result: dict) -> None:
    paths = list(result["paths"])
    samples, runs = result["samples"], result["runs"]
    rows = [("", *(f"{p} ({' + '.join(PATHS[p])})" for p in paths))]
    figures = [result["paths"][p] for p in paths]

    def row(label, cell):
        rows.append((label, *(cell(f) for f in figures)))

    row(f"bare connect, ms (median (range) of {samples})", lambda f: ms(f["bare_connect_s"]))
    row("  of which after the answer, ms", lambda f: ms(f["bare_after_answer_s"]))
    row("Parley dial -> ready, ms", lambda f: ms(f["parley_dial_to_ready_s"]))
    row("  ratio Parley / bare", lambda f: f"{f['connect_ratio']:.2f}")
    row("Parley invite -> ready, ms", lambda f: ms(f["parley_invite_to_ready_s"]))
    row("last sample's pair, bare / Parley", lambda f: f"{'-'.join(f['bare_pairs'][-1])} / "
        f"{'-'.join(f['parley_pairs'][-1])}")  # fmt: skip
    row(
        f"bare channel MB/s ({result['mib']} MiB, {runs} runs)",
        lambda f: mb_s(f["files"]["bare"]["mb_s"]),
    )  # noqa: E501
    row("Parley file MB/s", lambda f: mb_s(f["files"]["parley"]["mb_s"]))
    row("  ratio Parley / bare", lambda f: f"{f['files']['mb_s_ratio']:.2f}")
    row("bare channel outside the lab, MB/s", lambda f: mb_s(f["files"]["loopback"]["mb_s"]))
    row("coturn CPU ms per MB, bare / Parley", lambda f: (
        f"{f['files']['bare']['coturn_cpu_s_per_mb'] * 1000:.2f} / "
        f"{f['files']['parley']['coturn_cpu_s_per_mb'] * 1000:.2f}"))  # fmt: skip
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    print("NAT lab: Parley against a bare RTCPeerConnection over the same path (MB = 10^6 B)")
    for r in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=5, help="connects per path and side")
    parser.add_argument("--mib", type=int, default=32, help="bytes per transfer, in MiB")
    parser.add_argument("--warmup-mib", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2, help="transfers per path and side")
    parser.add_argument("--paths", default="direct,relayed")
    args = parser.parse_args()
    paths = args.paths.split(",")
    if not set(paths) <= set(PATHS) or args.samples < 1 or args.runs < 1:
        parser.error(f"--paths among {','.join(PATHS)}; --samples and --runs at least 1")
    started = time.monotonic()
    result = {"samples": args.samples, "runs": args.runs, "mib": args.mib, "paths": {}}
    result["load_average_before"] = os.getloadavg()
    with (
        sync_playwright() as playwright,
        NatLab(playwright) as world,
        tempfile.TemporaryDirectory(prefix="parley-bench-nat-") as tmp,
    ):
        files = {"big": Path(tmp) / "nat-bench.bin", "warm": Path(tmp) / "nat-warm-up.bin"}
        write_random_file(files["big"], args.mib * MIB)
        write_random_file(files["warm"], args.warmup_mib * MIB)
        pid = coturn_pid(world.directory)
        loopback = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in paths:
            figures, pair = measure_connect(world, path, args.samples)
            try:
                figures["files"] = measure_files(world, path, pair, files, args.runs, pid, loopback)
            finally:
                pair.close()
            result["paths"][path] = figures
        loopback.close()
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nat.json").write_text(json.dumps(result, indent=2))
    print_table(result)
    load = ", ".join(f"{a:.1f} -> {b:.1f}" for a, b in zip(
        result["load_average_before"], result["load_average_after"], strict=True))  # fmt: skip
    print(f"  ({result['seconds']:.0f} s, load average 1/5/15 min {load};"
          f" figures in {RESULTS / 'nat.json'})")  # fmt: skip


if __name__ == "__main__":
    main()
