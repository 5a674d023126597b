"""Where a file's chunks come from (docs/protocol.md §11): a member that serves damaged
chunks (a real Python peer over WebRTC) is caught by the Merkle proofs and dropped as a
source, and the file still arrives intact from an honest one; and a member who got the
file earlier serves it when the sender is gone."""

import re

from playwright.sync_api import expect

from e2e.test_files import CHUNK, card, expect_done, random_file, save, send_files, sha256
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.log_fetch import file_offers

LINK_TIMEOUT_S = 25
MAX_BAD_CHUNKS_PER_FILE = 4  # §11: then the peer is not asked for that file again


def served_to_others(user, name: str) -> int:
    """The card's count of chunks this device sent to others (0 when it shows none)."""
    details = card(user, name).get_by_test_id("file-details").text_content() or ""
    found = re.search(r"(\d+) chunks? sent to others", details)
    return int(found.group(1)) if found else 0


def expect_served(user, name: str, at_least: int, timeout: int = 10_000) -> int:
    """Waits until the card counts at least that many chunks sent to others: it redraws
    at most every 200 ms, so right after the receiver is done it may lag a little."""
    user.page.wait_for_function(
        """([name, least]) => {
            const details = document.querySelector(
                `[data-testid=file-card][data-name="${name}"] [data-testid=file-details]`);
            const found = /(\\d+) chunks? sent to others/.exec(details?.textContent ?? '');
            return found !== null && Number(found[1]) >= least;
        }""",
        arg=[name, at_least],
        timeout=timeout,
    )
    return served_to_others(user, name)


def test_damaged_chunks_are_rejected_and_fetched_from_an_honest_member(
    persistent_user, new_user, python_peer, tmp_path
):
    ada = persistent_user("ada", "Ada")
    link = ada.create_room("Sources")
    path = random_file(tmp_path / "mixed.bin", 5 * 1024 * 1024 + 1234)
    data = path.read_bytes()
    count = -(-len(data) // CHUNK)
    send_files(ada, path)
    expect_done(ada, "mixed.bin", timeout=60_000)  # offered: in the room log

    with python_peer(link, "Mallory") as mallory:
        mallory.wait_ready(1, timeout=LINK_TIMEOUT_S)
        # Mallory reads the offer from Ada's log and holds the same bytes, so all its
        # chunks are valid but two: one with a flipped ciphertext bit, one with a
        # flipped proof node, served damaged every time they are asked for.
        log = mallory.fetch_log()
        [offer] = file_offers(log)
        held = mallory.hold_file(
            data,
            b64url_decode(offer["key"], 32),
            corrupt={2: "ciphertext", 9: "proof"},
            version=offer.get("format", 1),
        )
        assert b64url_encode(held.root) == offer["root"]

        # Ada goes away; Bob joins and hears of the file from Mallory (who relays Ada's
        # log), so for now Mallory is his only source.
        ada.close()
        bob = new_user("Bob")
        bob.open_invite(link)
        bob.wait_for_peers(1)
        [to_bob] = mallory.wait_for(
            lambda: [p for p in mallory.peers if p.state == "ready" and p.name == "Bob"],
            timeout=LINK_TIMEOUT_S,
        )
        mallory.send_entries([item.data for item in log], peer=to_bob)
        expect(card(bob, "mixed.bin")).to_have_count(1, timeout=20_000)

        # Bob takes every good chunk, rejects each damaged copy, asks again (Mallory is
        # the only one who has them) and after 4 bad chunks stops asking Mallory.
        expect(card(bob, "mixed.bin")).to_have_attribute(
            "data-rejected", str(MAX_BAD_CHUNKS_PER_FILE), timeout=30_000
        )
        assert set(held.corrupted) == {2, 9}
        assert len(held.corrupted) >= MAX_BAD_CHUNKS_PER_FILE
        # Bob sees who was marked, by name.
        expect(card(bob, "mixed.bin")).to_have_attribute("data-banned", "1")
        expect(card(bob, "mixed.bin").get_by_test_id("file-details")).to_contain_text(
            "not asking Mallory again"
        )
        held_by_bob = int(card(bob, "mixed.bin").get_attribute("data-held"))
        assert held_by_bob <= count - 2
        assert card(bob, "mixed.bin").get_attribute("data-state") != "done"

        # Ada comes back: Bob now has both members online, fetches the rest from Ada
        # only, and the file is byte-identical. Asks Bob sent before the ban may still be
        # on their way to Mallory: the barrier's answer comes on the same ordered channel
        # after them, so once Mallory has it, every ask sent so far is counted.
        mallory.file_barrier(to_bob, held, timeout=LINK_TIMEOUT_S)
        asked_of_mallory = len(held.asked)
        ada = persistent_user("ada")
        ada.open()
        expect(ada.page.get_by_test_id("room-name")).to_have_text("Sources")
        expect_done(bob, "mixed.bin", timeout=60_000)
        assert save(bob, "mixed.bin", tmp_path) == sha256(path)
        assert len(held.asked) == asked_of_mallory, "a banned source was asked again"
        # At least the two chunks Mallory only ever served damaged came from Ada.
        served_by_ada = expect_served(ada, "mixed.bin", 2)
        rejected = int(card(bob, "mixed.bin").get_attribute("data-rejected"))
        assert rejected == MAX_BAD_CHUNKS_PER_FILE
        print(
            f"\nMallory: asked for {len(held.asked)} chunks, sent {len(held.served)} intact"
            f" and {len(held.corrupted)} damaged {held.corrupted}; Bob held"
            f" {held_by_bob}/{count} when he stopped asking her; Ada then sent {served_by_ada}"
        )


def test_a_member_who_has_the_file_serves_it_when_the_sender_is_gone(new_user, tmp_path):
    ada = new_user("Ada")
    link = ada.create_room("Relay")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    path = random_file(tmp_path / "relayed.bin", 3 * 1024 * 1024 + 77)
    count = -(-path.stat().st_size // CHUNK)
    send_files(ada, path)
    expect_done(bob, "relayed.bin", timeout=60_000)
    assert served_to_others(bob, "relayed.bin") == 0

    ada.close()
    cleo = new_user("Cleo")
    cleo.open_invite(link)
    cleo.wait_for_peers(1)  # Bob, the only one online
    expect_done(cleo, "relayed.bin", timeout=60_000)
    assert save(cleo, "relayed.bin", tmp_path) == sha256(path)
    # Every chunk Cleo holds came from Bob: he counts them as sent.
    expect_served(bob, "relayed.bin", count)
    assert int(card(cleo, "relayed.bin").get_attribute("data-received")) >= count
