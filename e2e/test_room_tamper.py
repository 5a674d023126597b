"""A member that sends tampered room entries (a real Python peer over WebRTC) is
rejected, and the honest history stays exactly as it was."""

import os

from playwright.sync_api import expect

LINK_TIMEOUT_S = 25


def warning(user, code):
    return user.page.locator(f'[data-testid="peer-warning"] [data-code="{code}"]')


def test_tampered_entries_from_a_peer_are_rejected_and_change_nothing(new_user, python_peer):
    ada = new_user("Ada")
    link = ada.create_room("Guarded")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("honest words")
    bob.expect_message("honest words", author="Ada")

    with python_peer(link, "Mallory") as mallory:
        ada.wait_for_peers(2)
        mallory.wait_ready(1, timeout=LINK_TIMEOUT_S)
        join = mallory.make_entry({"type": "join", "ts": 0, "clock": 5, "name": "Mallory"}, seq=0)
        fine = mallory.make_entry(
            mallory.message_body("a fair message", clock=6), seq=1, prev=join.id
        )
        mallory.send_entries([join, fine])
        ada.expect_message("a fair message", author="Mallory")
        honest = ada.timeline()

        # 1. a bad signature: the next entry with one bit of its signature flipped
        forged = bytearray(
            mallory.make_entry(mallory.message_body("forged", clock=7), seq=2, prev=fine.id).data
        )
        forged[-1] ^= 0x01
        mallory.send_entries([bytes(forged)])
        expect(warning(ada, "bad_signature")).to_be_visible()

        # 2. a broken chain: sequence 2 that does not point at sequence 1
        unchained = mallory.make_entry(
            mallory.message_body("unchained", clock=7), seq=2, prev=os.urandom(32)
        )
        mallory.send_entries([unchained])
        expect(warning(ada, "broken_chain")).to_be_visible()

        # 3. a fork: a second, different entry at sequence 1
        rival = mallory.make_entry(
            mallory.message_body("rewritten past", clock=6), seq=1, prev=join.id
        )
        mallory.send_entries([rival])
        expect(warning(ada, "fork")).to_be_visible()

        # after the fork nothing more of Mallory's log is accepted
        later = mallory.make_entry(
            mallory.message_body("after the fork", clock=8), seq=2, prev=fine.id
        )
        mallory.send_entries([later])
        ada.page.wait_for_timeout(1000)

        for text in ("forged", "unchained", "rewritten past", "after the fork"):
            expect(ada.message(text)).to_have_count(0)
            expect(bob.message(text)).to_have_count(0)
        assert ada.timeline() == honest
        bob.expect_message("a fair message", author="Mallory")
        assert bob.timeline() == honest
