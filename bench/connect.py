"""Time to connect: invite link opened -> first message deliverable.

A person who already has a Parley identity opens an invite link in a new tab (a cold
page load: scripts, libsodium, IndexedDB, WebSocket, join, sealed handshake, WebRTC,
DTLS certificate check). The clock stops when the room shows the inviter as connected,
which is when a message can be delivered. Run with `make bench` or
`python -m bench.connect --runs 10`.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e.server import running_server
from e2e.user import User

RESULTS = Path(__file__).resolve().parent / "results"


def one_run(browser, url: str) -> float:
    inviter_context = browser.new_context()
    joiner_context = browser.new_context()
    try:
        inviter = User(inviter_context.new_page(), url)
        inviter.onboard("Inviter")
        link = inviter.create_room("Bench room")
        joiner = User(joiner_context.new_page(), url)
        joiner.onboard("Joiner")
        joiner.page.close()  # Parley runs in one tab at a time
        page = joiner_context.new_page()  # a new tab: a cold load of the app
        ready = page.locator('[data-testid="peer"][data-state="ready"]')
        start = time.perf_counter()
        page.goto(link)
        expect(ready).to_have_count(1, timeout=30_000)
        elapsed = time.perf_counter() - start
        page.get_by_test_id("composer").fill("first")
        page.get_by_test_id("composer").press("Enter")
        inviter.expect_message("first")
        return elapsed
    finally:
        inviter_context.close()
        joiner_context.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        one_run(browser, url)  # warm-up: first WebRTC setup and caches
        times = [one_run(browser, url) for _ in range(args.runs)]
        browser.close()
    result = {
        "runs": len(times),
        "median_s": statistics.median(times),
        "p95_s": percentile(times, 0.95),
        "min_s": min(times),
        "max_s": max(times),
        "all_s": [round(t, 4) for t in times],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "connect.json").write_text(json.dumps(result, indent=2))
    print("time to connect (invite link opened -> first message deliverable)")
    print(f"  runs   {result['runs']}")
    print(f"  median {result['median_s'] * 1000:.0f} ms")
    print(f"  p95    {result['p95_s'] * 1000:.0f} ms")
    print(f"  range  {result['min_s'] * 1000:.0f}-{result['max_s'] * 1000:.0f} ms")
    chart(result, RESULTS / "connect.png")
    print(f"  chart  {RESULTS / 'connect.png'}")


def chart(result: dict, path: Path) -> None:
    """Every run in order, with the median and p95 as lines: a slow tail shows at a glance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times_ms = [t * 1000 for t in result["all_s"]]
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.bar(range(1, len(times_ms) + 1), times_ms, color="#3b6ea5")
    for value, name, style in ((result["median_s"], "median", "-"), (result["p95_s"], "p95", "--")):
        axis.axhline(value * 1000, color="#c92a2a", linestyle=style, linewidth=1)
        axis.text(
            len(times_ms) + 0.6,
            value * 1000,
            f"{name} {value * 1000:.0f} ms",
            va="center",
            fontsize=8,
        )
    axis.set_xticks(range(1, len(times_ms) + 1))
    axis.tick_params(axis="x", labelsize=7)
    axis.set_xlabel("run")
    axis.set_ylabel("ms")
    axis.set_title("time to connect: invite link opened -> first message deliverable", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
