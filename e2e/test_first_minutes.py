"""What a new user meets in the first minutes (issue 17): each test here failed before
its fix."""

from playwright.sync_api import expect


def test_a_new_user_without_rooms_is_shown_how_to_start(new_user):
    ada = new_user("Ada")
    empty = ada.page.get_by_test_id("no-room")
    expect(empty).to_contain_text("Private rooms, peer to peer")
    ada.page.reload()
    expect(empty).to_contain_text("Private rooms, peer to peer")
    empty.get_by_role("button", name="Create a room").click()
    expect(ada.page.get_by_test_id("new-room-dialog-input")).to_be_visible()
