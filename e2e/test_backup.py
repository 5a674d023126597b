"""Back up an identity, restore it in a fresh browser, and carry on in the same rooms
as the same person: the others see the same identity, still verified."""

from playwright.sync_api import expect

from e2e.user import TIMEOUT_MS


def make_backup(user, passphrase, tmp_path):
    user.page.get_by_test_id("backup-button").click()
    user.page.get_by_test_id("backup-passphrase").fill(passphrase)
    user.page.get_by_test_id("backup-passphrase-again").fill(passphrase)
    with user.page.expect_download() as download_info:
        user.page.get_by_test_id("backup-submit").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".parleybackup")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def try_restore(user, path, passphrase):
    dialog = user.page.get_by_test_id("restore-dialog")
    if not dialog.is_visible():
        user.page.get_by_test_id("restore-button").click()
    dialog.get_by_test_id("restore-file").set_input_files(str(path))
    dialog.get_by_test_id("restore-passphrase").fill(passphrase)
    dialog.get_by_test_id("restore-submit").click()
    return dialog.get_by_test_id("restore-status")


def test_restore_a_backup_in_a_fresh_browser_and_post_as_the_same_person(new_user, tmp_path):
    ada = new_user("Ada")
    link = ada.create_room("Carry on")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.send("before the backup")
    ada.expect_message("before the backup", author="Bob")
    ada.page.get_by_test_id("peer").filter(has_text="Bob").get_by_role("button").click()
    ada.page.get_by_test_id("toggle-verified").click()
    bob_id = bob.identity_id

    backup = make_backup(bob, "correct horse battery", tmp_path)
    bob.close()  # Bob's old browser is gone

    restored = new_user()
    restored.open()
    status = try_restore(restored, backup, "wrong passphrase")
    expect(status).to_have_text(
        "That passphrase does not open this backup, or the file is damaged."
    )
    damaged = tmp_path / "damaged.parleybackup"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    status = try_restore(restored, damaged, "correct horse battery")
    expect(status).to_contain_text("does not open this backup")  # tampered ciphertext
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("just some notes")
    status = try_restore(restored, not_a_backup, "correct horse battery")
    expect(status).to_have_text("This is not a Parley backup file.")

    try_restore(restored, backup, "correct horse battery")
    expect(restored.page.get_by_test_id("room-name")).to_have_text("Carry on", timeout=20_000)
    assert restored.identity_id == bob_id
    expect(restored.page.get_by_test_id("my-name")).to_have_text("Bob")
    restored.wait_for_peers(1)
    restored.expect_message("before the backup")
    expect(restored.page.get_by_test_id("composer")).to_be_enabled()
    restored.send("after the restore")

    message = ada.expect_message("after the restore", author="Bob")
    expect(message.get_by_test_id("author-verified")).to_be_visible()
    expect(ada.page.get_by_test_id("key-change-warning")).to_have_count(0)
    expect(ada.page.get_by_test_id("peer-warning").locator('[data-code="fork"]')).to_have_count(0)
    expect(ada.page.get_by_test_id("peer").filter(has_text="Bob")).to_have_attribute(
        "data-verified", "true"
    )


def test_a_restored_copy_steps_the_original_back_and_gives_it_back_when_closed(new_user, tmp_path):
    ada = new_user("Ada")
    link = ada.create_room("Two browsers")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    backup = make_backup(bob, "correct horse battery", tmp_path)

    copy = new_user()
    copy.open()
    try_restore(copy, backup, "correct horse battery")
    expect(copy.page.get_by_test_id("room-name")).to_have_text("Two browsers", timeout=20_000)
    copy.wait_for_peers(1)
    # The room talks to the copy; the original says so and writes nothing meanwhile.
    elsewhere = bob.page.get_by_test_id("open-elsewhere")
    expect(elsewhere).to_be_visible(timeout=TIMEOUT_MS)
    expect(elsewhere).to_contain_text("open in another browser")
    expect(bob.page.get_by_test_id("composer")).to_be_disabled()
    copy.send("from the copy")
    ada.expect_message("from the copy", author="Bob")

    copy.close()
    expect(elsewhere).to_be_hidden(timeout=TIMEOUT_MS)
    bob.wait_for_peers(1)
    bob.expect_message("from the copy")
    expect(bob.page.get_by_test_id("composer")).to_be_enabled()
    bob.send("back in the first browser")
    ada.expect_message("back in the first browser", author="Bob")
    expect(ada.page.get_by_test_id("peer-warning").locator('[data-code="fork"]')).to_have_count(0)
