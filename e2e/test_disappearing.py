"""Disappearing messages (issue 21, docs/protocol.md §7 "Disappearing messages"): Ada
sets a room's timer in the app; a message and a file she sends under it show for Bob
and reach the room's blind mirror, and at their expiry they are gone everywhere: from
both members' screens, their IndexedDB stores and OPFS, and from the mirror's database
and files, where only the entry's stub stays.

The shortest timer is 5 minutes. So that the test need not wait that long, Ada's page
clock is set back while she sends (Playwright's clock): her message and file carry a
`ts` from 5 minutes ago less a margin, exactly as a member whose clock is slow would
write them. Expiry counts from the author's timestamp, so Bob's device and the mirror,
on real time, expire them the margin after sending. Ada's clock is then set right and
she opens Parley again: her device drops them at the same moment as the others.
"""

import json
import time

from playwright.sync_api import expect

from e2e.test_mirror import (
    ENTRIES_JS,
    come_back,
    expect_mirror_holds_everything,
    keep_on_mirror,
)
from e2e.user import TIMEOUT_MS, User

ADA, BOB = "Adaline Quartermaine", "Bartholomew Okonkwo"
SECRET = "the spare key is under the third flowerpot"
FILE_NAME = "door-code-and-alarm-notes.bin"
# Every 32-byte line differs, so a line found anywhere is the file's plaintext.
FILE_BYTES = b"".join(b"parley-vanish-line-%012d\n" % i for i in range(300_000 // 32))
FILE_LINE = b"parley-vanish-line-000000000777\n"
TIMER_S = 300
MARGIN_S = 30  # between sending and expiry: the message reaches Bob and the mirror first
STUB_BYTES = 205

# Everything this origin keeps in IndexedDB and OPFS, as text the test can search: every
# object store's records (bytes as latin-1), and every OPFS file's name and bytes.
STORAGE_JS = """async () => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('parley');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const latin1 = (bytes) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');
    const plain = (value) => JSON.stringify(value, (key, v) => (
        v instanceof ArrayBuffer ? latin1(new Uint8Array(v))
            : v instanceof Uint8Array ? latin1(v) : v));
    const stores = {};
    for (const name of db.objectStoreNames) {
        stores[name] = await new Promise((resolve, reject) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => resolve(request.result.map(plain));
            request.onerror = () => reject(request.error);
        });
    }
    db.close();
    const files = [];
    async function walk(dir, path) {
        for await (const [name, handle] of dir.entries()) {
            if (handle.kind === 'directory') await walk(handle, `${path}${name}/`);
            else {
                const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
                files.push([`${path}${name}`, latin1(bytes)]);
            }
        }
    }
    await walk(await navigator.storage.getDirectory(), '');
    return { stores, files };
}"""


def stored(user: User) -> dict:
    return user.page.evaluate(STORAGE_JS)


def set_timer(user: User, label: str) -> None:
    user.page.get_by_test_id("room-menu").locator("summary").click()
    user.page.get_by_test_id("room-disappearing").click()
    dialog = user.page.get_by_test_id("disappear-dialog")
    dialog.get_by_test_id("disappear-select").select_option(label=label)
    dialog.get_by_test_id("disappear-save").click()
    expect(dialog).to_have_count(0)


def file_card(user: User):
    return user.page.locator(f'[data-testid="file-card"][data-name="{FILE_NAME}"]')


def test_a_message_and_a_file_disappear_on_both_members_and_the_mirror(mirrored, tmp_path):
    _, mirror, person = mirrored
    ada = person(ADA)
    link = ada.create_room("Holiday house")
    bob = person(BOB)
    bob.open_invite(link)
    ada.wait_for_peers(1)
    keep_on_mirror(ada)
    ada.send("this one stays")
    bob.expect_message("this one stays", author=ADA)

    set_timer(ada, "5 minutes")
    expect(ada.page.get_by_test_id("timer-event")).to_contain_text(
        "You set messages to disappear after 5 minutes"
    )
    expect(bob.page.get_by_test_id("timer-event")).to_contain_text(
        f"{ADA} set messages to disappear after 5 minutes", timeout=TIMEOUT_MS
    )
    for user in (ada, bob):
        expect(user.page.get_by_test_id("peer-summary")).to_contain_text(
            "disappearing after 5 minutes", timeout=TIMEOUT_MS
        )

    # Ada's clock falls behind: what she writes now expires MARGIN_S from now.
    sent_at = time.time()
    ada.page.clock.install(time=sent_at - (TIMER_S - MARGIN_S))
    # The fake clock runs once one of its timers has fired: the app's run on it from here.
    ada.page.wait_for_function("() => new Promise((done) => setTimeout(() => done(true), 1))")
    ada.send(SECRET)
    ada.expect_message(SECRET)
    (tmp_path / FILE_NAME).write_bytes(FILE_BYTES)
    ada.page.get_by_test_id("file-input").set_input_files(str(tmp_path / FILE_NAME))
    expect(file_card(ada)).to_have_count(1)  # the offer is written
    expiry = sent_at + MARGIN_S
    # The offer is written after the message, on the same slow clock: it expires as
    # much later (seconds, on a busy machine).
    file_expiry = time.time() + MARGIN_S

    # Before its time: shown on both, the file fetched by Bob and kept by the mirror.
    bob.expect_message(SECRET, author=ADA)
    expect(bob.message(SECRET).get_by_test_id("disappears")).to_be_visible()
    expect(file_card(bob)).to_have_attribute("data-state", "done", timeout=TIMEOUT_MS)
    expect_mirror_holds_everything(ada)
    for user in (ada, bob):
        held = stored(user)
        assert any(SECRET in record for record in held["stores"]["entries"])
        assert any(FILE_LINE.decode() in data for _, data in held["files"])
    whole = [data for _, _, _, data in mirror.entries() if data[0] == 2]
    assert len(whole) == 2 and all(len(data) > STUB_BYTES for data in whole)
    chunks = mirror.chunks()
    assert sum(len(chunk) for chunk in chunks) > len(FILE_BYTES)
    assert time.time() < expiry, "the test took too long to check what was there before expiry"

    # Ada's clock is set right (the browser's: Playwright's clock is its context's), and
    # the same browser opens Parley afresh, on time from the start.
    ada.page.clock.set_system_time(time.time())
    ada.page.close()
    ada = come_back(ada)
    assert abs(ada.page.evaluate("Date.now()") / 1000 - time.time()) < 5
    ada.page.get_by_test_id("room-list").get_by_text("Holiday house").click()
    ada.expect_message("this one stays")

    # At their time: gone everywhere.
    def until(at: float) -> int:
        return int((at - time.time()) * 1000) + TIMEOUT_MS

    for user in (ada, bob):
        expect(user.message(SECRET)).to_have_count(0, timeout=until(expiry))
        expect(file_card(user)).to_have_count(0, timeout=until(file_expiry))
        expect(user.message("this one stays")).to_have_count(1)
    for user in (ada, bob):
        # The file goes once the saves before it are done: a moment after the card.
        deadline = time.time() + TIMEOUT_MS / 1000
        held = stored(user)
        while held["stores"]["transfers"] or any(FILE_LINE.decode() in d for _, d in held["files"]):
            assert time.time() < deadline, "an expired file stayed in IndexedDB or OPFS"
            time.sleep(0.1)
            held = stored(user)
        assert held["files"] == [], "nothing is left of the file in OPFS, not even an empty copy"
        for name, records in held["stores"].items():
            for record in records:
                assert SECRET not in record and FILE_NAME not in record, (name, record[:300])
        stubs = [r for r in held["stores"]["entries"] if json.loads(r)["body"] is None]
        assert len(stubs) == 2 and all(len(json.loads(r)["bytes"]) == STUB_BYTES for r in stubs)
    deadline = time.time() + TIMEOUT_MS / 1000
    while any(len(data) != STUB_BYTES for _, _, _, data in mirror.entries() if data[0] == 2):
        assert time.time() < deadline, "the mirror kept an expired entry whole"
        time.sleep(0.1)
    deadline = time.time() + TIMEOUT_MS / 1000
    while mirror.chunks():
        assert time.time() < deadline, "the mirror kept an expired file's chunks"
        time.sleep(0.1)
    raw = mirror.raw_database()
    for data in whole:
        assert data[141:-64] not in raw, "the mirror's database still holds an entry's ciphertext"
    for chunk in chunks:
        assert chunk[:4096] not in raw, "the mirror's database still holds a chunk"
    # The room goes on: its history still verifies and replicates, stubs and all.
    bob.send("noted")
    ada.expect_message("noted", author=BOB)
    assert [e[1] for e in ada.page.evaluate(ENTRIES_JS)]  # the store still opens
