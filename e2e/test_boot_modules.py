"""What the page loads to boot: the app's bundle (a handful of files) while it is current,
else every module of the static import graph with a modulepreload link each
(signal_server/app_bundle.py, module_graph.py). Checked against what Chromium loads."""

import re

from playwright.sync_api import expect

from e2e.server import running_server
from e2e.user import TIMEOUT_MS

PRELOAD_LINK = re.compile(rb'\s*<link rel="modulepreload"[^>]*>')
BOOT_SCRIPTS = """() => performance.getEntriesByType('resource')
  .filter((entry) => entry.initiatorType !== 'other')
  .map((entry) => new URL(entry.name).pathname)
  .filter((path) => path.endsWith('.js'))"""


def test_the_page_boots_from_the_bundle_when_it_is_current(new_user):
    ada = new_user("Ada")  # onboarding works: the bundle runs
    page = ada.page
    assert page.locator("#app-module").get_attribute("src") == "/static/bundle/app/main.js"
    loaded = page.evaluate(BOOT_SCRIPTS)
    app_modules = [path for path in loaded if path.startswith("/static/app/")]
    assert app_modules == ["/static/app/boot-guard.js"]
    assert len(loaded) <= 10, loaded


def test_without_the_bundle_every_module_of_the_boot_is_preloaded_and_nothing_else(browser):
    with running_server({"PARLEY_APP_BUNDLE": "0"}) as url:
        with_links = browser.new_context()
        without_links = browser.new_context()
        try:
            page = with_links.new_page()
            page.goto(url)
            # Some 150 modules, each a request of its own: seconds on a busy machine.
            expect(page.get_by_test_id("onboarding")).to_be_visible(timeout=TIMEOUT_MS)
            assert page.locator("#app-module").get_attribute("src") == "/static/app/main.js"
            preloaded = {
                link.get_attribute("href")
                for link in page.locator('link[rel="modulepreload"]').all()
                if link.get_attribute("href").startswith("/static/app/")
            }

            def strip_preloads(route):
                response = route.fetch()
                route.fulfill(response=response, body=PRELOAD_LINK.sub(b"", response.body()))

            bare = without_links.new_page()
            bare.route(f"{url}/", strip_preloads)
            bare.goto(url)
            expect(bare.get_by_test_id("onboarding")).to_be_visible(timeout=TIMEOUT_MS)
            assert bare.locator('link[rel="modulepreload"]').count() == 0
            loaded = {p for p in bare.evaluate(BOOT_SCRIPTS) if p.startswith("/static/app/")}
            assert "/static/app/files/merkle.js" in loaded  # deep in the graph
            assert "/static/app/ui/backup-dialog.js" not in loaded  # imported on demand only
            assert loaded == preloaded | {"/static/app/main.js", "/static/app/boot-guard.js"}
        finally:
            with_links.close()
            without_links.close()
