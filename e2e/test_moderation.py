"""Moderation (issue 20, docs/protocol.md §7 "Moderation"): in a founded room the founder
names a moderator; the moderator deletes another member's message for everyone and
removes that member; what the removed member writes afterwards appears for no one: not
for the members online, not for a member who was offline during the removal, and the
blind mirror does not store it. A member without the role is offered nothing, and what
such a member forges (a delete, a removal) counts for nothing.

The removed member is a Python peer (parley_peer.room_peer): a client that ignores its
removal and keeps writing, which an honest browser never does. Each "appears for no
one" is checked after an ordered barrier: the Python peer asks the browser for entries
on the same data channel, after the refused one, and waits for the answer.
"""

import time

from playwright.sync_api import expect

from e2e.test_mirror import (
    ENTRIES_JS,
    come_back,
    expect_mirror_holds_everything,
    keep_on_mirror,
    leave_page,
)
from e2e.user import TIMEOUT_MS, User
from parley_peer.encoding import b64url_decode, b64url_encode
from parley_peer.room_peer_thread import RoomPeerThread
from parley_peer.swarm import Peer

LINK_TIMEOUT_S = 30


class Writer:
    """The Python member's own log: seq, prev and a clock past everyone's."""

    def __init__(self, peer: RoomPeerThread) -> None:
        self.peer, self.seq, self.prev, self.clock = peer, 0, None, 1000

    def write(self, body: dict, to: Peer | None = None) -> tuple[int, bytes]:
        self.clock += 1
        entry = self.peer.make_entry(
            {"ts": int(time.time() * 1000), **body, "clock": self.clock}, self.seq, self.prev
        )
        self.peer.send_entries([entry], to)
        self.seq, self.prev = self.seq + 1, entry.id
        return self.seq - 1, entry.data

    def observe(self, entries: list) -> None:
        """A Lamport clock: past every clock seen (what an honest client writes)."""
        self.clock = max([self.clock, *(entry.body["clock"] for entry in entries)])

    def again(self, data: bytes, to: Peer) -> None:
        self.peer.send_entries([data], to)


def link_to(peer: RoomPeerThread, user: User) -> Peer:
    wanted = user.identity_id  # read here: the predicate runs on the peer's own thread

    def ready():
        return next((p for p in peer.peers if p.identity_id == wanted and p.state == "ready"), None)

    return peer.wait_for(ready, timeout=LINK_TIMEOUT_S)


def barrier(peer: RoomPeerThread, user: User) -> list:
    """Everything `user` sent on the link before it read this want has been handled
    there: the answer comes after it, on the same ordered channel. Returns the user's own
    entries, opened."""
    link = link_to(peer, user)
    peer.send_frame({"t": "want", "author": user.identity_id, "from": 0, "to": 64}, link)
    while True:
        source, frame = peer.next_frame("entries", timeout=LINK_TIMEOUT_S)
        if source is link:
            return [peer.open_entry(b64url_decode(text)) for text in frame["entries"]]


def members_row(user: User, name: str):
    user.page.get_by_test_id("room-menu").locator("summary").click()
    user.page.get_by_test_id("room-members").click()
    dialog = user.page.get_by_test_id("members-dialog")
    return dialog, dialog.get_by_test_id("member").filter(has_text=name)


def close_members(user: User) -> None:
    user.page.keyboard.press("Escape")
    expect(user.page.get_by_test_id("members-dialog")).to_have_count(0)


def test_a_moderator_removes_a_member_whose_later_messages_appear_for_no_one(mirrored):
    url, mirror, person = mirrored
    ada = person("Ada")
    link = ada.create_room("Town square")
    keep_on_mirror(ada)
    bob, dan = person("Bob"), person("Dan")
    for user in (bob, dan):
        user.open_invite(link)
    ada.wait_for_peers(2)

    cy_peer = RoomPeerThread(url, link, "Cy")
    User.python_peers.append(cy_peer)
    try:
        cy_peer.start()
        cy_peer.wait_ready(4, timeout=LINK_TIMEOUT_S)  # Ada, Bob, Dan and the mirror
        cy = Writer(cy_peer)
        cy.write({"type": "join", "name": "Cy"})
        cy.write({"type": "message", "text": "Buy cheap watches"})
        cy.write({"type": "message", "text": "hello all"})
        for user in (ada, bob, dan):
            user.expect_message("hello all", author="Cy")

        # Ada, the founder, makes Bob a moderator.
        dialog, row = members_row(ada, "Bob")
        expect(dialog.get_by_test_id("member").first).to_contain_text("Ada (you)")
        expect(dialog.get_by_test_id("member").first.get_by_test_id("member-role")).to_have_text(
            "Admin"
        )
        row.get_by_test_id("member-actions").select_option("moderator")
        expect(row.get_by_test_id("member-role")).to_have_text("Moderator", timeout=TIMEOUT_MS)
        close_members(ada)
        expect(bob.page.get_by_test_id("role-event")).to_contain_text(
            "Ada made you a moderator", timeout=TIMEOUT_MS
        )
        expect(dan.page.get_by_test_id("role-event")).to_contain_text(
            "Ada made Bob a moderator", timeout=TIMEOUT_MS
        )

        # Dan has no role: nothing to manage, nobody else's message to delete.
        dialog, _ = members_row(dan, "Cy")
        expect(dialog.get_by_test_id("member")).to_have_count(4)  # the mirror is nobody
        expect(dialog.get_by_test_id("member-actions")).to_have_count(0)
        close_members(dan)
        expect(dan.message("hello all").get_by_test_id("action-delete")).to_have_count(0)
        expect(bob.message("hello all").get_by_test_id("action-delete")).to_have_count(1)

        # Cy, no moderator either, forges a delete of Ada's message and Bob's removal.
        ada.send("Welcome to the square")
        ada.expect_message("Welcome to the square")
        welcome = next(
            e for e in barrier(cy_peer, ada) if e.body.get("text") == "Welcome to the square"
        )
        cy.write({"type": "delete", "target": b64url_encode(welcome.id)})
        cy.write({"type": "remove", "member": bob.identity_id, "upTo": 0})
        barrier(cy_peer, ada)
        expect(ada.page.get_by_test_id("remove-event")).to_have_count(0)
        ada.expect_message("Welcome to the square")
        dialog, row = members_row(ada, "Bob")
        expect(row.get_by_test_id("member-role")).to_have_text("Moderator")
        close_members(ada)

        # Bob, the moderator, deletes Cy's spam for everyone.
        spam = bob.message("Buy cheap watches")
        spam.hover()
        spam.get_by_test_id("action-delete").click()
        bob.page.get_by_test_id("delete-dialog-confirm").click()
        for user in (ada, bob, dan):
            expect(user.page.get_by_test_id("message-deleted")).to_have_text(
                "Removed by you" if user is bob else "Removed by Bob", timeout=TIMEOUT_MS
            )
            expect(user.message("Buy cheap watches")).to_have_count(0)

        # Dan goes away; Bob removes Cy.
        leave_page(dan)
        dialog, row = members_row(bob, "Cy")
        row.get_by_test_id("member-actions").select_option("remove")
        bob.page.get_by_test_id("remove-member-dialog-confirm").click()
        expect(row.get_by_test_id("member-state")).to_have_text("removed", timeout=TIMEOUT_MS)
        close_members(bob)
        expect(ada.page.get_by_test_id("remove-event")).to_contain_text(
            "Bob removed Cy from the room", timeout=TIMEOUT_MS
        )
        expect_mirror_holds_everything(bob)  # the removal is stored there too

        # Cy ignores it and writes on, to everyone linked: Ada, Bob and the mirror.
        seq, ignored = cy.write({"type": "message", "text": "Still here, ha"})
        for user in (ada, bob):
            barrier(cy_peer, user)
            expect(user.message("Still here, ha")).to_have_count(0)
            user.expect_message("hello all")  # what Cy wrote before the removal stays
        cy_key = b64url_decode(cy_peer.identity_id)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while "refused 1 entries of a removed member" not in mirror.log():
            assert time.monotonic() < deadline, mirror.log()[-2000:]
            time.sleep(0.1)
        held = {(author, s) for _, author, s, _ in mirror.entries()}
        assert (cy_key, seq - 1) in held and (cy_key, seq) not in held

        # Dan comes back. Cy sends the message straight to him; whichever arrives first,
        # the removal (from the others or the mirror) takes it out.
        dan = come_back(dan)
        cy.again(ignored, link_to(cy_peer, dan))
        expect(dan.page.get_by_test_id("remove-event")).to_contain_text(
            "Bob removed Cy from the room", timeout=TIMEOUT_MS
        )
        barrier(cy_peer, dan)
        expect(dan.message("Still here, ha")).to_have_count(0)
        dan.expect_message("hello all")
        expect(dan.page.get_by_test_id("message-deleted")).to_have_text("Removed by Bob")
        stored = {(author, s) for _, author, s, _ in dan.page.evaluate(ENTRIES_JS)}
        assert (cy_peer.identity_id, seq - 1) in stored
        assert (cy_peer.identity_id, seq) not in stored
        assert dan.page.get_by_test_id("composer").is_enabled()
    finally:
        User.python_peers.remove(cy_peer)
        cy_peer.close()
