"""A Python peer (parley_peer.room_peer over aiortc) is a member a browser can talk to.

The peer runs on its own event loop in a background thread (RoomPeerThread): Playwright's
sync API already owns this thread's loop.
"""

import time

from playwright.sync_api import expect

from e2e.connection_keys import connection_key_sorting_before
from parley_peer.encoding import b64url_decode
from parley_peer.redial import dials_again

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

        # What a tamper test builds on: honest entries, pushed as the author's own.
        expect_entries_shown_and_acked(ada, monty, "Hiss")


def expect_entries_shown_and_acked(ada, monty, text: str):
    """Monty's `join` and one message reach Ada's page, and her acks for both reach Monty.
    The browser names authors from their `join` entry (the first a member writes)."""
    join = monty.make_entry({"type": "join", "ts": 0, "clock": 1, "name": "Monty"}, seq=0)
    hiss = monty.make_entry(monty.message_body(text, clock=2), seq=1, prev=join.id)
    assert monty.send_entries([join, hiss]) == 1
    ada.expect_message(text, author="Monty")
    acked = set()
    while len(acked) < 2:
        _, ack = monty.next_frame("ack", timeout=LINK_TIMEOUT_S)
        acked.update(b64url_decode(entry_id) for entry_id in ack["ids"])
    assert acked == {join.id, hiss.id}


def dialling_monty(ada, python_peer, link: str):
    """Monty, linked to the room's one browser, as the end that dials again (§6: the one
    whose connection key sorts first): given a key that sorts before Ada's."""
    ada_key = ada.connection_key()
    monty = python_peer(link, "Monty", connection_key=connection_key_sorting_before(ada_key))
    monty.start()
    [browser] = monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
    assert browser.connection_key == ada_key, "Ada's page reconnected meanwhile"
    assert dials_again(browser.local_connection_key, browser.connection_key)
    return monty, browser


def expect_dialled_again(ada, monty, old):
    [again] = monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
    assert again is not old and again.link is not old.link
    assert again.connection_id == old.connection_id  # the same tab, a new link
    assert monty.closed_peers[0] is old and old.reason == "connection_failed"
    ada.wait_for_peers(1)
    expect(ada.page.get_by_test_id("peer-warning")).to_have_count(0)
    # The new link is a whole one: Monty's entries reach Ada, and her acks reach Monty.
    expect_entries_shown_and_acked(ada, monty, "Hiss again")


def test_a_link_that_fails_is_dialled_again_and_the_new_one_carries_the_room(new_user, python_peer):
    ada = new_user("Ada")
    monty, browser = dialling_monty(ada, python_peer, ada.create_room("Again"))
    ada.wait_for_peers(1)
    # The link fails at Monty's end, as when ICE fails; both stay in the room.
    monty.close_link(browser, "connection_failed")
    expect_dialled_again(ada, monty, browser)


def test_a_fresh_offer_replaces_a_link_the_other_end_gave_up_silently(new_user, python_peer):
    ada = new_user("Ada")
    monty, browser = dialling_monty(ada, python_peer, ada.create_room("Again"))
    ada.wait_for_peers(1)
    # Monty gives the link up without Ada hearing of it (its peer connection stays up, as
    # a crashed process's would): Ada's link is still ready when Monty's new offer comes,
    # with another certificate, and replaces it.
    monty.lose_link(browser, "connection_failed")
    expect_dialled_again(ada, monty, browser)
    deadline = time.monotonic() + LINK_TIMEOUT_S
    while not any(closed.endswith("closed (redialled)") for closed in ada.closed_links):
        assert time.monotonic() < deadline, f"Ada's closed links: {ada.closed_links}"
        ada.page.wait_for_timeout(100)
