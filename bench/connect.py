"""Time to connect: invite link opened -> first message deliverable, against a bare page.

A person who already has a Parley identity opens an invite link in a new tab. The clock
runs in that page: from its navigation start (`performance.timeOrigin`) to the moment
the room first shows the inviter as connected (a MutationObserver sees the peer chip's
`data-state="ready"`), which is when a message can be delivered. Two kinds of visit:

- **warm**: the service worker of an earlier visit serves the app from its cache;
- **cold**: the origin's service worker, its caches and the HTTP cache are cleared
  first, so every file comes from the server (the identity stays in IndexedDB: a first
  visit ever would add the onboarding form, which is the user's time, not the link's).

The reference, in the same run and interleaved with Parley's samples, is two bare pages
on the same server (bench/bare_rendezvous.js): load (the server's small 404 page), open
the rendezvous WebSocket, hello, join, offer and answer and candidates through `signal`,
data channel open; the clock stops at the channel's `open` in the page that dialled.
The floor, also in the same rounds, is those pages plus the work Parley's protocol
cannot do without (libsodium loaded, blobs signed and sealed, the certificate check and
a signed link proof each way on the channel): what is left over it is the app's.

`python -m bench.connect --runs 20`; `--trace` prints one timeline of each kind;
`--baseline DIR` adds the warm and cold visits of another checkout (its own server,
its app bundle built), interleaved in the same rounds: what a change bought.
"""

import argparse
import base64
import json
import os
import statistics
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.connect_trace import TRACE_JS, print_trace
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e.server import running_server
from e2e.user import User

RESULTS = Path(__file__).resolve().parent / "results"
BARE_SCRIPT = (Path(__file__).resolve().parent / "bare_rendezvous.js").read_text()
BARE_PATH = "/bench/bare-rendezvous"

# Notes the first moment a peer is shown ready: the observer runs right after the DOM
# change, so no polling interval is added to the figure.
READY_JS = """
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-testid="peer"][data-state="ready"]')) {
    window.parleyReadyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {
  subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
});
"""

# Each kind of sample: its label in the table and its colour in the chart.
KINDS = {
    "bare": ("bare pages", "#868e96"),
    "floor": ("floor pages", "#2b8a3e"),
    "warm": ("Parley, warm", "#3b6ea5"),
    "cold": ("Parley, cold", "#c92a2a"),
    "baseline warm": ("baseline, warm", "#a5bfdd"),
    "baseline cold": ("baseline, cold", "#eaa3a3"),
}


def random_topic() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def bare_sample(browser, url: str, trace: bool = False, floor: bool = False) -> float:
    """Two bare pages: the first joins and waits; the second is timed from its navigation.

    `floor`: the pages also do the crypto and the round trips Parley's protocol needs
    (bench/bare_rendezvous.js), the joining one with libsodium cached and compiled by two
    earlier loads in its context, as a warm visit has it.
    """
    contexts = [browser.new_context(), browser.new_context()]
    level = "&floor" if floor else ""
    try:
        for context in contexts:
            if trace:
                context.add_init_script(TRACE_JS)
            context.add_init_script(BARE_SCRIPT)
        topic = random_topic()
        first = contexts[0].new_page()
        first.goto(f"{url}{BARE_PATH}?topic={topic}{level}")
        wait_for_value(first, "bareJoined")
        second = contexts[1].new_page()
        if floor:
            for _ in range(2):
                second.goto(f"{url}{BARE_PATH}?floor&warm")
                wait_for_value(second, "bareWarm")
            second.close()
            second = contexts[1].new_page()
        second.goto(f"{url}{BARE_PATH}?topic={topic}{level}")
        try:
            opened = wait_for_value(second, "bareOpenedAt") / 1000
        except PlaywrightError as error:
            opened = error
        errors = [page.evaluate("window.bareErrors") for page in (second, first)]
        if isinstance(opened, Exception) or any(errors):
            raise RuntimeError(f"{opened}; errors (joining page, other page): {errors}")
        # The floor counts only if each page checked the other's link proof, once; the
        # bare pages check none.
        checked = [page.evaluate("window.bareProofsChecked ?? 0") for page in (second, first)]
        if checked != ([1, 1] if floor else [0, 0]):
            raise RuntimeError(f"link proofs checked (joining page, other page): {checked}")
        if trace:
            stop = "peer's proof checked" if floor else "channel open"
            end = ("bareOpenedAt", f"{stop}: clock stops")
            print_trace(second, first, "floor" if floor else "bare", end=end)
        return opened
    finally:
        for context in contexts:
            context.close()


# Parley's pages forbid eval (CSP), so waits run as functions, not predicates.
WAIT_JS = """([name, ms]) => new Promise((resolve, reject) => {
  const deadline = performance.now() + ms;
  const check = () => {
    if (window[name] !== undefined) resolve(window[name]);
    else if (performance.now() > deadline) reject(new Error(`no ${name} after ${ms} ms`));
    else setTimeout(check, 20);
  };
  check();
})"""
CONTROLLED_JS = """() => navigator.serviceWorker.controller !== null || new Promise((resolve) => {
  navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
})"""


def wait_for_value(page, name: str, ms: int = 30_000):
    return page.evaluate(WAIT_JS, [name, ms])


def parley_sample(browser, url: str, *, cold: bool, trace: bool = False) -> float:
    inviter_context = browser.new_context()
    joiner_context = browser.new_context()
    try:
        inviter = User(inviter_context.new_page(), url)
        inviter.onboard("Inviter")
        link = inviter.create_room("Bench room")
        joiner = User(joiner_context.new_page(), url)
        joiner.onboard("Joiner")
        joiner.page.evaluate(CONTROLLED_JS)
        if cold:
            session = joiner_context.new_cdp_session(joiner.page)
            session.send(
                "Storage.clearDataForOrigin",
                {"origin": url, "storageTypes": "service_workers,cache_storage"},
            )
            session.send("Network.clearBrowserCache")
            session.detach()
        joiner.page.close()  # Parley runs in one tab at a time
        if trace:
            inviter.page.add_init_script(TRACE_JS)
            inviter.page.reload()
            inviter.page.get_by_test_id("composer").wait_for()
            joiner_context.add_init_script(TRACE_JS)
        joiner_context.add_init_script(READY_JS)
        page = joiner_context.new_page()
        page.goto(link)
        elapsed = wait_for_value(page, "parleyReadyAt") / 1000
        if trace:
            kind = "cold" if cold else "warm"
            print_trace(page, inviter.page, kind, end=("parleyReadyAt", "peer shown ready"))
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


def summary(times: list[float]) -> dict:
    return {
        "runs": len(times),
        "median_s": statistics.median(times),
        "p95_s": percentile(times, 0.95),
        "min_s": min(times),
        "max_s": max(times),
        "all_s": [round(t, 4) for t in times],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--trace", action="store_true", help="print one timeline of each visit")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alongside")
    args = parser.parse_args()
    kinds = {"bare": [], "floor": [], "warm": [], "cold": []}
    if args.baseline:
        kinds |= {"baseline warm": [], "baseline cold": []}
    with ExitStack() as stack, sync_playwright() as playwright:
        url = stack.enter_context(running_server())
        baseline = None
        if args.baseline:
            baseline = stack.enter_context(running_server(root=args.baseline))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Warm-up: the browser's first WebRTC setup, the server's first requests.
        bare_sample(browser, url)
        bare_sample(browser, url, floor=True)
        parley_sample(browser, url, cold=False)
        if baseline:
            parley_sample(browser, baseline, cold=False)
        if args.trace:
            bare_sample(browser, url, trace=True)
            bare_sample(browser, url, trace=True, floor=True)
            parley_sample(browser, url, cold=False, trace=True)
            parley_sample(browser, url, cold=True, trace=True)
        # Interleaved, so a busy moment of the machine slows every kind alike.
        for _ in range(args.runs):
            kinds["bare"].append(bare_sample(browser, url))
            kinds["floor"].append(bare_sample(browser, url, floor=True))
            kinds["warm"].append(parley_sample(browser, url, cold=False))
            kinds["cold"].append(parley_sample(browser, url, cold=True))
            if baseline:
                kinds["baseline warm"].append(parley_sample(browser, baseline, cold=False))
                kinds["baseline cold"].append(parley_sample(browser, baseline, cold=True))
        browser.close()
    result = {kind: summary(times) for kind, times in kinds.items()}
    bare = result["bare"]
    floor = result["floor"]
    for kind in kinds.keys() - {"bare"}:
        result[kind]["median_ratio"] = result[kind]["median_s"] / bare["median_s"]
        result[kind]["p95_ratio"] = result[kind]["p95_s"] / bare["p95_s"]
        if kind != "floor":
            result[kind]["median_over_floor"] = result[kind]["median_s"] / floor["median_s"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "connect.json").write_text(json.dumps(result, indent=2))
    print("time to connect: page navigation -> first message deliverable (same run)")
    header = (
        f"{'runs':>4} {'median':>8} {'p95':>8} {'range':>13} {'median/bare':>12} {'p95/bare':>9}"
        f" {'median/floor':>13}"
    )
    print(f"  {'':16} {header}")
    for kind, (label, _) in KINDS.items():
        if kind not in result:
            continue
        row = result[kind]
        ratios = ""
        if kind != "bare":
            ratios = f"{row['median_ratio']:>12.2f} {row['p95_ratio']:>9.2f}"
            if kind != "floor":
                ratios += f" {row['median_over_floor']:>13.2f}"
        span = f"{row['min_s'] * 1000:.0f}-{row['max_s'] * 1000:.0f} ms"
        print(
            f"  {label:16} {row['runs']:>4} {row['median_s'] * 1000:>5.0f} ms "
            f"{row['p95_s'] * 1000:>5.0f} ms {span:>13} {ratios}"
        )
    chart(result, RESULTS / "connect.png")
    print(f"  chart  {RESULTS / 'connect.png'}")


def chart(result: dict, path: Path) -> None:
    """Every run of each kind in order, with the medians as lines: a second mode shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4))
    for kind, (_, colour) in KINDS.items():
        if kind not in result:
            continue
        times_ms = [t * 1000 for t in result[kind]["all_s"]]
        runs = range(1, len(times_ms) + 1)
        axis.plot(runs, times_ms, "o", color=colour, label=kind, markersize=4)
        axis.axhline(result[kind]["median_s"] * 1000, color=colour, linewidth=1)
    axis.set_xlabel("run")
    axis.set_ylabel("ms")
    axis.set_ylim(bottom=0)
    axis.legend(fontsize=8)
    axis.set_title("time to connect: navigation -> first message deliverable", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
