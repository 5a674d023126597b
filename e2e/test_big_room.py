"""A big room on a partial mesh (issue 20, docs/protocol.md §6 big rooms): 24 browsers in
one room whose server suggests a degree of 3 (low 2, high 4), so that no member links
to more than 4 others and a message reaches most members over several hops. Every
member receives every message; closing a third of them does not cut the rest apart;
a member who joins after that gets the whole history.

Browsers only: a Python test peer keeps no log and relays nothing (parley_peer.room_peer),
so in a partial mesh it would be a dead end rather than a member, and the blind mirror
links to every member it is told of, which would make it the hub of the room.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from e2e.server import running_server
from e2e.user import User, onboarded_people

TARGET, LOW, HIGH = 3, 2, 4
MEMBERS = 24
# After a third leave at once, a member that lost a neighbour replaces it at once; if
# the rest were cut in two anyway, the shuffle (one link every 15-45 s per member) joins
# them again: a message may then take up to a few rounds to arrive.
AFTER_LEAVING_MS = 120_000


@pytest.fixture(scope="module")
def big_room_url():
    with running_server({"PARLEY_OVERLAY_DEGREE": f"{TARGET},{LOW},{HIGH}"}) as url:
        yield url


def ready_links(user: User) -> int:
    return user.page.locator('[data-testid="peer"][data-state="ready"]').count()


def expect_everywhere(users: list[User], text: str, timeout_ms: int = 30_000) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    for user in users:
        left_ms = max(1_000, int((deadline - time.monotonic()) * 1000))
        try:
            expect(user.message(text)).to_have_count(1, timeout=left_ms)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{user.everyone()}") from None


def test_a_room_of_24_on_links_of_degree_3(browser, big_room_url):
    with onboarded_people(browser, big_room_url) as person:
        ada = person("Ada")
        link = ada.create_room("Big room")
        members = [ada]
        for n in range(1, MEMBERS):
            member = person(f"M{n:02d}")
            member.open_invite(link)
            members.append(member)

        ada.send("Welcome, all 24")
        expect_everywhere(members, "Welcome, all 24")
        middle = members[12]
        middle.send("From the middle of the room")
        expect_everywhere(members, "From the middle of the room")

        # Nobody links to everyone: every member keeps to the high mark (a full mesh
        # would be 23 links each), and has at least one link.
        links = {f"member {n}": ready_links(member) for n, member in enumerate(members)}
        assert all(1 <= count <= HIGH for count in links.values()), links
        # In a big room a count of this device's links would say nothing of the room, and
        # nobody writes read receipts (each would reach every member).
        expect(ada.message("Welcome, all 24").get_by_test_id("delivery")).to_have_text("Delivered")
        # The header says so: the room's size, and the few this device links to.
        expect(ada.page.get_by_test_id("peer-summary")).to_have_text(
            re.compile(rf"^{MEMBERS} members · linked to [1-{HIGH}] · end-to-end encrypted")
        )

        # A third leave at once (every third member; not Ada); the rest stay one room.
        leaving = members[2::3]
        staying = [member for member in members if member not in leaving]
        assert len(leaving) == MEMBERS // 3
        for member in leaving:
            member.close()
        staying[5].send("After a third left")
        expect_everywhere(staying, "After a third left", AFTER_LEAVING_MS)

        # A newcomer gets the whole history from whoever it links to.
        late = person("Late")
        late.open_invite(link)
        for text in ("Welcome, all 24", "From the middle of the room", "After a third left"):
            expect_everywhere([late], text)
        assert ready_links(late) <= HIGH
