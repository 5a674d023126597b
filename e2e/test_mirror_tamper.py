"""A mirror that tampers (docs/protocol.md §12): the server's own mirror key in a Python
peer whose hello says it is a mirror (so members trust it as the mirror) hands Bob, who
was away, an altered copy of Ada's entry, an entry of another
room, an entry it wrote itself and a damaged chunk. Bob's browser rejects each (the
entries with the reason of §7, the chunk by its proof), shows and stores nothing of them,
and takes the honest copies."""

import hashlib

from nacl.signing import SigningKey
from playwright.sync_api import expect

from e2e.test_mirror import ENTRIES_JS, come_back, leave_page
from e2e.user import TIMEOUT_MS
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.entry import CIPHERTEXT, create_entry
from parley_peer.keys import new_room_secret
from parley_peer.log_fetch import file_offers
from parley_peer.room_peer import RoomPeer
from parley_peer.room_peer_thread import RoomPeerThread

FILE_BYTES = bytes((i * 7 + 3) & 0xFF for i in range(300_000))  # three chunks


def warning(user, code):
    return user.page.locator(f'[data-testid="peer-warning"] [data-code="{code}"]')


def test_a_tampering_mirror_is_caught_and_nothing_of_it_is_shown_or_stored(mirrored, tmp_path):
    server_url, service, person = mirrored
    service.stop()  # its key plays the mirror here, and tampers
    mirror_key = SigningKey(b64url_decode((service.folder / "mirror.key").read_text().strip()))
    ada = person("Ada")
    link = ada.create_room("Guarded")
    bob = person("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("before Bob left")
    bob.expect_message("before Bob left", author="Ada")
    leave_page(bob)
    ada.send("while Bob was away")
    (tmp_path / "plan.bin").write_bytes(FILE_BYTES)
    ada.page.get_by_test_id("file-input").set_input_files(str(tmp_path / "plan.bin"))
    card = '[data-testid="file-card"][data-name="plan.bin"]'
    expect(ada.page.locator(card)).to_have_attribute("data-state", "done", timeout=TIMEOUT_MS)

    with RoomPeerThread(server_url, link, "", identity=mirror_key, role="mirror") as mirror:
        mirror.wait_ready(1)
        log = mirror.fetch_log()  # what an honest mirror would hold of Ada's
        [offer] = file_offers(log)
        leave_page(ada)
        held = mirror.hold_file(
            FILE_BYTES,
            b64url_decode(offer["key"]),
            corrupt={1: "ciphertext"},
            corrupt_times=1,
            version=offer.get("format", 1),
        )
        bob = come_back(bob)
        mirror.wait_for(lambda: [p for p in mirror.peers if p.state == "ready"])

        away = next(item for item in log if item.entry.body.get("text") == "while Bob was away")
        altered = bytearray(away.data)
        altered[CIPHERTEXT + 3] ^= 0x01
        stranger = RoomPeer(server_url, new_room_secret(), "Elsewhere")  # never started
        elsewhere = stranger.make_entry(stranger.message_body("from elsewhere", clock=9), seq=0)
        own = create_entry(
            identity=mirror.peer.identity,
            seq=0,
            prev=None,
            body=mirror.message_body("written by the mirror", clock=9),
            message_key=mirror.room_keys.membership_key,  # all a mirror has: not enough
            discovery_key=mirror.room_keys.discovery_key,
        )
        mirror.send_entries([bytes(altered), elsewhere, own])
        expect(warning(bob, "bad_signature")).to_be_visible()
        expect(warning(bob, "undecryptable")).to_be_visible()

        mirror.send_entries([item.data for item in log])  # the honest copies
        bob.expect_message("while Bob was away", author="Ada")
        bob_card = bob.page.locator(card)
        expect(bob_card).to_have_attribute("data-state", "done", timeout=TIMEOUT_MS)
        assert held.corrupted == [1] and held.asked.count(1) == 2  # rejected, asked again
        with bob.page.expect_download() as download:
            bob_card.get_by_test_id("file-save").click()
        download.value.save_as(tmp_path / "saved.bin")
        saved = (tmp_path / "saved.bin").read_bytes()
        assert hashlib.sha256(saved).digest() == hashlib.sha256(FILE_BYTES).digest()

    for text in ("from elsewhere", "written by the mirror"):
        expect(bob.message(text)).to_have_count(0)
    shown = [line.split(" | ")[1] for line in bob.timeline()]
    assert shown[:2] == ["before Bob left", "while Bob was away"]
    # Stored: the honest entries, byte for byte, and nothing of the mirror's.
    held = {(author, seq): bytes(data) for _, author, seq, data in bob.page.evaluate(ENTRIES_JS)}
    mirror_id = b64url_encode(mirror.peer.identity.verify_key.encode())
    assert all(author != mirror_id for author, _ in held)
    for item in log:
        assert held[(b64url_encode(item.entry.author), item.entry.seq)] == item.data
