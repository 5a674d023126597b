"""The installable app (DESIGN.md §1 item 8): manifest and service worker in place with no
installability errors, the app opening offline with its history after one visit, and a
new version announced instead of mixed in."""

import json
import re
import shutil
import struct

from playwright.sync_api import expect

from e2e.server import ROOT, HeldPort, running_server
from e2e.user import User

# The service worker that controls the page, and the version it serves (sw/app-shell.js).
CONTROLLER_SCRIPT = "() => navigator.serviceWorker.controller?.scriptURL ?? null"
SHELL_VERSION = """() => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data.version);
    navigator.serviceWorker.controller.postMessage({ type: 'version' }, [channel.port2]);
})"""
SHELL_CACHES = (
    "async () => (await caches.keys()).filter((name) => name.startsWith('parley-shell-'))"
)


def wait_until_controlled(user: User):
    """The first visit installs the worker, which precaches the shell and claims the page."""
    user.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return user.page.evaluate(SHELL_VERSION)


def served_version(page, base_url: str) -> str:
    script = page.request.get(f"{base_url}/sw.js").text()
    return re.search(r'"version": "([0-9a-f]+)"', script).group(1)


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def test_manifest_and_service_worker_make_the_app_installable(persistent_user, server_url):
    ada = persistent_user("ada", "Ada")
    page = ada.page
    expect(page.locator('link[rel="manifest"]')).to_have_attribute("href", "/manifest.webmanifest")

    response = page.request.get(f"{server_url}/manifest.webmanifest")
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Parley" and manifest["short_name"] == "Parley"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] and manifest["background_color"]
    for icon in manifest["icons"]:
        width, height = png_size(page.request.get(server_url + icon["src"]).body())
        assert icon["sizes"] == f"{width}x{height}", icon
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes

    version = wait_until_controlled(ada)
    assert page.evaluate(CONTROLLER_SCRIPT) == f"{server_url}/sw.js"
    registration_scope = page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistration()).scope"
    )
    assert registration_scope == f"{server_url}/"
    assert version == served_version(page, server_url)
    page.reload()
    # Controlled from its first request on: the page itself came from the worker.
    assert page.evaluate(CONTROLLER_SCRIPT) == f"{server_url}/sw.js"

    # Chromium reports installability only for a persistent profile (this one).
    cdp = ada.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], json.dumps(errors, indent=2)
    assert cdp.send("Page.getAppManifest")["errors"] == []

    # The browser offers installation: the app shows its own button for it.
    expect(page.get_by_test_id("install-card")).to_be_visible()
    expect(page.get_by_test_id("install-button")).to_have_text("Install")
    assert ada.console_errors == []


def test_after_one_visit_the_app_opens_offline_with_its_history_and_reconnects(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Offline tea")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("Hello from Ada")
    bob.expect_message("Hello from Ada", author="Ada")
    bob.send("Hi Ada, Bob here")
    ada.expect_message("Hi Ada, Bob here", author="Bob")
    wait_until_controlled(ada)

    ada.page.context.set_offline(True)
    ada.page.reload()
    expect(ada.page.get_by_test_id("my-name")).to_have_text("Ada")
    expect(ada.page.get_by_test_id("room-name")).to_have_text("Offline tea")
    ada.expect_message("Hello from Ada", author="You")
    ada.expect_message("Hi Ada, Bob here", author="Bob")
    banner = ada.page.get_by_test_id("offline-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("messages will be sent when you reconnect", ignore_case=True)
    expect(ada.page.get_by_test_id("server-state")).not_to_have_attribute("data-state", "online")

    ada.send("Written offline")
    expect(ada.message("Written offline")).to_have_count(1)

    ada.page.context.set_offline(False)
    expect(ada.page.get_by_test_id("server-state")).to_have_attribute("data-state", "online")
    expect(banner).to_be_hidden()
    ada.wait_for_peers(1)
    bob.expect_message("Written offline", author="Ada")
    bob.send("Welcome back")
    ada.expect_message("Welcome back", author="Bob")


def copy_of_the_site(destination):
    """What `manage.py serve` needs, in a folder this test may change."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("parley", "signal_server", "templates", "static"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=ignore)
    shutil.copy2(ROOT / "manage.py", destination / "manage.py")
    return destination


def test_a_new_version_is_announced_and_reload_switches_to_it(browser, tmp_path):
    site = copy_of_the_site(tmp_path / "site")
    port = HeldPort()
    context = browser.new_context()
    try:
        with running_server(root=site, port=port) as url:
            ada = User(context.new_page(), url)
            ada.onboard("Ada")
            first = wait_until_controlled(ada)
            assert first == served_version(ada.page, url)

        # A deploy: one stylesheet rule changes, the server restarts at the same origin.
        with (site / "static" / "app" / "style.css").open("a") as css:
            css.write("\n.deployed-later { color: inherit; }\n")
        with running_server(root=site, port=port) as url:
            second = served_version(ada.page, url)
            assert second != first

            # Opening the app again: the old version still serves this page, and the new
            # one, found by the browser's update check, waits to be chosen.
            ada.page.reload()
            expect(ada.page.get_by_test_id("update-banner")).to_be_visible()
            expect(ada.page.get_by_test_id("update-banner")).to_contain_text(
                "A new version of Parley is ready"
            )
            assert ada.page.evaluate(SHELL_VERSION) == first
            expect(ada.page.get_by_test_id("my-name")).to_have_text("Ada")

            with ada.page.expect_navigation():
                ada.page.get_by_test_id("update-reload").click()
            expect(ada.page.get_by_test_id("my-name")).to_have_text("Ada")
            assert ada.page.evaluate(SHELL_VERSION) == second
            assert ada.page.evaluate(SHELL_CACHES) == [f"parley-shell-{second}"]
            expect(ada.page.get_by_test_id("update-banner")).to_be_hidden()
            css_rules = ada.page.evaluate(
                "() => [...document.styleSheets].flatMap((s) => [...s.cssRules])"
                ".some((rule) => rule.selectorText === '.deployed-later')"
            )
            assert css_rules, "the reloaded page runs the new version's files"
    finally:
        context.close()
        port.close()
