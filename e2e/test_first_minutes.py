"""What a new user meets in the first minutes (issue 17): each test here failed before
its fix."""

import re

from playwright.sync_api import expect

from e2e.user import TIMEOUT_MS


def test_a_new_user_without_rooms_is_shown_how_to_start(new_user):
    ada = new_user("Ada")
    empty = ada.page.get_by_test_id("no-room")
    expect(empty).to_contain_text("Private rooms, peer to peer")
    ada.page.reload()
    expect(empty).to_contain_text("Private rooms, peer to peer")
    empty.get_by_role("button", name="Create a room").click()
    expect(ada.page.get_by_test_id("new-room-dialog-input")).to_be_visible()


def test_a_message_over_the_limit_is_kept_and_refused_with_its_count(new_user):
    ada = new_user("Ada")
    ada.create_room("Long words")
    composer = ada.page.get_by_test_id("composer")
    count = ada.page.get_by_test_id("composer-count")
    long_text = "a" * 4_100 + " the end"
    composer.fill(long_text)  # as a paste: the browser must not cut it
    expect(count).to_have_text(
        "4,108 / 4,000 characters: too long to send. Shorten it, or send it as a file."
    )
    expect(ada.page.get_by_test_id("send")).to_be_disabled()
    composer.press("Enter")
    expect(composer).to_have_value(long_text)
    expect(ada.page.get_by_test_id("message")).to_have_count(0)

    fitting = "b" * 3_990 + " the end"
    composer.fill(fitting)
    expect(count).to_have_text("3,998 / 4,000 characters")
    composer.press("Enter")
    ada.expect_message(fitting)
    expect(count).to_be_hidden()
    # Editing it shows its count; cancelling the edit clears the composer and the count.
    composer.press("ArrowUp")
    expect(count).to_have_text("3,998 / 4,000 characters")
    composer.press("Escape")
    expect(composer).to_have_value("")
    expect(count).to_be_hidden()


def test_a_server_without_push_says_so_before_the_switch_is_touched(new_user):
    ada = new_user("Ada")
    state = ada.page.get_by_test_id("notifications-state")
    expect(state).to_have_attribute("data-state", "unavailable")
    expect(state).to_have_text("This server does not send push notifications.")
    toggle = ada.page.get_by_test_id("notifications-toggle")
    expect(toggle).to_be_disabled()
    expect(toggle).not_to_be_checked()


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_bad_invite_link_is_named_without_covering_the_composer(new_user):
    ada = new_user("Ada")
    ada.create_room("First")
    ada.create_room("Second")
    notice = ada.page.get_by_test_id("notice")

    ada.page.goto(f"{ada.server_url}/#join=not-a-room-key")  # damaged when copied
    expect(notice).to_be_visible()
    expect(notice).to_have_text("This invite link is damaged: ask for a new one.")
    composer = ada.page.get_by_test_id("composer")
    assert not boxes_overlap(notice.bounding_box(), composer.bounding_box())
    # Another room: the notice was about where Ada was, it does not follow her.
    ada.page.get_by_test_id("room-item").filter(has_text="First").click()
    expect(ada.page.get_by_test_id("room-name")).to_have_text("First")
    expect(notice).to_be_hidden()

    ada.page.goto(f"{ada.server_url}/#see-you-at-noon")  # not an invite at all
    expect(notice).to_be_visible()
    expect(notice).to_have_text("This link is not a Parley invite: ask for the room’s invite link.")
    assert "#" not in ada.page.url

    # Opened in a fresh page load (a new tab), where the newest room opens right after.
    ada.page.goto("about:blank")
    ada.page.goto(f"{ada.server_url}/#join=not-a-room-key")
    expect(ada.page.get_by_test_id("room-name")).to_be_visible()
    expect(notice).to_be_visible()
    expect(notice).to_have_text("This invite link is damaged: ask for a new one.")


def test_a_name_already_taken_blocks_nobody_and_can_be_changed(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Names")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    other_bob = new_user("Bob")
    other_bob.open_invite(link)
    for user in (ada, bob, other_bob):
        user.wait_for_peers(2)

    # Nobody gets a modal, nobody's composer is locked; the room says it plainly.
    notice = ada.page.get_by_test_id("name-clash")
    expect(notice).to_contain_text("Two people in this room are called “Bob”")
    two_bobs = ada.page.get_by_test_id("peer").filter(has_text=re.compile(r"Bob \([\w-]{4}\)"))
    expect(two_bobs).to_have_count(2)
    own = other_bob.page.get_by_test_id("name-clash")
    expect(own).to_contain_text("Someone else in this room is also called “Bob”")
    for user in (ada, bob, other_bob):
        expect(user.page.get_by_test_id("key-change-warning")).to_have_count(0)
        expect(user.page.get_by_test_id("composer")).to_be_enabled()
    other_bob.send("hello, I am the other Bob")
    ada.expect_message("hello, I am the other Bob")

    own.get_by_test_id("name-clash-rename").click()
    other_bob.page.get_by_test_id("name-dialog-input").fill("Robert")
    other_bob.page.get_by_test_id("name-dialog-input").press("Enter")
    for user in (ada, bob, other_bob):
        expect(user.page.get_by_test_id("name-clash")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(ada.page.get_by_test_id("peer").filter(has_text="Robert")).to_have_count(1)
    expect(ada.page.get_by_test_id("peer").filter(has_text="Bob")).to_have_count(1)
    expect(ada.page.get_by_test_id("peer").filter(has_text="Bob (")).to_have_count(0)


def test_rooms_come_by_latest_activity_and_the_title_counts_unread(new_user):
    ada = new_user("Ada")
    link = ada.create_room("First")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.create_room("Second")
    rooms = ada.page.get_by_test_id("room-item")
    expect(rooms.first).to_contain_text("Second")
    expect(ada.page).to_have_title("Parley")

    bob.send("news in the first room")
    expect(rooms.first).to_contain_text("First", timeout=TIMEOUT_MS)
    expect(rooms.first).to_contain_text("news in the first room")
    expect(rooms.first.get_by_test_id("room-item-time")).to_have_text(re.compile(r"\d\d:\d\d"))
    expect(ada.page).to_have_title("(1) Parley")
    rooms.first.click()
    ada.expect_message("news in the first room")
    expect(ada.page).to_have_title("Parley")
    # Who joined is a line in the history, once there is a conversation to show it in.
    # Bob's join waited for the room's history: it comes after Ada's.
    expect(ada.page.get_by_test_id("join-event")).to_have_text(
        [re.compile(r"^👋You joined\d"), re.compile(r"^👋Bob joined\d")]
    )


# Chromium on Linux has no system share sheet (no navigator.share); this stands in for
# one, to see what the invite hands to it.
RECORD_SHARES = "navigator.share = async (data) => { (window.shared ??= []).push(data); };"


def test_an_invite_names_its_room_and_comes_as_a_qr_code_and_to_the_share_sheet(new_user):
    ada = new_user("Ada")
    assert not ada.page.evaluate("'share' in navigator")
    link = ada.create_room("Weekend plans")  # its invite panel opens with it
    expect(ada.page.get_by_test_id("invite-share")).to_have_count(0)
    ada.page.get_by_test_id("invite-qr-toggle").click()
    qr = ada.page.locator(".invite-qr canvas.qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("data-qr-text", link)

    sharer = new_user()
    sharer.page.add_init_script(RECORD_SHARES)
    sharer.onboard("Cy")
    sharer.open_invite(link)
    sharer.page.get_by_test_id("invite-button").click()
    sharer.page.get_by_test_id("invite-share").click()
    shared = sharer.page.evaluate("window.shared")
    assert shared == [{"title": "Join Weekend plans on Parley", "url": link}], shared

    bob = new_user()
    bob.page.goto(link)
    expect(bob.page.get_by_test_id("onboarding-invite")).to_have_text(
        "You are invited to join “Weekend plans”. Choose the name the people there will see."
    )
    bob.page.get_by_test_id("name-input").fill("Bob")
    submit = bob.page.get_by_test_id("name-submit")
    expect(submit).to_have_text("Join “Weekend plans”")
    submit.click()
    expect(bob.page.get_by_test_id("room-name")).to_have_text("Weekend plans")


def test_a_room_with_nobody_else_online_says_what_that_means(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Quiet")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.send("I will be away")
    ada.expect_message("I will be away")
    alone = ada.page.get_by_test_id("room-alone")
    expect(alone).to_be_hidden()
    bob.close()
    expect(alone).to_have_text(
        "Nobody else in this room is online. What you send waits on this device until someone"
        " is, and what others write meanwhile reaches you once they, or anyone who has it,"
        " come online.",
        timeout=TIMEOUT_MS,
    )
    ada.send("see you later")
    expect(ada.message("see you later").get_by_test_id("delivery")).to_have_text("Sent")


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def test_on_a_phone_the_rooms_come_first_and_a_long_press_shows_a_messages_actions(new_user):
    ada = new_user("Ada", **PHONE)
    ada.create_room("Pocket")
    ada.send("press me")
    ada.page.get_by_role("button", name="Back to rooms").click()
    # The room list comes first: the ID and settings are folded away.
    expect(ada.page.get_by_test_id("room-item")).to_be_in_viewport()
    expect(ada.page.get_by_test_id("device-settings")).not_to_have_attribute("open", "")
    expect(ada.page.get_by_test_id("notifications-toggle")).to_be_hidden()
    ada.page.get_by_test_id("room-item").click()

    message = ada.message("press me")
    actions = message.locator(".message-actions")
    expect(actions).to_be_hidden()
    box = message.locator(".bubble").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    touch = ada.page.context.new_cdp_session(ada.page)
    point = [{"x": x, "y": y}]
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point})
    expect(actions).to_be_visible()
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(actions.get_by_role("button", name="Reply")).to_be_visible()
    # A tap elsewhere folds them again.
    ada.page.get_by_test_id("room-name").tap()
    expect(actions).to_be_hidden()
