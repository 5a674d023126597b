"""Room settings (issue 20, docs/protocol.md §7 "Room settings"): the founder describes the
room, lets only moderators post, then turns on slow mode; members read the rules, their
composer says what holds them back, and every browser refuses what a client that
ignores the rules writes (a Python peer: posts while only moderators may, two posts a
second apart under slow mode). Checked after an ordered barrier on the peer's link."""

import re
import time

from playwright.sync_api import expect

from e2e.test_moderation import Writer, barrier
from e2e.user import TIMEOUT_MS

LINK_TIMEOUT_S = 30


def open_settings(user):
    user.page.get_by_test_id("room-menu").locator("summary").click()
    user.page.get_by_test_id("room-settings").click()
    dialog = user.page.get_by_test_id("room-settings-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_only_moderators_and_slow_mode_are_enforced_by_every_receiver(new_user, python_peer):
    ada = new_user("Ada")
    link = ada.create_room("Announcements")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    pat_peer = python_peer(link, "Pat")
    pat_peer.start()
    pat_peer.wait_ready(2, timeout=LINK_TIMEOUT_S)
    pat = Writer(pat_peer)
    pat.write({"type": "join", "name": "Pat"})
    ada.send("Welcome")  # history lines show once someone has said something
    bob.expect_message("Welcome", author="Ada")

    # Only the admin changes the rules: Bob reads them, and may not rename the room.
    bob.page.get_by_test_id("room-menu").locator("summary").click()
    expect(bob.page.get_by_test_id("room-settings")).to_have_text("About this room")
    expect(bob.page.get_by_test_id("room-rename")).to_be_hidden()
    bob.page.keyboard.press("Escape")

    dialog = open_settings(ada)
    expect(dialog.get_by_role("heading")).to_have_text("Room settings")
    dialog.get_by_test_id("room-description-input").fill("News from the board, nothing else")
    dialog.get_by_test_id("room-posting").select_option("moderators")
    dialog.get_by_test_id("room-settings-save").click()
    expect(bob.page.get_by_test_id("settings-event")).to_contain_text(
        "Ada changed the room’s settings", timeout=TIMEOUT_MS
    )
    expect(bob.page.get_by_test_id("composer")).to_be_disabled()
    expect(bob.page.get_by_test_id("composer")).to_have_attribute(
        "placeholder", "Only moderators post here"
    )
    expect(bob.page.get_by_test_id("peer-summary")).to_contain_text("moderators post")
    about = open_settings(bob)
    expect(about.get_by_test_id("room-description")).to_have_text(
        "News from the board, nothing else"
    )
    expect(about.get_by_test_id("room-posting-value")).to_have_text("Admins and moderators only")
    expect(about.get_by_test_id("room-staff")).to_contain_text("Admins: Ada")
    about.get_by_test_id("room-settings-save").click()  # "Close"

    # Pat, who has seen the change (his clock is past it), posts anyway: no browser
    # shows it. The admin still posts.
    pat.observe(barrier(pat_peer, ada))
    pat.write({"type": "message", "text": "sneaky post"})
    ada.send("Board meeting on Monday")
    for user in (ada, bob):
        barrier(pat_peer, user)
        expect(user.message("sneaky post")).to_have_count(0)
        user.expect_message("Board meeting on Monday")

    # Everyone may post again, one message per 30 seconds each.
    dialog = open_settings(ada)
    dialog.get_by_test_id("room-posting").select_option("everyone")
    dialog.get_by_test_id("room-slow-mode").select_option("30")
    dialog.get_by_test_id("room-settings-save").click()
    expect(bob.page.get_by_test_id("peer-summary")).to_contain_text(
        "slow mode 30", timeout=TIMEOUT_MS
    )
    expect(bob.page.get_by_test_id("composer")).to_be_enabled()
    bob.send("first from Bob")
    ada.expect_message("first from Bob", author="Bob")
    expect(bob.page.get_by_test_id("composer")).to_be_disabled()
    expect(bob.page.get_by_test_id("composer")).to_have_attribute(
        "placeholder", re.compile(r"Slow mode: \d+\ss to go")
    )

    # Pat writes twice, a second apart: the first counts, the second no browser shows.
    pat.observe(barrier(pat_peer, ada))
    now = int(time.time() * 1000)
    pat.write({"type": "message", "text": "pat one", "ts": now})
    pat.write({"type": "message", "text": "pat two", "ts": now + 1000})
    ada.send("admins are exempt")
    ada.send("twice over")
    for user in (ada, bob):
        barrier(pat_peer, user)
        user.expect_message("pat one")
        expect(user.message("pat two")).to_have_count(0)
        user.expect_message("twice over")
