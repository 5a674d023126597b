"""Where the conversation is scrolled to (issue 17, bug 5): a room opens at its newest
message and stays there through reloads, the invite panel, calls and pictures that
finish loading; a reader who scrolled up keeps their place and gets "jump to latest"."""

from playwright.sync_api import expect

from e2e.calls import call_view, joined, two_in_a_room
from e2e.images import png
from e2e.user import TIMEOUT_MS

AT_BOTTOM = """() => {
  const list = document.querySelector('[data-testid="messages"]');
  return list.scrollHeight > list.clientHeight
    && list.scrollHeight - list.scrollTop - list.clientHeight <= 2;
}"""


def expect_at_bottom(user):
    user.page.wait_for_function(AT_BOTTOM, timeout=TIMEOUT_MS)


def fill_room(user, count, prefix="message"):
    for i in range(count):
        user.send(f"{prefix} {i}")
    user.expect_message(f"{prefix} {count - 1}")


def scroll_to_top(user):
    user.page.get_by_test_id("messages").evaluate("el => { el.scrollTop = 0; }")


def test_a_room_stays_at_its_newest_message(new_user, tmp_path):
    ada = joined(new_user, "Ada")
    ada.create_room("Long room")
    fill_room(ada, 30)
    expect_at_bottom(ada)
    jump = ada.page.get_by_test_id("jump-to-latest")
    expect(jump).to_be_hidden()

    ada.page.reload()
    ada.expect_message("message 29")
    expect_at_bottom(ada)

    ada.page.get_by_test_id("invite-button").click()
    expect(ada.page.get_by_test_id("invite-link")).to_be_visible()
    expect_at_bottom(ada)
    ada.page.get_by_test_id("invite-button").click()
    expect_at_bottom(ada)

    # A picture that finishes loading does not leave the last message cut off.
    ada.page.get_by_test_id("file-input").set_input_files(str(png(tmp_path / "tall.png", 40, 600)))
    expect(ada.page.get_by_test_id("file-preview")).to_be_visible(timeout=TIMEOUT_MS)
    expect_at_bottom(ada)

    # Scrolled up, the reader keeps their place until they ask for the latest.
    scroll_to_top(ada)
    expect(jump).to_be_visible()
    ada.page.get_by_test_id("invite-button").click()
    assert ada.page.get_by_test_id("messages").evaluate("el => el.scrollTop") == 0
    jump.click()
    expect_at_bottom(ada)
    expect(jump).to_be_hidden()


def test_new_messages_while_scrolled_up_and_after_a_call(new_user):
    ada, bob = two_in_a_room(new_user)
    fill_room(ada, 30)
    bob.expect_message("message 29")
    expect_at_bottom(bob)

    scroll_to_top(bob)
    jump = bob.page.get_by_test_id("jump-to-latest")
    expect(jump).to_have_text("Jump to latest")
    ada.send("while Bob reads")
    expect(jump).to_have_text("1 new message")
    assert bob.page.get_by_test_id("messages").evaluate("el => el.scrollTop") == 0
    ada.send("and another")
    expect(jump).to_have_text("2 new messages")
    jump.focus()
    bob.page.keyboard.press("Enter")
    expect_at_bottom(bob)
    expect(jump).to_be_hidden()

    ada.page.get_by_test_id("call-voice").click()
    expect(call_view(bob)).to_have_attribute("data-phase", "incoming", timeout=TIMEOUT_MS)
    bob.page.get_by_test_id("call-accept").click()
    for user in (ada, bob):
        expect(call_view(user)).to_have_attribute("data-phase", "active", timeout=TIMEOUT_MS)
    ada.page.get_by_test_id("call-hangup").click()
    for user in (ada, bob):
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
        expect(user.page.get_by_test_id("call-event")).to_have_attribute("data-call", "ended")
        expect_at_bottom(user)


def test_a_change_as_the_reader_scrolls_up_does_not_pull_them_back_down(new_user):
    """The scroll event of a move comes with the next frame: a change of the conversation
    in between (a receipt, a card that updates) found the view still "at the end" and put
    it back there, so the reader's move was undone and "jump to latest" never showed."""
    ada = new_user("Ada")
    ada.create_room("Busy room")
    fill_room(ada, 30)
    expect_at_bottom(ada)
    ada.page.get_by_test_id("messages").evaluate(
        "el => { el.scrollTop = 0; el.firstElementChild.setAttribute('data-probe', ''); }"
    )
    expect(ada.page.get_by_test_id("jump-to-latest")).to_be_visible()
    assert ada.page.get_by_test_id("messages").evaluate("el => el.scrollTop") == 0
