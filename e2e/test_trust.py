"""Trust between people: compare safety numbers, mark someone verified, and get a loud,
blocking warning when a known name shows up with a different key."""

from playwright.sync_api import expect


def test_verify_a_contact_then_a_new_key_under_their_name_blocks_the_room(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Trust")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.send("it is really me")
    ada.expect_message("it is really me", author="Bob")

    ada.page.get_by_test_id("peer").filter(has_text="Bob").get_by_role("button").click()
    dialog = ada.page.get_by_test_id("contact-dialog")
    bobs_number = bob.page.get_by_test_id("my-fingerprint").inner_text()
    expect(dialog.get_by_test_id("contact-fingerprint")).to_have_text(bobs_number)
    expect(dialog.locator("canvas.qr")).to_have_attribute(
        "data-qr-text", f"parley-id:{bob.identity_id}"
    )
    expect(dialog.get_by_test_id("verified-state")).to_have_text("Not verified yet")
    dialog.get_by_test_id("toggle-verified").click()
    expect(ada.page.get_by_test_id("peer").filter(has_text="Bob")).to_have_attribute(
        "data-verified", "true"
    )
    expect(ada.message("it is really me").get_by_test_id("author-verified")).to_be_visible()

    impostor = new_user("Bob")
    impostor.open_invite(link)
    warning = ada.page.get_by_test_id("key-change-warning")
    expect(warning).to_be_visible(timeout=20_000)
    expect(warning).to_contain_text("Bob’s safety number changed")
    expect(warning.get_by_test_id("key-warning-verified")).to_be_visible()
    expect(ada.page.get_by_test_id("composer")).to_be_disabled()
    warning.get_by_test_id("key-warning-ack").click()
    expect(ada.page.get_by_test_id("composer")).to_be_enabled()

    ada.page.reload()
    expect(ada.page.get_by_test_id("room-name")).to_have_text("Trust")
    ada.wait_for_peers(2)
    expect(ada.page.get_by_test_id("key-change-warning")).to_have_count(0)
    expect(
        ada.page.get_by_test_id("peer")
        .filter(has_text="Bob")
        .and_(ada.page.locator('[data-verified="true"]'))
    ).to_have_count(1)
