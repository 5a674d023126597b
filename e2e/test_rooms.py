"""A room's life (issue 17, rooms): who is in it, a name for everyone, leaving and coming
back by the same invite."""

import re

from playwright.sync_api import expect

from e2e.user import TIMEOUT_MS


def open_menu_item(user, testid):
    user.page.get_by_test_id("room-menu").locator("summary").click()
    user.page.get_by_test_id(testid).click()


def test_members_rename_leave_and_come_back(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Book club")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.send("hi")
    ada.expect_message("hi")

    # The menu opens, the arrows walk it, and Escape closes it without leaving the room.
    ada.page.get_by_test_id("room-menu").locator("summary").click()
    expect(ada.page.get_by_test_id("room-leave")).to_be_visible()
    ada.page.keyboard.press("ArrowDown")
    expect(ada.page.get_by_test_id("room-members")).to_be_focused()
    ada.page.keyboard.press("ArrowUp")
    expect(ada.page.get_by_test_id("room-leave")).to_be_focused()
    ada.page.keyboard.press("Escape")
    expect(ada.page.get_by_test_id("room-leave")).to_be_hidden()
    expect(ada.page.get_by_test_id("room-menu").locator("summary")).to_be_focused()

    open_menu_item(ada, "room-members")
    members = ada.page.get_by_test_id("members-dialog")
    expect(members.get_by_test_id("member")).to_have_count(2)
    expect(members.get_by_test_id("member").first).to_contain_text("Ada (you)")
    expect(members.get_by_test_id("member").nth(1)).to_contain_text("Bob")
    expect(members.get_by_test_id("member").nth(1)).to_have_attribute("data-online", "true")
    ada.page.keyboard.press("Escape")
    expect(members).to_have_count(0)

    # A new name, for everyone, with a line in each history.
    open_menu_item(ada, "room-rename")
    ada.page.get_by_test_id("rename-dialog-input").fill("Reading circle")
    ada.page.get_by_test_id("rename-dialog-input").press("Enter")
    for user in (ada, bob):
        expect(user.page.get_by_test_id("room-name")).to_have_text(
            "Reading circle", timeout=TIMEOUT_MS
        )
        expect(user.page.get_by_test_id("room-item")).to_contain_text("Reading circle")
    expect(ada.page.get_by_test_id("rename-event")).to_contain_text(
        "You renamed the room to “Reading circle”"
    )
    expect(bob.page.get_by_test_id("rename-event")).to_contain_text(
        "Ada renamed the room to “Reading circle”"
    )

    # Bob leaves: his room list is empty, Ada's history says so.
    open_menu_item(bob, "room-leave")
    bob.page.get_by_test_id("leave-dialog").get_by_role("button", name="Leave").click()
    expect(bob.page.get_by_test_id("room-item")).to_have_count(0)
    expect(bob.page.get_by_test_id("no-room")).to_be_visible()
    expect(ada.page.get_by_test_id("leave-event")).to_contain_text("Bob left", timeout=TIMEOUT_MS)
    open_menu_item(ada, "room-members")
    bob_row = ada.page.get_by_test_id("member").filter(has_text="Bob")
    expect(bob_row.get_by_test_id("member-state")).to_have_text("left")
    ada.page.keyboard.press("Escape")

    ada.send("while Bob was away")

    # The old invite brings him back, with the history and the room's new name.
    bob.page.reload()
    expect(bob.page.get_by_test_id("room-item")).to_have_count(0)
    bob.open_invite(link)
    expect(bob.page.get_by_test_id("room-name")).to_have_text("Reading circle")
    bob.expect_message("hi")
    expect(ada.page.get_by_test_id("join-event").filter(has_text="Bob joined")).to_have_count(
        2, timeout=TIMEOUT_MS
    )
    # His new join comes after what was said while he was away.
    lines = ada.page.locator('[data-testid="messages"] > li').evaluate_all(
        "els => els.map(el => el.textContent)"
    )
    away = next(i for i, text in enumerate(lines) if "while Bob was away" in text)
    back = max(i for i, text in enumerate(lines) if "Bob joined" in text)
    assert away < back, lines
    bob.send("back again")
    ada.expect_message("back again", author="Bob")
    expect(ada.page.get_by_test_id("peer-warning").locator('[data-code="fork"]')).to_have_count(0)
    open_menu_item(ada, "room-members")
    expect(bob_row.get_by_test_id("member-state")).to_have_text(re.compile("online"))


def test_search_finds_rooms_and_messages_on_this_device(new_user):
    ada = new_user("Ada")
    ada.create_room("Weekend plans")
    ada.send("Lunch on Saturday?")
    for i in range(40):
        ada.send(f"filler {i}")
    ada.create_room("Work")
    ada.send("no lunch today, sorry")
    search = ada.page.get_by_test_id("search")

    search.fill("week")
    expect(ada.page.get_by_test_id("room-item")).to_have_count(1)
    expect(ada.page.get_by_test_id("room-item")).to_contain_text("Weekend plans")
    expect(ada.page.get_by_test_id("search-result")).to_have_count(0)

    search.fill("LUNCH")
    results = ada.page.get_by_test_id("search-result")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Work")
    expect(results.first.locator("mark")).to_have_text("lunch")
    expect(results.nth(1)).to_contain_text("You: Lunch on Saturday?")
    results.nth(1).click()
    expect(ada.page.get_by_test_id("room-name")).to_have_text("Weekend plans")
    found = ada.message("Lunch on Saturday?")
    expect(found).to_be_in_viewport()
    expect(found).to_be_focused()

    search.fill("nothing like this")
    expect(ada.page.get_by_test_id("search-empty")).to_have_text(
        "Nothing here matches “nothing like this”."
    )
    search.press("Escape")
    expect(search).to_have_value("")
    expect(ada.page.get_by_test_id("room-item")).to_have_count(2)


def test_an_invite_joins_its_room_before_the_rooms_already_here(new_user):
    """Someone opening an invite waits for that link: the page's first `join` is the
    invite's room, and the rooms it had open come after it."""
    ada = new_user("Ada")
    link = ada.create_room("Invited")
    invited = ada.sent_frames("join", count=1)[-1]["topic"]
    bob = new_user("Bob")
    for name in ("One", "Two", "Three"):
        bob.create_room(name)
    own = {frame["topic"] for frame in bob.sent_frames("join", count=3)}
    bob.page.goto("about:blank")  # a new load, not a new fragment on the open page
    before = len(bob.frames)
    bob.open_invite(link)
    expect(bob.page.get_by_test_id("room-name")).to_have_text("Invited")
    joins = [frame["topic"] for frame in bob.sent_frames("join", count=4, since=before)]
    assert joins[0] == invited, joins
    assert set(joins[1:]) == own
    bob.wait_for_peers(1)


def test_an_invite_loaded_again_opens_the_room_kept_here_or_brings_a_left_one_back(new_user):
    """The invite of a room this device has, loaded in a new tab, opens that room as it
    was (its history, its settings, one entry in the list), and after leaving it brings
    the room back."""
    ada = new_user("Ada")
    link = ada.create_room("Kept")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.send("before")
    ada.expect_message("before")
    bob.page.get_by_test_id("room-notify").select_option("mentions")

    for _ in ("kept", "left"):
        bob.page.goto("about:blank")  # a new load of the invite, not a new fragment
        bob.open_invite(link)
        expect(bob.page.get_by_test_id("room-name")).to_have_text("Kept")
        expect(bob.page.get_by_test_id("room-item")).to_have_count(1)
        expect(bob.page.get_by_test_id("room-notify")).to_have_value("mentions")
        bob.expect_message("before")
        bob.wait_for_peers(1)
        open_menu_item(bob, "room-leave")
        bob.page.get_by_test_id("leave-dialog").get_by_role("button", name="Leave").click()
        expect(bob.page.get_by_test_id("room-item")).to_have_count(0)

    expect(ada.page.get_by_test_id("join-event").filter(has_text="Bob joined")).to_have_count(
        2, timeout=TIMEOUT_MS
    )
