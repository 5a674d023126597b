"""Catch-up: how long a member who joins late takes to receive a room's history from
one peer. The writer fills a room with N messages; a new member opens the invite link
and the clock runs until all N are on its screen (decrypted, verified, stored, shown).
Run with `make bench` or `python -m bench.catchup --entries 1000`.
"""

import argparse
import json
import time

from playwright.sync_api import expect, sync_playwright

from bench.connect import RESULTS
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e.server import running_server
from e2e.user import User

WRITE_SCRIPT = """async (count) => {
  const input = document.querySelector('[data-testid=composer]');
  for (let i = 0; i < count; i++) {
    input.value = `history message ${i}`;
    input.form.requestSubmit();
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        writer = User(browser.new_context().new_page(), url)
        writer.onboard("Writer")
        link = writer.create_room("Archive")
        started = time.perf_counter()
        writer.page.evaluate(WRITE_SCRIPT, args.entries)
        expect(writer.page.get_by_test_id("messages")).to_have_attribute(
            "data-total", str(args.entries), timeout=300_000
        )
        write_s = time.perf_counter() - started

        reader = User(browser.new_context().new_page(), url)
        reader.onboard("Reader")
        opened = time.perf_counter()
        reader.page.goto(link)
        reader.wait_for_peers(1)
        linked = time.perf_counter()
        expect(reader.page.get_by_test_id("messages")).to_have_attribute(
            "data-total", str(args.entries), timeout=300_000
        )
        done = time.perf_counter()
        expect(reader.message(f"history message {args.entries - 1}")).to_have_count(1)
        browser.close()

    result = {
        "entries": args.entries,
        "writer_append_s": round(write_s, 3),
        "link_ready_s": round(linked - opened, 3),
        "catch_up_after_link_s": round(done - linked, 3),
        "invite_to_all_shown_s": round(done - opened, 3),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "catchup.json").write_text(json.dumps(result, indent=2))
    print(f"catch-up of {args.entries} entries from one peer")
    print(f"  link ready after invite opened  {result['link_ready_s'] * 1000:.0f} ms")
    print(f"  all entries shown after link    {result['catch_up_after_link_s'] * 1000:.0f} ms")
    print(f"  invite opened -> all shown      {result['invite_to_all_shown_s'] * 1000:.0f} ms")
    print(f"  (writer appended them in        {result['writer_append_s']:.1f} s)")


if __name__ == "__main__":
    main()
