"""Fixtures of the NAT lab (e2e/lab/): one lab per session, pages per test.

The lab needs root; without it these fixtures fail with the reason, they never skip.
"""

import pytest

from e2e.lab.bare_rtc import open_page
from e2e.lab.nat_lab import NatLab


@pytest.fixture(scope="session")
def nat_lab(playwright):
    with NatLab(playwright) as world:
        yield world


@pytest.fixture
def lab_page(nat_lab):
    """lab_page(home): a fresh page on the bare test origin in that home's browser."""
    pages = []

    def make(home: str):
        page = open_page(nat_lab.browser(home), nat_lab.page_origin)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


@pytest.fixture
def lab_user(nat_lab):
    """lab_user(home, name=None, offers="stun_and_turn", media=False): a Parley user
    (e2e/user.py) in a fresh context of that home's browser, on the lab's Parley server
    that offers `offers` (nat_lab.PARLEY_PORTS); onboarded when given a name. media=True
    is the calls' browser (fake camera and microphone; it sends raw host candidates).
    Its peer connections are watched: rtc_watch.peer_connections(user.page)."""
    from e2e.lab.rtc_watch import watch_peer_connections
    from e2e.user import User

    contexts = []

    def make(home: str, name: str | None = None, *, offers="stun_and_turn", media=False):
        origin = nat_lab.parley(offers)
        context = nat_lab.browser(home, media=media).new_context(base_url=origin)
        contexts.append(context)
        watch_peer_connections(context)
        user = User(context.new_page(), origin)
        if name:
            user.onboard(name)
        return user

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - already closed by the test
            pass


@pytest.fixture
def lab_python_peer(nat_lab):
    """lab_python_peer(home, link, name, offers="stun_and_turn", **options): a Python room
    peer (RoomPeerThread) whose sockets are all behind that home's router."""
    from e2e.lab.parley import inside_home
    from e2e.user import User
    from parley_peer.room_peer_thread import RoomPeerThread

    def make(home: str, link: str, name: str, *, offers="stun_and_turn", **options):
        origin = nat_lab.parley(offers)
        peer = inside_home(nat_lab.homes[home], RoomPeerThread, origin, link, name, **options)
        User.python_peers.append(peer)
        return peer

    try:
        yield make
    finally:
        peers, User.python_peers = User.python_peers, []
        for peer in peers:
            try:
                peer.close()
            except Exception as error:  # the others still close; the test's own failure shows
                print(f"closing the Python peer {peer.peer.name} failed: {error!r}")
