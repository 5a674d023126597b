"""Vendored libraries are loaded only if they are byte for byte the pinned build:
a changed file (a compromised server or cache) stops the app instead of running."""

import json
from pathlib import Path

from playwright.sync_api import expect

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def test_vendor_files_are_preloaded_with_their_integrity_hashes(new_user):
    ada = new_user("Ada")
    links = ada.page.locator('link[rel="modulepreload"]')
    pinned = json.loads((VENDOR / "integrity.json").read_text())
    seen = {
        link.get_attribute("href").rsplit("/", 1)[1]: link.get_attribute("integrity")
        for link in links.all()
        if "/static/vendor/" in link.get_attribute("href")
    }
    assert seen == pinned
    assert set(pinned) >= {"libsodium.js", "idb.js", "emoji-data.js"}


def test_a_tampered_vendor_file_stops_the_app(new_user):
    eve = new_user()

    def tamper(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.body() + b"\n// tampered\n")

    eve.page.route("**/static/vendor/libsodium.js", tamper)
    eve.open()
    expect(eve.page.locator("#app")).to_have_attribute("data-state", "failed")
    expect(eve.page.locator("#boot-message")).to_contain_text("could not load safely")
    expect(eve.page.get_by_test_id("onboarding")).to_have_count(0)
