"""A call in a big room (issue 20, docs/protocol.md §6 Calls): eight members on links of
degree 2 (low 2, high 3), so each links to three at most: whoever Ada and the one who
takes her call link to, at least two members are linked to neither. Ada calls; a
neighbour accepts. A member with no link to anyone in the call learns of it from the
room's history, joins through the call's own rendezvous topic, and is linked to its
participants and nobody else: the call is three, and the room's other members are not
linked for it."""

import json

import pytest
from playwright.sync_api import expect

from e2e.calls import WATCH_MEDIA, call_view
from e2e.server import running_server
from e2e.test_big_room import expect_everywhere
from e2e.user import TIMEOUT_MS, User, onboarded_people

TARGET, LOW, HIGH = 2, 2, 3
MEMBERS = 8
# A random graph this small may start in two parts; the shuffle joins them in a few rounds.
CONNECTED_MS = 120_000


@pytest.fixture(scope="module")
def big_call_url():
    with running_server({"PARLEY_OVERLAY_DEGREE": f"{TARGET},{LOW},{HIGH}"}) as url:
        yield url


def linked_names(user: User, states: str = '[data-state="ready"]') -> set[str]:
    chip_names = user.page.locator(f'[data-testid="peer"]{states} .dot + span')
    return {name.strip() for name in chip_names.all_inner_texts()}


def linking_names(user: User) -> set[str]:
    """Links ready or on their way: a link not even begun cannot carry a call's news
    within the next moment."""
    return linked_names(user, ':not([data-state="closed"])')


def joined_topics(user: User) -> set[str]:
    return {
        frame["topic"]
        for direction, text in user.frames
        if direction == "sent" and (frame := json.loads(text)).get("type") == "join"
    }


def test_a_call_in_a_big_room_links_its_participants_and_nobody_else(browser, big_call_url):
    with onboarded_people(browser, big_call_url) as person:

        def member(name: str) -> User:
            user = person(name)
            user.page.add_init_script(WATCH_MEDIA)
            return user

        ada = member("Ada")
        link = ada.create_room("Town hall")
        members, names = [ada], {"Ada": ada}
        for n in range(1, MEMBERS):
            user = member(f"M{n}")
            user.open_invite(link)
            members.append(user)
            names[f"M{n}"] = user
        name_of = {user: name for name, user in names.items()}
        ada.send("Call at noon")
        expect_everywhere(members, "Call at noon", CONNECTED_MS)

        # A swap of the shuffle may be under way: Ada's next ready link, whichever it is.
        ready = ada.page.locator('[data-testid="peer"][data-state="ready"]')
        expect(ready).not_to_have_count(0, timeout=TIMEOUT_MS)
        neighbour = names[sorted(linked_names(ada))[0]]
        ada.page.get_by_test_id("call-video").click()
        expect(call_view(ada)).to_have_attribute("data-phase", "outgoing")
        expect(call_view(neighbour)).to_have_attribute("data-phase", "incoming", timeout=TIMEOUT_MS)
        neighbour.page.get_by_test_id("call-accept").click()
        for user in (ada, neighbour):
            expect(call_view(user)).to_have_attribute("data-phase", "active", timeout=TIMEOUT_MS)

        # Someone linked to neither of them hears of the call from the history alone.
        in_call = {"Ada", name_of[neighbour]}

        def apart(user: User) -> bool:
            return not (linking_names(user) & in_call) and not call_view(user).is_visible()

        outsiders = [m for m in members[1:] if m is not neighbour and apart(m)]
        assert len(outsiders) >= 2, [sorted(linked_names(m)) for m in members]
        for outsider in outsiders:
            banner = outsider.page.get_by_test_id("call-banner")
            expect(banner).to_contain_text("Video call in progress", timeout=TIMEOUT_MS)
        # The one still apart now (the shuffle may have linked another meanwhile) joins.
        outsider = next(m for m in outsiders if apart(m))
        room_topics = joined_topics(outsider)
        outsider.page.get_by_test_id("call-join").click()
        expect(call_view(outsider)).to_have_attribute("data-phase", "active", timeout=TIMEOUT_MS)
        for user in (ada, neighbour, outsider):
            expect(user.page.get_by_test_id("call-tile")).to_have_count(3, timeout=TIMEOUT_MS)
        # It went through the call's own topic, and is now linked to both in the call.
        assert len(joined_topics(outsider) - room_topics) == 1
        assert in_call <= linked_names(outsider)
        # The others were not linked for it: nobody but the three is in the call.
        for user in members:
            if user not in (ada, neighbour, outsider):
                expect(user.page.get_by_test_id("call-tile")).to_have_count(0)
