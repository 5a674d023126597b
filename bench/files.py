"""File transfer: Parley vs a bare data channel, in the same browser and the same run.

Reference: two pages (two browser contexts, so two renderer processes) join one
RTCPeerConnection whose offer and answer Python passes between them; the sender pushes
the same number of bytes over one ordered, reliable data channel with backpressure (a
high-water mark on bufferedAmount, resumed by 'bufferedamountlow'), from one reused
buffer of random bytes; the receiver counts bytes and checks a sequence number in each
message. Each run warms the connection up first (the first transfer on a new connection
is several times slower), then times 256 MiB from the first send to the last byte in.

Floor (bench/floor_channel.py): the reference plus the least a verified, stored transfer
needs (each chunk sealed with AES-GCM, hashed with SHA-256 and opened, then written to
OPFS by a worker), and nothing of Parley's: what a transfer that checks and keeps what
it receives can reach on this machine.

Parley: A offers a 256 MiB file of random bytes in a room (after a warm-up file) and B
downloads it, timed in B's page from B's first chunk request to the file shown as done.

Both sides sample the receiving page's JS heap (performance.memory.usedJSHeapSize, made
exact by --enable-precise-memory-info); for Parley, B's workers' heaps are added. The
target: Parley at least 0.9 of the reference's MB/s with B's peak heap under 100 MB. The
two halves alternate, run by run. Run with `make bench` or `python -m bench.files`;
`--sweep` first compares message sizes for the reference; `--persistent` puts every page
in a persistent profile of its own browser (bench/profiles.py). bench/README.md says more.
"""

import argparse
import json
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

from bench import cpu_threads
from bench.bare_channel import MAX_MESSAGE, MB, MIB, reference_run, sweep
from bench.connect import RESULTS
from bench.files_report import print_table, summary
from bench.floor_channel import floor_run
from bench.profiles import PersistentProfiles
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS

# The Parley UI this bench drives (see parley_transfer). Kept in one place so a rename in
# the app is a one-line change here.
FILE_INPUT = '[data-testid="file-input"]'  # <input type=file> in the composer
FILE_CARD = '[data-testid="file-card"]'  # one per file entry, with data-state
FILE_DOWNLOAD = '[data-testid="file-download"]'  # in the card, if downloads need a click
DONE_STATE = "done"

# --- Parley --------------------------------------------------------------------------


class NotAvailable(Exception):
    """The app has no file transfer to drive yet (or not the UI this bench expects)."""


# In B's context, before the app loads: note when B first sends `want` (type 3, §11 of
# docs/protocol.md) on a parley-file channel after the bench arms it. Only watches.
FIRST_WANT_JS = """(() => {
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (window.benchWantArmed && this.label === 'parley-file') {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : data instanceof ArrayBuffer ? new Uint8Array(data) : null;
      if (bytes && bytes[0] === 3) {
        window.benchWantArmed = false;
        window.benchFirstWantAt = performance.now();
      }
    }
    return send.call(this, data);
  };
})();"""

# In B's page: note when a new file card for `name` appears and when it reaches the done
# state, sampling the heap every 50 ms in between; times are in B's clock. The card it
# follows gets data-bench="watched", so Python clicks the download button of that one.
WATCH_TRANSFER_JS = """({ card, done, name }) => new Promise((resolve) => {
  const heap = () => performance.memory.usedJSHeapSize;
  const state = { shownAt: null, heapBefore: heap(), heapPeak: heap() };
  const sample = () => { state.heapPeak = Math.max(state.heapPeak, heap()); };
  const timer = setInterval(sample, 50);
  const before = new Set(document.querySelectorAll(card));
  for (const el of before) delete el.dataset.bench;
  window.benchFirstWantAt = null;
  window.benchWantArmed = true;
  const mine = () => [...document.querySelectorAll(card)]
    .find((el) => !before.has(el) && el.textContent.includes(name));
  const check = () => {
    const el = mine();
    if (!el) return;
    if (state.shownAt === null) state.shownAt = performance.now();
    el.dataset.bench = 'watched';
    if (el.dataset.state === done) {
      observer.disconnect();
      clearInterval(timer);
      sample();
      state.doneAt = performance.now();
      state.firstWantAt = window.benchFirstWantAt;
      resolve(state);
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
  });
  window.benchClickDownload = (button) => {
    const el = mine()?.querySelector(button);
    if (!el) return false;
    state.clickedAt = performance.now();
    el.click();
    return true;
  };
  check();
})"""

TRANSFER_TIMEOUT_S = 600


class WorkerHeaps:
    """The JS heap of the dedicated workers of one page's browser context, over CDP.

    performance.memory counts only the page's own heap, and the app writes files in a
    worker. Runtime.getHeapUsage splits the heap from ArrayBuffer backing stores, which
    performance.memory counts, so both are added here.
    """

    def __init__(self, browser, page):
        page_session = page.context.new_cdp_session(page)
        info = page_session.send("Target.getTargetInfo")["targetInfo"]
        page_session.detach()
        self.context_id = info["browserContextId"]
        self.page = page
        self.cdp = browser.new_browser_cdp_session()
        self.cdp.on("Target.receivedMessageFromTarget", self._received)
        self.attached: dict[str, str] = {}  # targetId -> sessionId
        self.replies: dict[int, dict] = {}
        self.next_id = 0
        self.peak = 0

    def _received(self, event):
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message.get("result") or {}

    def sample(self) -> int:
        targets = self.cdp.send("Target.getTargets")["targetInfos"]
        asked = []
        for target in targets:
            if target["type"] != "worker" or target["browserContextId"] != self.context_id:
                continue
            target_id = target["targetId"]
            if target_id not in self.attached:
                attach = {"targetId": target_id, "flatten": False}
                self.attached[target_id] = self.cdp.send("Target.attachToTarget", attach)[
                    "sessionId"
                ]
            self.next_id += 1
            request = {"id": self.next_id, "method": "Runtime.getHeapUsage"}
            message = {"sessionId": self.attached[target_id], "message": json.dumps(request)}
            self.cdp.send("Target.sendMessageToTarget", message)
            asked.append(self.next_id)
        for _ in range(50):  # the replies arrive as events while Playwright runs
            if all(ask in self.replies for ask in asked):
                break
            self.page.wait_for_timeout(10)
        usage = [self.replies.pop(ask, {}) for ask in asked]
        total = sum(u.get("usedSize", 0) + u.get("backingStorageSize", 0) for u in usage)
        self.peak = max(self.peak, total)
        return total

    def close(self):
        self.cdp.detach()


def write_random_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for at in range(0, size, 4 * MIB):
            out.write(os.urandom(min(4 * MIB, size - at)))


def parley_transfer(browser, url: str, big: Path, warm: Path, cpu: bool = False) -> dict:
    """A offers the file `big` in a new room and B downloads it; returns MB/s and heap.

    The file `warm` goes first on the same link (the first transfer on a connection is
    slower). Timed in B's page from B's first `want` (or, if that is not seen, B's click
    on the download button, or the file card shown) to the card's data-state "done".
    Raises NotAvailable when the app has no file input.
    """
    from e2e.user import User

    contexts = [browser.new_context(), browser.new_context()]
    try:
        alice = User(contexts[0].new_page(), url)
        alice.onboard("Alice")
        link = alice.create_room("Files")
        if alice.page.locator(FILE_INPUT).count() == 0:
            raise NotAvailable(f"no {FILE_INPUT} in the composer")
        contexts[1].add_init_script(FIRST_WANT_JS)
        bob = User(contexts[1].new_page(), url)
        bob.onboard("Bob")
        bob.open_invite(link)
        bob.wait_for_peers(1)
        alice.wait_for_peers(1)
        one_file(alice, bob, warm)
        measured = one_file(alice, bob, big, cpu)
        size = big.stat().st_size
        return {
            **({"cpu": measured["cpu"]} if cpu else {}),
            "bytes": size,
            "seconds": round(measured["seconds"], 3),
            "mb_s": round(size / measured["seconds"] / MB, 2),
            "timed_from": measured["timed_from"],
            "heap_before_mb": round(measured["heapBefore"] / MB, 2),
            "page_heap_peak_mb": round(measured["heapPeak"] / MB, 2),
            "worker_heap_peak_mb": round(measured["workerHeapPeak"] / MB, 2),
            # an upper bound: the two peaks may not be at the same moment
            "heap_peak_mb": round((measured["heapPeak"] + measured["workerHeapPeak"]) / MB, 2),
        }
    finally:
        for context in contexts:
            context.close()


def one_file(alice, bob, path: Path, cpu: bool = False) -> dict:
    """A picks `path` in the composer; B's card for it is followed until done (with the
    CPU seconds from B's download click to done, thread by thread, if `cpu`)."""
    watch = {"card": FILE_CARD, "done": DONE_STATE, "name": path.name}
    bob.page.evaluate(
        f"(watch) => {{ window.benchTransfer = ({WATCH_TRANSFER_JS})(watch); }}", watch
    )
    alice.page.locator(FILE_INPUT).set_input_files(path)
    card = bob.page.locator(f'{FILE_CARD}[data-bench="watched"]')
    try:
        expect(card).to_have_count(1, timeout=120_000)
    except AssertionError as error:
        raise NotAvailable(f"no {FILE_CARD} for {path.name} at the receiver") from error
    before = cpu_threads.snapshot() if cpu else None
    bob.page.evaluate("(button) => window.benchClickDownload(button)", FILE_DOWNLOAD)
    bob.page.evaluate("() => window.benchTransfer.then((state) => { window.benchDone = state; })")
    workers = WorkerHeaps(bob.page.context.browser, bob.page)
    deadline = time.monotonic() + TRANSFER_TIMEOUT_S
    try:
        while (state := bob.page.evaluate("() => window.benchDone ?? null")) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path.name} not done after {TRANSFER_TIMEOUT_S} s")
            workers.sample()
            bob.page.wait_for_timeout(100)
        workers.sample()
    finally:
        workers.close()
    if before is not None:
        state["cpu"] = dict(
            cpu_threads.by_thread(cpu_threads.difference(before, cpu_threads.snapshot()))
        )
    state["workerHeapPeak"] = workers.peak
    for key, label in [
        ("firstWantAt", "B's first want"),
        ("clickedAt", "download click"),
        ("shownAt", "card shown"),
    ]:
        if state.get(key) is not None:
            state["timed_from"] = label
            state["seconds"] = (state["doneAt"] - state[key]) / 1000
            return state
    raise AssertionError("unreachable: the card was shown")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=256, help="bytes to send, in MiB")
    parser.add_argument("--warmup-mib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--message-size", type=int, default=MAX_MESSAGE)
    parser.add_argument("--high-mib", type=float, default=4, help="bufferedAmount high-water")
    parser.add_argument("--low-mib", type=float, default=1, help="bufferedamountlow threshold")
    parser.add_argument("--sweep", action="store_true", help="compare message sizes first")
    parser.add_argument("--no-parley", action="store_true", help="the reference only")
    parser.add_argument(
        "--cpu", action="store_true", help="CPU per MB of each timed transfer, by thread (Linux)"
    )
    parser.add_argument(
        "--persistent",
        action="store_true",
        help="each page in a persistent profile of its own browser, as people use it",
    )
    args = parser.parse_args()
    if not 0 < args.message_size <= MAX_MESSAGE:
        parser.error(f"--message-size must be 1..{MAX_MESSAGE}")
    total, warmup = args.mib * MIB, args.warmup_mib * MIB
    high, low = int(args.high_mib * MIB), int(args.low_mib * MIB)
    result = {
        "bytes": total,
        "warmup_bytes": warmup,
        "message_size": args.message_size,
        "backpressure": f"high {args.high_mib:g} MiB, low {args.low_mib:g} MiB",
    }
    launch_args = [*CHROMIUM_ARGS, "--enable-precise-memory-info"]
    with ExitStack() as stack:
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=launch_args)
        # Where the pages live: private contexts of this browser, or profiles of their own.
        people = browser
        if args.persistent:
            people = PersistentProfiles(playwright, stack, launch_args)
            result["profiles"] = "persistent, one browser each"
        if args.sweep:
            result["sweep"] = sweep(people, 64 * MIB, warmup, high, low)
            print("message size sweep (64 MiB each, two rounds, one warmed-up connection)")
            for row in result["sweep"]:
                rates = ", ".join(f"{rate:.1f}" for rate in row["mb_s"])
                print(f"  {row['message_size']:>7} B  {rates} MB/s")
        parley = None if args.no_parley else Parley(stack, total, warmup)
        reference_runs, floor_runs, parley_runs = [], [], []
        # Interleaved, so that a busy machine slows every half alike.
        for _ in range(args.runs):
            size = args.message_size
            reference_runs.append(reference_run(people, total, warmup, size, high, low, args.cpu))
            if parley:
                floor_url = f"{parley.url}/bench/floor"
                floor_runs.append(
                    floor_run(people, floor_url, total, warmup, size, high, low, args.cpu)
                )
            if parley and parley.error is None and (run := parley.run(people, args.cpu)):
                parley_runs.append(run)
        result["reference"] = summary(reference_runs)
        if floor_runs:
            result["floor"] = summary(floor_runs)
        if parley is None:
            result["parley"] = {"status": "skipped", "error": "--no-parley"}
        elif parley.error:
            result["parley"] = parley.error
        else:
            result["parley"] = summary(parley_runs)
        browser.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "files.json").write_text(json.dumps(result, indent=2))
    print_table(result)


class Parley:
    """A server and the files to send, kept for every run; the first failure ends it."""

    def __init__(self, stack: ExitStack, total: int, warmup: int):
        from e2e.server import running_server

        self.url = stack.enter_context(running_server())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-bench-")))
        self.big, self.warm = tmp / "parley-bench.bin", tmp / "parley-warm-up.bin"
        write_random_file(self.big, total)
        write_random_file(self.warm, warmup)
        self.error = None

    def run(self, browser, cpu: bool = False) -> dict | None:
        try:
            return parley_transfer(browser, self.url, self.big, self.warm, cpu)
        except NotAvailable as reason:
            self.error = {"status": "not available yet", "error": str(reason)}
        except (PlaywrightError, PlaywrightTimeout, AssertionError) as error:
            first_line = str(error).strip().splitlines()[0]
            self.error = {"status": "failed", "error": f"{type(error).__name__}: {first_line}"}
        return None


if __name__ == "__main__":
    main()
