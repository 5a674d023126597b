"""Playwright fixtures: Debian's Chromium, a real server per session, users as contexts.

Run against an already running server with `pytest e2e --base-url http://127.0.0.1:8000`.
"""

import pytest

from e2e.lab.browser import BASE_ARGS, CHROMIUM, MEDIA_ARGS
from e2e.server import running_server

# The flags every test browser runs with, and the fake camera and microphone of calls
# (e2e/lab/browser.py keeps both lists; the NAT lab leaves the media ones out).
CHROMIUM_ARGS = [*BASE_ARGS, *MEDIA_ARGS]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def server_url(pytestconfig):
    given = pytestconfig.getoption("--base-url")
    if given:
        yield given.rstrip("/")
        return
    with running_server() as url:
        yield url


@pytest.fixture
def new_user(browser, server_url):
    """Make users: each is a fresh browser context (its own storage) with one page."""
    contexts = []

    def make(name: str | None = None, **context_options):
        from e2e.user import User

        context = browser.new_context(base_url=server_url, **context_options)
        contexts.append(context)
        user = User(context.new_page(), server_url)
        if name:
            user.onboard(name)
        return user

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def python_peer(server_url):
    """Make Python room peers (RoomPeerThread, real WebRTC through aiortc) that the
    failure messages of the browser users describe too."""
    from e2e.user import User
    from parley_peer.room_peer_thread import RoomPeerThread

    def make(link: str, name: str, **options):
        peer = RoomPeerThread(server_url, link, name, **options)
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


@pytest.fixture
def persistent_user(browser_type, browser_type_launch_args, server_url, tmp_path):
    """Users whose browser profile lives on disk, so they can quit and come back.

    make(name, profile) launches a browser on profile `profile` (a name); calling it
    again with the same profile after user.close() reopens the same storage.
    """
    contexts = []

    def make(profile: str, name: str | None = None):
        from e2e.user import User

        context = browser_type.launch_persistent_context(
            tmp_path / profile, base_url=server_url, **browser_type_launch_args
        )
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        user = User(page, server_url)
        user.context = context
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
def mirrored(browser):
    """(url, mirror service, person(name) -> an onboarded User) on a server with a blind
    mirror beside it (e2e/mirror_service.py)."""
    from e2e.mirror_service import mirrored_server
    from e2e.user import onboarded_people

    with mirrored_server() as (url, mirror), onboarded_people(browser, url) as person:
        yield url, mirror, person
