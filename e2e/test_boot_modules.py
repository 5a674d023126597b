"""The page asks for every module of its boot at once: one modulepreload link per module
main.js reaches through static imports (signal_server/module_graph.py). A module the
links missed would load a round trip later; one they named needlessly would be fetched
for nothing. Checked against what Chromium itself loads when the links are taken out."""

import re

from playwright.sync_api import expect

PRELOAD_LINK = re.compile(rb'\s*<link rel="modulepreload"[^>]*>')
BOOT_SCRIPTS = """() => performance.getEntriesByType('resource')
  .filter((entry) => entry.initiatorType !== 'other')
  .map((entry) => new URL(entry.name).pathname)
  .filter((path) => path.startsWith('/static/app/') && path.endsWith('.js'))"""


def test_every_module_of_the_boot_is_preloaded_and_nothing_else(browser, server_url):
    with_links = browser.new_context()
    without_links = browser.new_context()
    try:
        page = with_links.new_page()
        page.goto(server_url)
        expect(page.get_by_test_id("onboarding")).to_be_visible()
        preloaded = {
            link.get_attribute("href")
            for link in page.locator('link[rel="modulepreload"]').all()
            if link.get_attribute("href").startswith("/static/app/")
        }

        def strip_preloads(route):
            response = route.fetch()
            route.fulfill(response=response, body=PRELOAD_LINK.sub(b"", response.body()))

        bare = without_links.new_page()
        bare.route(f"{server_url}/", strip_preloads)
        bare.goto(server_url)
        expect(bare.get_by_test_id("onboarding")).to_be_visible()
        assert bare.locator('link[rel="modulepreload"]').count() == 0
        loaded = set(bare.evaluate(BOOT_SCRIPTS))
        assert "/static/app/files/merkle.js" in loaded  # deep in the graph
        assert "/static/app/ui/backup-dialog.js" not in loaded  # imported on demand only
        assert loaded == preloaded | {"/static/app/main.js", "/static/app/boot-guard.js"}
    finally:
        with_links.close()
        without_links.close()
