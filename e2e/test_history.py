"""Room history that is never lost: members who were away catch up from whoever is
online, everyone shows the same order, and a browser that quits finds it all again."""

from playwright.sync_api import expect

ACTIONS_TIMEOUT = 20_000


def react(user, text, emoji):
    message = user.message(text)
    message.hover()
    message.get_by_test_id("action-react").click()
    user.page.get_by_test_id("emoji-picker").locator(f'[data-emoji="{emoji}"]').first.click()
    expect(message.locator(f'[data-testid="reaction-chip"][data-emoji="{emoji}"]')).to_be_visible()


def reply(user, text, answer):
    message = user.message(text)
    message.hover()
    message.get_by_test_id("action-reply").click()
    expect(user.page.get_by_test_id("composer-context")).to_contain_text("Replying to")
    user.send(answer)


def edit(user, text, new_text):
    message = user.message(text)
    message.hover()
    message.get_by_test_id("action-edit").click()
    composer = user.page.get_by_test_id("composer")
    expect(composer).to_have_value(text)
    composer.fill(new_text)
    composer.press("Enter")


def delete(user, text):
    message = user.message(text)
    message.hover()
    message.get_by_test_id("action-delete").click()
    user.page.get_by_test_id("delete-dialog-confirm").click()


def test_offline_member_catches_up_from_whoever_is_online(persistent_user):
    ada = persistent_user("ada", "Ada")
    link = ada.create_room("Long story")
    bob = persistent_user("bob", "Bob")
    bob.open_invite(link)
    cyd = persistent_user("cyd", "Cyd")
    cyd.open_invite(link)
    ada.wait_for_peers(2)
    cyd.wait_for_peers(2)
    ada.send("before Cyd left")
    cyd.expect_message("before Cyd left", author="Ada")
    cyd.close()  # Cyd quits the browser

    for i in range(50):
        (ada if i % 2 == 0 else bob).send(f"message {i}")
    bob.expect_message("message 48", author="Ada")
    ada.expect_message("message 49", author="Bob")
    edit(ada, "message 10", "message 10, edited")
    delete(bob, "message 13")
    reply(bob, "message 20", "an answer to twenty")
    reply(ada, "an answer to twenty", "an answer to the answer")
    react(bob, "message 30", "👍")
    react(ada, "message 30", "👍")
    react(ada, "message 31", "😂")
    expect(bob.message("an answer to the answer")).to_have_count(1, timeout=ACTIONS_TIMEOUT)
    expect(
        bob.message("message 30").locator('[data-testid="reaction-chip"][data-count="2"]')
    ).to_be_visible(timeout=ACTIONS_TIMEOUT)
    expect(bob.message("message 10, edited")).to_have_count(1)
    expect(ada.page.get_by_test_id("message-deleted")).to_have_count(1)
    expected = bob.timeline()
    assert ada.timeline() == expected
    ada.close()  # only Bob is online now

    cyd = persistent_user("cyd")
    cyd.open()
    expect(cyd.page.get_by_test_id("room-name")).to_have_text("Long story")
    cyd.wait_for_peers(1)
    expect(cyd.page.get_by_test_id("message")).to_have_count(len(expected), timeout=ACTIONS_TIMEOUT)
    expect(cyd.message("an answer to the answer")).to_have_count(1)
    assert cyd.timeline() == expected
    reply_quote = cyd.message("an answer to twenty").get_by_test_id("reply-quote")
    expect(reply_quote).to_contain_text("message 20")
    assert cyd.page.get_by_test_id("unread-count").count() == 0  # the open room is read

    ada = persistent_user("ada")
    ada.open()
    expect(ada.page.get_by_test_id("message")).to_have_count(len(expected))
    assert ada.timeline() == expected


def test_typing_and_unread_counts(new_user):
    ada = new_user("Ada")
    first = ada.create_room("First")
    bob = new_user("Bob")
    bob.open_invite(first)
    ada.wait_for_peers(1)
    # Bob's end of the link too: "typing" goes once (then every 3 s) to the links open
    # when he starts, and is never stored nor sent again to a link that opens later.
    bob.wait_for_peers(1)
    bob.page.get_by_test_id("composer").press_sequentially("hel")
    expect(ada.page.get_by_test_id("typing")).to_have_text("Bob is typing…")
    bob.page.get_by_test_id("composer").press("Enter")
    ada.expect_message("hel", author="Bob")
    expect(ada.page.get_by_test_id("typing")).to_have_text("")

    ada.page.get_by_test_id("new-room").click()
    ada.page.get_by_test_id("new-room-dialog-input").fill("Second")
    ada.page.get_by_test_id("new-room-dialog-submit").click()
    bob.send("while Ada looks elsewhere")
    bob.send("and again")
    first_item = ada.page.get_by_test_id("room-item").filter(has_text="First")
    expect(first_item.get_by_test_id("unread-count")).to_have_text("2")
    first_item.click()
    ada.expect_message("and again")
    expect(ada.page.get_by_test_id("unread-count")).to_have_count(0)


def test_one_tab_at_a_time(new_user):
    ada = new_user("Ada")
    ada.create_room("Tabs")
    second = ada.page.context.new_page()
    second.goto(ada.server_url + "/")
    expect(second.get_by_test_id("other-tab")).to_contain_text("open in another tab")
    second.get_by_test_id("use-here").click()
    expect(second.get_by_test_id("room-item")).to_have_count(1)
    expect(ada.page.get_by_test_id("other-tab")).to_contain_text("moved to another tab")
