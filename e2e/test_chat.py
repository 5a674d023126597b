"""Two people, two browser contexts: create a room, join by invite link, talk."""

from playwright.sync_api import expect

from e2e.user import TIMEOUT_MS


def test_identity_is_made_and_kept_across_reloads(new_user):
    ada = new_user()
    ada.open()
    expect(ada.page.get_by_test_id("onboarding")).to_be_visible()
    ada.onboard("Ada")
    identity = ada.identity_id
    fingerprint = ada.page.get_by_test_id("my-fingerprint").inner_text()
    assert len(identity) == 43
    assert len(fingerprint.split()) == 6 and all(len(g) == 5 for g in fingerprint.split())

    ada.page.reload()
    expect(ada.page.get_by_test_id("my-name")).to_have_text("Ada")
    assert ada.identity_id == identity
    expect(ada.page.get_by_test_id("my-fingerprint")).to_have_text(fingerprint)


def test_two_browsers_chat_through_an_invite_link(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Tea")
    assert "#join=" in link
    expect(ada.page.get_by_test_id("empty-room")).to_contain_text("Invite someone")

    bob = new_user("Bob")
    bob.open_invite(link)
    expect(bob.page.get_by_test_id("room-name")).to_have_text("Tea")
    assert "#" not in bob.page.url, "the room secret must leave the address bar"
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    expect(ada.page.get_by_test_id("peer")).to_contain_text("Bob")
    expect(bob.page.get_by_test_id("peer")).to_contain_text("Ada")
    # A small room is a full mesh: the header counts who is connected, not the members.
    expect(ada.page.get_by_test_id("peer-summary")).to_have_text(
        "1 person connected · end-to-end encrypted"
    )

    ada.send("Hello Bob")
    bob.expect_message("Hello Bob", author="Ada")
    expect(ada.message("Hello Bob").get_by_test_id("delivery")).to_have_text("Delivered to 1")

    bob.send("Hi Ada <b>not bold</b>")
    ada.expect_message("Hi Ada <b>not bold</b>", author="Bob")
    expect(bob.message("Hi Ada <b>not bold</b>").get_by_test_id("delivery")).to_have_text(
        "Delivered to 1"
    )
    assert ada.page.locator(".message-text b").count() == 0


def test_messages_sent_before_a_peer_connects_reach_it(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Early words")
    ada.send("Written while alone")
    expect(ada.message("Written while alone").get_by_test_id("delivery")).to_have_text("Sent")

    bob = new_user("Bob")
    bob.open_invite(link)
    bob.expect_message("Written while alone", author="Ada")
    expect(ada.message("Written while alone").get_by_test_id("delivery")).to_have_text(
        "Delivered to 1"
    )


def test_mention_someone_from_the_composer(new_user):
    ada = new_user("Ada Lovelace")
    link = ada.create_room("Mentions")
    bob = new_user("Bob")
    bob.open_invite(link)
    bob.wait_for_peers(1)
    composer = bob.page.get_by_test_id("composer")
    picker = bob.page.get_by_test_id("mention-picker")
    composer.press_sequentially("see @lov")
    expect(picker.get_by_test_id("mention-option")).to_have_text(["Ada Lovelace"])
    composer.press("Escape")  # closes the list, keeps the text
    expect(picker).to_be_hidden()
    expect(composer).to_have_value("see @lov")
    composer.press("Backspace")
    expect(picker).to_be_visible()
    composer.press("Enter")  # chooses, does not send
    expect(composer).to_have_value("see @Ada Lovelace ")
    composer.press_sequentially("now")
    composer.press("Enter")

    message = ada.expect_message("see @Ada Lovelace now", author="Bob")
    expect(message).to_have_attribute("data-mentions-me", "true")
    expect(message.locator(".mention.me")).to_have_text("@Ada Lovelace")
    expect(bob.message("see @Ada Lovelace now").locator(".mention")).to_have_text("@Ada Lovelace")


def test_read_receipts_and_turning_them_off(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Receipts")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("did you read this?")
    bob.expect_message("did you read this?")
    expect(ada.message("did you read this?").get_by_test_id("delivery")).to_have_text(
        "Read by 1", timeout=TIMEOUT_MS
    )

    bob.page.get_by_test_id("read-receipts-toggle").uncheck()
    expect(bob.page.get_by_test_id("read-receipts-state")).to_have_text(
        "Off. Nobody sees when you have read their messages."
    )
    # That no receipt is written then is tests/js/read-receipts.test.js: here, waiting
    # for nothing to happen would prove nothing on a slow machine.
    bob.page.reload()
    expect(bob.page.get_by_test_id("read-receipts-toggle")).not_to_be_checked()


def test_the_composer_grows_with_its_lines_and_is_one_row_again_once_sent(new_user):
    ada = new_user("Ada")
    ada.create_room("Lines")
    composer = ada.page.get_by_test_id("composer")

    def height() -> float:
        return composer.evaluate("el => el.getBoundingClientRect().height")

    empty = height()
    composer.fill("one line")
    assert height() == empty, "one line is as high as none"
    composer.fill("one\ntwo\nthree")
    three = height()
    assert three > empty
    composer.fill("\n".join(["line"] * 30))
    assert height() == 160, "at most 160 px; the rest scrolls"
    composer.press("Enter")
    expect(ada.page.get_by_test_id("message")).to_have_count(1)
    expect(composer).to_have_value("")
    assert height() == empty
