"""The results: ratios to PeerJS, the tables, bench/results/signaling.json and the PNG."""

import contextlib
import json
from pathlib import Path

from bench.signaling.relay_shape import CPU_BOUND

RESULTS = Path(__file__).resolve().parents[1] / "results"


def with_ratios(relay_rows: list[dict], connection_rows: list[dict]) -> None:
    peerjs = next((row for row in relay_rows if row["server"] == "peerjs"), None)
    for row in relay_rows:
        if row["relays_per_s"]:
            row["server_us_per_relay"] = row["server_cpu"] / row["relays_per_s"] * 1e6
        if peerjs and peerjs["relays_per_s"]:
            row["relays_ratio"] = row["relays_per_s"] / peerjs["relays_per_s"]
        if peerjs and peerjs["p99_ms"] and row["p99_ms"]:
            row["p99_ratio"] = row["p99_ms"] / peerjs["p99_ms"]
    for row in connection_rows:
        reference = next(
            (
                other
                for other in connection_rows
                if other["server"] == "peerjs" and other["connections"] == row["connections"]
            ),
            None,
        )
        if reference and reference["kib_per_connection"] > 0:
            row["kib_ratio"] = row["kib_per_connection"] / reference["kib_per_connection"]


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_tables(relay_rows: list[dict], connection_rows: list[dict]) -> None:
    if relay_rows:
        print("\nrelay: closed loop, one 1,072-byte blob in flight per pair, one-way latency")
        header = (
            f"{'server':36} {'relays/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
            f"{'p99 ratio':>9} {'load':>5} {'server':>7} {'µs/relay':>8}  checks"
        )
        print(header)
        for row in relay_rows:
            p50 = "—" if row["p50_ms"] is None else f"{row['p50_ms']:.2f}"
            p99 = "—" if row["p99_ms"] is None else f"{row['p99_ms']:.2f}"
            load = f"{row['load_cpu']:.0%}" + ("x2" if row["load_processes"] > 1 else "")
            checks = (
                f"{row['checked']} checked, {row['damaged']} damaged, {row['lost']} lost, "
                f"{row['error_frames']} error frames"
            )
            if row["load_cpu"] >= CPU_BOUND:
                checks += "; the load process was CPU-bound: a floor, not the server's figure"
            print(
                f"{row['label']:36} {row['relays_per_s']:9.0f} {p50:>7} {p99:>7} "
                f"{ratio(row.get('relays_ratio')):>6} {ratio(row.get('p99_ratio')):>9} "
                f"{load:>5} {row['server_cpu']:7.0%} {row.get('server_us_per_relay', 0):8.0f}  "
                f"{checks}"
            )
        print("  ratio = relays/s over PeerJS's; p99 ratio = p99 over PeerJS's (lower is better)")
        print(
            "  load = CPU of one load process (x2: two processes), server = CPU of the server"
            " (1.0 = one core), µs/relay = server CPU per relayed envelope"
        )
    if connection_rows:
        print("\nconnections held (idle; Parley: hello + join a topic of 4)")
        print(
            f"{'server':36} {'asked':>6} {'held':>6} {'open s':>7} {'RSS before':>10} "
            f"{'RSS after':>9} {'KiB/conn':>8} {'ratio':>6}"
        )
        for row in connection_rows:
            print(
                f"{row['label']:36} {row['connections']:6} {row['held']:6} {row['open_s']:7.1f} "
                f"{row['rss_before_mib']:8.1f} MiB {row['rss_after_mib']:7.1f} MiB "
                f"{row['kib_per_connection']:8.1f} {ratio(row.get('kib_ratio')):>6}"
            )
        print("  ratio = KiB per connection over PeerJS's at the same count")


def short_label(row: dict) -> str:
    if row["server"] in ("peerjs", "floor"):
        return {"peerjs": "PeerJS", "floor": "floor\n(no checks)"}[row["server"]]
    return f"{row['server']}\n{row['rate_limit']} limit"


def chart(relay_rows: list[dict], connection_rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 5.5))
    labels = [short_label(row) for row in relay_rows]
    colours = [
        "#888888" if row["server"] == "peerjs" else "#cccccc" if row["server"] == "floor"
        else "#9bb7d4" if row["rate_limit"] == "shipped" else "#3b6ea5"
        for row in relay_rows
    ]  # fmt: skip
    bars = axes[0].bar(labels, [row["relays_per_s"] for row in relay_rows], color=colours)
    axes[0].bar_label(bars, fmt="{:,.0f}", fontsize=8)
    axes[0].set_title("relayed envelopes per second (higher is better)", fontsize=10)
    bars = axes[1].bar(labels, [row["p99_ms"] or 0 for row in relay_rows], color=colours)
    axes[1].bar_label(bars, fmt="{:.1f}", fontsize=8)
    axes[1].set_title("p99 one-way latency, ms (lower is better)", fontsize=10)
    for axis in axes[:2]:
        axis.tick_params(axis="x", labelsize=8)
    counts = sorted({row["connections"] for row in connection_rows})
    names = list(dict.fromkeys(row["label"] for row in connection_rows))
    width = 0.8 / max(len(names), 1)
    for position, name in enumerate(names):
        found = [
            next(
                (
                    row
                    for row in connection_rows
                    if row["label"] == name and row["connections"] == count
                ),
                None,
            )
            for count in counts
        ]
        xs = [i + position * width for i in range(len(counts))]
        values = [row["kib_per_connection"] if row else 0 for row in found]
        bars = axes[2].bar(xs, values, width, label=name)
        notes = [
            f"{row['kib_per_connection']:.0f}"
            + ("" if row["held"] == row["connections"] else f"\n({row['held']:,} held)")
            if row
            else ""
            for row in found
        ]
        axes[2].bar_label(bars, labels=notes, fontsize=7)
    axes[2].set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(counts))])
    axes[2].set_xticklabels([f"{count:,} connections" for count in counts], fontsize=8)
    axes[2].set_title("server RSS per idle connection, KiB (lower is better)", fontsize=10)
    axes[2].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
    for axis in axes:
        axis.margins(y=0.15)
    figure.suptitle("Parley's rendezvous server vs PeerJS's server (127.0.0.1, 2 cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def previous_results() -> dict:
    """The last run's JSON, or nothing."""
    previous = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads((RESULTS / "signaling.json").read_text())
    return previous


def write_results(result: dict) -> None:
    """The JSON and, from its rows, the chart."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "signaling.json").write_text(json.dumps(result, indent=2))
    chart(result["relay"], result["connections"], RESULTS / "signaling.png")
    print(f"\nwrote {RESULTS / 'signaling.json'} and {RESULTS / 'signaling.png'}")
