"""Steps the Parley journeys across the lab share (test_nat_*.py): people in one room,
and the route each peer chip shows.

    in_one_room("Across", ada, bo)       # Ada makes it, the others open her invite
    expect_route(ada, "relayed")         # every peer chip says "Relayed"
"""

from playwright.sync_api import expect

from e2e.lab.rtc_watch import peer_connections
from e2e.user import TIMEOUT_MS


def in_one_room(room: str, *users) -> None:
    """The first user makes the room, the others open its invite, and every page has a
    ready link to each of the others."""
    first, *others = users
    link = first.create_room(room)
    for user in others:
        user.open_invite(link)
    for user in users:
        user.wait_for_peers(len(users) - 1)


def expect_route(user, route: str, count: int = 1) -> None:
    """The page shows `count` peers, each with `route` ('direct' or 'relayed')."""
    routes = user.page.get_by_test_id("peer-route")
    try:
        expect(routes).to_have_count(count, timeout=TIMEOUT_MS)
        for chip in routes.all():
            expect(chip).to_have_attribute("data-route", route, timeout=TIMEOUT_MS)
            expect(chip).to_have_text(route.capitalize())
    except AssertionError as error:
        pairs = [(c["state"], c["pair"]) for c in peer_connections(user.page)]
        raise AssertionError(f"{error}\nselected pairs: {pairs}\n{user.everyone()}") from None
