"""A Python peer (parley_peer.room_peer over aiortc) is a member a browser can talk to.

The peer runs on its own event loop in a background thread (RoomPeerThread): Playwright's
sync API already owns this thread's loop.
"""

from playwright.sync_api import expect

from parley_peer.encoding import b64url_decode

LINK_TIMEOUT_S = 25


def test_a_python_peer_joins_by_invite_link_and_the_browser_shows_it_connected(
    new_user, python_peer
):
    ada = new_user("Ada")
    link = ada.create_room("Snakes")

    with python_peer(link, "Monty") as monty:
        assert monty.peer.room_name == "Snakes"
        ada.wait_for_peers(1)
        chip = ada.page.locator('[data-testid="peer"][data-state="ready"]')
        expect(chip).to_contain_text("Monty")

        [browser] = monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
        assert browser.identity_id == ada.identity_id
        assert browser.name == "Ada"
        assert monty.rejections == []
        expect(ada.page.get_by_test_id("peer-warning")).to_have_count(0)

        # What a tamper test builds on: honest entries, pushed as the author's own. The
        # browser names authors from their `join` entry (the first a member writes).
        join = monty.make_entry({"type": "join", "ts": 0, "clock": 1, "name": "Monty"}, seq=0)
        hiss = monty.make_entry(monty.message_body("Hiss", clock=2), seq=1, prev=join.id)
        assert monty.send_entries([join, hiss]) == 1
        ada.expect_message("Hiss", author="Monty")
        acked = set()
        while len(acked) < 2:
            _, ack = monty.next_frame("ack", timeout=LINK_TIMEOUT_S)
            acked.update(b64url_decode(entry_id) for entry_id in ack["ids"])
        assert acked == {join.id, hiss.id}
