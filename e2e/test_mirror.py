"""Blind mirrors (docs/protocol.md §12): what Ada writes while Bob is away reaches him from
the server's mirror service alone, after she has gone too, and what he writes reaches
her the same way; a restart of the service loses nothing; the service stores the
authors' entries byte for byte and holds no plaintext, in its database or its log."""

import hashlib

from playwright.sync_api import expect

from e2e.mirror_service import mirrored_server
from e2e.user import TIMEOUT_MS, User
from parley_peer.encoding import b64url_encode

# Names long enough that ciphertext cannot hold them by chance.
ADA, BOB = "Adaline Quartermaine", "Bartholomew Okonkwo"
FILE_NAME = "cabin-booking-confirmation.bin"
# 5 MiB of a pattern the test can look for in what the mirror stored: every 32-byte line
# is different, so a line found would be the file's plaintext, not a chance match.
FILE_BYTES = b"".join(b"parley-mirror-line-%012d\n" % i for i in range(5 * 2**20 // 32))
FILE_LINE = b"parley-mirror-line-000000001234\n"
TRANSFER_TIMEOUT = 60_000
ENTRIES_JS = """async () => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('parley');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const records = await new Promise((resolve, reject) => {
        const request = db.transaction('entries').objectStore('entries').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    db.close();
    return records.map((r) => [r.topic, r.author, r.seq, Array.from(r.bytes)]);
}"""


def come_back(user: User) -> User:
    """The same browser (its storage kept) opens Parley again."""
    again = User(user.page.context.new_page(), user.server_url)
    again.open()
    return again


def leave_page(user: User) -> None:
    """The tab is closed; the browser keeps its storage, and nothing of it stays online."""
    user.page.close()
    assert not user.page.context.pages


def open_mirror_dialog(user: User):
    user.page.get_by_test_id("room-menu").locator("summary").click()
    user.page.get_by_test_id("room-mirror").click()
    dialog = user.page.get_by_test_id("mirror-dialog")
    expect(dialog).to_be_visible()
    return dialog


def expect_mirror_holds_everything(user: User, timeout: int = TIMEOUT_MS) -> None:
    """The mirror linked in this room holds every entry this browser holds (its heads)."""
    dialog = open_mirror_dialog(user)
    mirror = dialog.get_by_test_id("mirror").and_(dialog.locator('[data-ready="true"]'))
    expect(mirror).to_have_attribute("data-behind", "0", timeout=timeout)
    expect(mirror.get_by_test_id("mirror-state")).to_have_text("linked · holds everything")
    dialog.get_by_role("button", name="Close").click()


def keep_on_mirror(user: User) -> None:
    dialog = open_mirror_dialog(user)
    expect(dialog.get_by_test_id("mirror-list")).to_contain_text("No mirror holds this room")
    dialog.get_by_test_id("mirror-action").click()
    expect(dialog.get_by_test_id("mirror-action")).to_have_text("Stop keeping it")
    expect(dialog.get_by_test_id("mirror-error")).to_be_hidden()
    dialog.get_by_role("button", name="Close").click()
    expect(user.page.get_by_test_id("peer-summary")).to_contain_text(
        "kept by a mirror", timeout=TIMEOUT_MS
    )


def file_card(user: User):
    return user.page.locator(f'[data-testid="file-card"][data-name="{FILE_NAME}"]')


def saved_file_digest(user: User, tmp_path) -> str:
    with user.page.expect_download() as download:
        file_card(user).get_by_test_id("file-save").click()
    target = tmp_path / f"saved-{FILE_NAME}"
    download.value.save_as(target)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def chat_through_the_mirror(
    person, mirror, tmp_path, *, restart_between: bool
) -> tuple[User, User, str]:
    ada = person(ADA)
    link = ada.create_room("Weekend plans")
    bob = person(BOB)
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("hello Bob")
    bob.expect_message("hello Bob", author=ADA)

    keep_on_mirror(ada)
    leave_page(bob)
    texts = ["the train leaves at nine", "bring the blue tent", "I booked the cabin"]
    for text in texts:
        ada.send(text)
        ada.expect_message(text)
    (tmp_path / FILE_NAME).write_bytes(FILE_BYTES)
    ada.page.get_by_test_id("file-input").set_input_files(str(tmp_path / FILE_NAME))
    expect(file_card(ada)).to_have_attribute("data-state", "done", timeout=TRANSFER_TIMEOUT)
    expect_mirror_holds_everything(ada)  # the entries, and the file's every chunk
    leave_page(ada)
    if restart_between:
        mirror.restart()

    bob = come_back(bob)
    for text in texts:
        bob.expect_message(text, author=ADA)
    shown = [line.split(" | ")[1] for line in bob.timeline()]
    assert shown[:4] == ["hello Bob", *texts]
    # Under the automatic download limit: it comes by itself, from the mirror.
    expect(file_card(bob)).to_have_attribute("data-state", "done", timeout=TRANSFER_TIMEOUT)
    assert saved_file_digest(bob, tmp_path) == hashlib.sha256(FILE_BYTES).hexdigest()
    bob.send("see you at the station")
    bob.expect_message("see you at the station")
    expect_mirror_holds_everything(bob)
    leave_page(bob)

    ada = come_back(ada)
    ada.expect_message("see you at the station", author=BOB)
    return ada, bob, link


def test_messages_reach_a_member_who_was_away_from_the_mirror_alone(mirrored, tmp_path):
    _, mirror, person = mirrored
    ada, _, _ = chat_through_the_mirror(person, mirror, tmp_path, restart_between=False)

    # Every entry the service holds is byte for byte one of the authors' own.
    authors = {
        (topic, author, seq): bytes(data)
        for topic, author, seq, data in ada.page.evaluate(ENTRIES_JS)
    }
    held = mirror.entries()
    assert len(held) >= 8  # two joins, five messages (the file too), and what else was written
    for topic, author, seq, data in held:
        assert authors[(topic, b64url_encode(author), seq)] == data

    # Nothing the people wrote or called themselves is in what the service stored.
    secrets = [
        "hello Bob", "the train leaves at nine", "bring the blue tent", "I booked the cabin",
        "see you at the station", "Weekend plans", ADA, BOB, FILE_NAME,
    ]  # fmt: skip
    assert mirror.chunk_count() == 40  # 5 MiB in chunks of 128 KiB
    for path in mirror.stored_files():
        content = path.read_bytes()
        assert FILE_LINE not in content and b"parley-mirror-line-" not in content, path.name
        for secret in secrets:
            for encoded in (secret.encode(), secret.encode("utf-16-le")):
                assert encoded not in content, f"{secret!r} in {path.name}"


def test_a_restarted_mirror_still_holds_the_room(mirrored, tmp_path):
    _, mirror, person = mirrored
    chat_through_the_mirror(person, mirror, tmp_path, restart_between=True)
    assert mirror.log().count("serving as the mirror of") == 2


def test_a_full_mirror_says_so_and_withdrawing_a_room_makes_space(browser):
    with mirrored_server({"PARLEY_MIRROR_MAX_ROOMS": "1"}) as (url, mirror):
        context = browser.new_context(base_url=url)
        try:
            ada = User(context.new_page(), url)
            ada.onboard(ADA)
            ada.create_room("First")
            keep_on_mirror(ada)
            ada.create_room("Second")
            dialog = open_mirror_dialog(ada)
            dialog.get_by_test_id("mirror-action").click()
            expect(dialog.get_by_test_id("mirror-error")).to_have_text(
                "The mirror is full: it takes no new rooms."
            )
            expect(dialog.get_by_test_id("mirror-action")).to_have_text("Keep this room available")
            dialog.get_by_role("button", name="Close").click()

            ada.page.get_by_test_id("room-item").filter(has_text="First").click()
            dialog = open_mirror_dialog(ada)
            dialog.get_by_test_id("mirror-action").click()  # "Stop keeping it"
            expect(dialog.get_by_test_id("mirror-list")).to_contain_text(
                "No mirror holds this room", timeout=TIMEOUT_MS
            )
            expect(dialog.get_by_test_id("mirror-action")).to_have_text("Keep this room available")
            dialog.get_by_role("button", name="Close").click()
            assert mirror.room_count() == 0 and mirror.entries() == []  # forgotten, not hidden

            ada.page.get_by_test_id("room-item").filter(has_text="Second").click()
            keep_on_mirror(ada)
        finally:
            context.close()


def test_a_server_without_a_mirror_says_so(new_user):
    ada = new_user(ADA)
    ada.create_room("Plain")
    dialog = open_mirror_dialog(ada)
    dialog.get_by_test_id("mirror-action").click()
    expect(dialog.get_by_test_id("mirror-error")).to_have_text("This server has no mirror service.")
