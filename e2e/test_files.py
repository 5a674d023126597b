"""Files between browsers (docs/protocol.md §11): offered in the room log, fetched in
verified chunks over their own data channel, stored in the Origin Private File System,
saved byte-identical, and resumed after the sender's browser quit midway."""

import hashlib
import os
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from e2e.images import png

TRANSFER_TIMEOUT = 180_000  # 64 MiB on a 2-core machine, with room to spare
BIG = 64 * 1024 * 1024
CHUNK = 131072


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def random_file(path, size: int):
    with open(path, "wb") as file:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            file.write(block)
            left -= len(block)
    return path


def card(user, name: str):
    return user.page.locator(f'[data-testid="file-card"][data-name="{name}"]')


def download(user, name):
    """A file over the automatic download limit: the user clicks Download."""
    card(user, name).get_by_test_id("file-download").click(timeout=60_000)


def send_files(user, *paths):
    user.page.get_by_test_id("file-input").set_input_files([str(p) for p in paths])


def expect_done(user, name: str, timeout: int = TRANSFER_TIMEOUT):
    try:
        expect(card(user, name)).to_have_attribute("data-state", "done", timeout=timeout)
    except AssertionError as error:
        state = card(user, name).evaluate(
            "el => JSON.stringify({...el.dataset, text: el.innerText})"
        )
        raise AssertionError(f"{error}\ncard: {state}\n{user.everyone()}") from None


def save(user, name: str, tmp_path) -> str:
    with user.page.expect_download() as download:
        card(user, name).get_by_test_id("file-save").click()
    target = tmp_path / f"saved-by-{user.page.get_by_test_id('my-name').inner_text()}-{name}"
    download.value.save_as(target)
    assert download.value.suggested_filename == name
    return sha256(target)


def room_of_two(new_user, ada=None):
    ada = ada or new_user("Ada")
    link = ada.create_room("Files")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    return ada, bob


def test_small_and_big_files_arrive_byte_identical_and_images_preview(new_user, tmp_path):
    ada, bob = room_of_two(new_user)
    small = random_file(tmp_path / "small.bin", 1024)
    image = png(tmp_path / "stripes.png")
    send_files(ada, small, image)
    expect_done(bob, "small.bin", timeout=60_000)
    expect(card(bob, "small.bin")).to_contain_text("1.0 KB")
    assert save(bob, "small.bin", tmp_path) == sha256(small)
    expect_done(bob, "stripes.png", timeout=60_000)
    preview = card(bob, "stripes.png").get_by_test_id("file-preview")
    expect(preview).to_be_visible()
    loaded = "img => img.complete && img.naturalWidth === 40"
    bob.page.wait_for_function(loaded, arg=preview.element_handle(), timeout=10_000)
    expect(card(ada, "stripes.png").get_by_test_id("file-preview")).to_be_visible()
    # Clicked, the preview opens the image itself in a tab, not its bytes as text.
    with bob.page.context.expect_page() as opened:
        preview.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.evaluate("document.contentType") == "image/png"
    tab.close()
    # A drop onto the conversation and a paste into the composer send files too.
    ada.page.evaluate(
        """() => {
            const files = (name) => {
                const data = new DataTransfer();
                data.items.add(new File([`hello from ${name}`], name, { type: 'text/plain' }));
                return data;
            };
            const chat = document.querySelector('main.chat');
            const drop = { dataTransfer: files('dropped.txt'), bubbles: true, cancelable: true };
            chat.dispatchEvent(new DragEvent('dragover', drop));
            chat.dispatchEvent(new DragEvent('drop', drop));
            document.querySelector('[data-testid=composer]').dispatchEvent(new ClipboardEvent(
                'paste', { clipboardData: files('pasted.txt'), bubbles: true, cancelable: true }));
        }"""
    )
    for name in ("dropped.txt", "pasted.txt"):
        expect_done(bob, name, timeout=60_000)
        expected = hashlib.sha256(f"hello from {name}".encode()).hexdigest()
        assert save(bob, name, tmp_path) == expected
    # Chat keeps working beside files, and a file card reads as a message in the room.
    bob.send("got them")
    ada.expect_message("got them", author="Bob")

    big = random_file(tmp_path / "big.bin", BIG)
    started = time.monotonic()
    send_files(ada, big)
    expect(card(bob, "big.bin")).to_have_count(1, timeout=60_000)
    offered = time.monotonic()
    # Over the automatic download limit (25 MB by default): it waits for a click.
    expect(card(bob, "big.bin")).to_have_attribute("data-state", "offered")
    card(bob, "big.bin").get_by_test_id("file-download").click()
    expect_done(bob, "big.bin")
    finished = time.monotonic()
    print(
        f"\n64 MiB: offered after {offered - started:.1f} s (encrypt, hash, copy),"
        f" transferred in {finished - offered:.1f} s = {BIG / 1e6 / (finished - offered):.1f} MB/s"
    )
    assert save(bob, "big.bin", tmp_path) == sha256(big)
    assert int(card(bob, "big.bin").get_attribute("data-duplicates")) == 0
    # The sender's own copy (in its file storage since it was offered) saves too, after
    # it was read to serve Bob.
    assert save(ada, "big.bin", tmp_path) == sha256(big)
    assert not [e for e in ada.console_errors + bob.console_errors if "parley" in e.lower()]


def test_a_received_svg_or_html_file_is_never_shown_as_a_page_of_this_origin(new_user, tmp_path):
    """An SVG or HTML file opened from a blob: URL of Parley's origin would run its script
    with the user's keys in reach: it gets no preview, and its object URL is opaque bytes
    (a tab downloads them) while a PNG's is an image."""
    ada, bob = room_of_two(new_user)
    svg = tmp_path / "drawing.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1"/>')
    html = tmp_path / "page.html"
    html.write_text("<script>window.__pwned = 1</script>")
    image = png(tmp_path / "dots.png")
    send_files(ada, svg, html, image)
    for name in ("drawing.svg", "page.html", "dots.png"):
        expect_done(bob, name, timeout=60_000)
    tab = bob.page.context.new_page()
    try:
        for name in ("drawing.svg", "page.html"):  # a tab on it downloads it
            url = card(bob, name).get_by_test_id("file-save").get_attribute("href")
            with tab.expect_download() as download:
                try:
                    tab.goto(url)
                except PlaywrightError as error:  # a navigation that becomes a download
                    assert "ERR_ABORTED" in str(error) or "Download" in str(error), error
            assert download.value.url == url
            assert tab.evaluate("window.__pwned") is None
        tab.goto(card(bob, "dots.png").get_by_test_id("file-save").get_attribute("href"))
        assert tab.evaluate("document.contentType") == "image/png"
    finally:
        tab.close()
    expect(card(bob, "dots.png").get_by_test_id("file-preview")).to_be_visible()
    expect(card(bob, "drawing.svg").get_by_test_id("file-preview")).to_have_count(0)
    assert save(bob, "drawing.svg", tmp_path) == sha256(svg)


def test_transfer_resumes_after_the_sender_quits_midway(persistent_user, new_user, tmp_path):
    ada = persistent_user("ada", "Ada")
    ada, bob = room_of_two(new_user, ada=ada)
    big = random_file(tmp_path / "resume.bin", BIG)
    count = BIG // CHUNK
    send_files(ada, big)
    download(bob, "resume.bin")
    # Once Bob holds some but not all chunks, Ada's browser quits.
    bob.page.wait_for_function(
        """count => {
            const card = document.querySelector('[data-name="resume.bin"]');
            return Number(card?.dataset.held ?? 0) >= count / 10;
        }""",
        arg=count,
        timeout=TRANSFER_TIMEOUT,
        polling=20,
    )
    closed = time.monotonic()
    ada.close()
    held_when_closed = int(card(bob, "resume.bin").get_attribute("data-held"))
    assert 0 < held_when_closed < count, "the transfer must be cut off midway"
    expect(card(bob, "resume.bin")).to_have_attribute("data-state", "waiting", timeout=60_000)
    noticed = time.monotonic()

    ada = persistent_user("ada")
    ada.open()
    expect(ada.page.get_by_test_id("room-name")).to_have_text("Files")
    reopened = time.monotonic()
    expect_done(bob, "resume.bin")
    done = time.monotonic()
    assert save(bob, "resume.bin", tmp_path) == sha256(big)
    duplicates = int(card(bob, "resume.bin").get_attribute("data-duplicates"))
    received = int(card(bob, "resume.bin").get_attribute("data-received"))
    received += int(card(bob, "resume.bin").get_attribute("data-ignored"))
    print(
        f"\nresume: {held_when_closed}/{count} chunks held when the sender quit;"
        f" {received} chunks received in all, {duplicates} twice; Bob saw the sender gone"
        f" after {noticed - closed:.1f} s; the rest took {done - reopened:.1f} s after the"
        " sender's page opened"
    )
    assert duplicates < count / 10
    assert received < count * 1.1


# How many chunks the receiving download's saved state holds: the held bitfield of the
# PartialTree saved in IndexedDB (version byte, then one bit per chunk; docs/protocol.md
# §11). Bob receives only one file in the test that reads it.
SAVED_CHUNKS_JS = """async (count) => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('parley');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const records = await new Promise((resolve, reject) => {
        const request = db.transaction('transfers').objectStore('transfers').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    db.close();
    const receiving = records.filter((record) => record.role === 'receiver');
    if (receiving.length > 1) throw new Error(`${receiving.length} downloads saved`);
    const tree = receiving[0]?.tree;
    if (!tree) return 0;
    let held = 0;
    for (const byte of tree.subarray(1, 1 + Math.ceil(count / 8))) {
        for (let bits = byte; bits; bits &= bits - 1) held += 1;
    }
    return held;
}"""


def saved_chunks(user, count: int) -> int:
    return user.page.evaluate(SAVED_CHUNKS_JS, count)


def test_transfer_resumes_after_the_receiver_reloads_midway(new_user, tmp_path):
    ada, bob = room_of_two(new_user)
    big = random_file(tmp_path / "reload.bin", BIG)
    count = BIG // CHUNK
    send_files(ada, big)
    download(bob, "reload.bin")
    # Midway: a tenth of the chunks verified, written and saved (the state is saved every
    # 100 ms or so; how far it trails the chunks held depends on the machine's speed).
    deadline = time.monotonic() + TRANSFER_TIMEOUT / 1000
    while (saved := saved_chunks(bob, count)) < count / 10:
        assert time.monotonic() < deadline, f"only {saved} chunks saved"
        bob.page.wait_for_timeout(20)
    held_before = int(card(bob, "reload.bin").get_attribute("data-held"))
    assert saved < count, "the transfer must be cut off midway"
    bob.page.reload()
    # Back from its saved state: every chunk saved before the reload is held again at
    # once (only those written after the last save are fetched again).
    expect(card(bob, "reload.bin")).to_be_visible(timeout=30_000)
    held_after = int(card(bob, "reload.bin").get_attribute("data-held"))
    print(
        f"\nreceiver reload: {held_before} chunks held and {saved} saved before,"
        f" {held_after} held right after"
    )
    assert held_after >= saved
    expect_done(bob, "reload.bin")
    assert save(bob, "reload.bin", tmp_path) == sha256(big)


# Every state each file card shows, from the one it is added with on.
RECORD_CARD_STATES = """() => {
    window.__cardStates = {};
    const note = (card) => {
        if (card.dataset?.testid !== 'file-card' || !card.dataset.state) return;
        (window.__cardStates[card.dataset.name] ??= []).push(card.dataset.state);
    };
    new MutationObserver((changes) => {
        for (const change of changes) {
            if (change.type === 'attributes') note(change.target);
            for (const node of change.addedNodes) {
                if (node.nodeType !== Node.ELEMENT_NODE) continue;
                note(node);
                node.querySelectorAll('[data-testid="file-card"]').forEach(note);
            }
        }
    }).observe(document.body, {
        subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
    });
}"""


def test_a_file_behind_another_is_never_said_to_wait_for_its_sender_who_is_online(
    new_user, tmp_path
):
    ada, bob = room_of_two(new_user)
    bob.page.evaluate(RECORD_CARD_STATES)
    first = random_file(tmp_path / "first.bin", 20 * 1024 * 1024)  # under the 25 MB default
    second = random_file(tmp_path / "second.bin", 20 * 1024 * 1024)
    send_files(ada, first, second)
    for name in ("first.bin", "second.bin"):
        expect_done(bob, name, timeout=120_000)
    states = bob.page.evaluate("window.__cardStates")
    assert states.get("second.bin"), states
    assert "waiting" not in states["first.bin"] + states["second.bin"], states


def test_automatic_downloads_follow_the_setting(new_user, tmp_path):
    ada, bob = room_of_two(new_user)
    state = bob.page.get_by_test_id("auto-download-state")
    expect(bob.page.get_by_test_id("auto-download")).to_have_value("25mb")
    expect(state).to_have_text(
        "Files up to 25 MB come by themselves; bigger ones wait until you click Download."
    )
    bob.page.get_by_test_id("auto-download").select_option("never")
    expect(state).to_have_text("Files wait until you click Download.")

    note = random_file(tmp_path / "note.bin", 2048)
    send_files(ada, note)
    expect(card(ada, "note.bin")).to_have_attribute("data-state", "done", timeout=60_000)
    ada.send("after the file")
    bob.expect_message("after the file")
    # The offer came before the message and was decided on arrival: it only waits.
    assert card(bob, "note.bin").get_attribute("data-state") == "offered"
    expect(card(bob, "note.bin").get_by_test_id("file-status")).to_have_text("Not downloaded yet")
    download(bob, "note.bin")
    expect_done(bob, "note.bin")
    assert save(bob, "note.bin", tmp_path) == sha256(note)

    bob.page.reload()
    expect(bob.page.get_by_test_id("auto-download")).to_have_value("never")
