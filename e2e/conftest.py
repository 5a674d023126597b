"""Playwright fixtures: Debian's Chromium, a real server per session, users as contexts.

Run against an already running server with `pytest e2e --base-url http://127.0.0.1:8000`.

`make test` runs them on two workers (pytest-xdist: `pytest e2e -n 2 --dist loadgroup`),
each with its own browser and its own servers on ports held for them (e2e/server.py);
the tests of one group of SAME_WORKER below run one after the other on one worker, and
those of ALONE with no other test beside them.
"""

import fcntl
import os
from pathlib import Path

import pytest

from e2e.lab.browser import BASE_ARGS, CHROMIUM, MEDIA_ARGS
from e2e.server import running_server

# The flags every test browser runs with, and the fake camera and microphone of calls
# (e2e/lab/browser.py keeps both lists; the NAT lab leaves the media ones out).
CHROMIUM_ARGS = [*BASE_ARGS, *MEDIA_ARGS]

HERE = Path(__file__).parent
# Tests that must not run at the same time as each other, by path under e2e/: an xdist
# group each (other tests go to whichever worker is free).
SAME_WORKER = {
    # The NAT lab: the session's lab (fixture nat_lab, four homes, coturn, browsers) is
    # made once, on one worker; and the teardown tests delete the namespaces of runs that
    # are gone (netns.remove_leftovers), which must not race another worker's lab.
    "lab": "nat_lab",
    # The tests that run alone (ALONE), one after the other.
    "test_big_room.py": "alone",
    "test_big_room_call.py": "alone",
    "test_group_calls.py": "alone",
}
# Tests that run with no other test beside them: the big rooms' two dozen pages each,
# and the group calls' mesh of video streams (each page encodes one per link), keep both
# cores busy; a test beside them would run at a fraction of its speed, its timeouts (and
# theirs) a matter of luck. The other workers finish the test they are running and wait.
ALONE = {"test_big_room.py", "test_big_room_call.py", "test_group_calls.py"}


def _under_e2e(item) -> tuple[str, ...]:
    return item.path.relative_to(HERE).parts if HERE in item.path.parents else ()


# Before xdist's own hook, which reads the groups off the markers (--dist loadgroup).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        parts = _under_e2e(item)  # none: a test of tests/, collected in the same run
        if parts and parts[0] in SAME_WORKER:
            item.add_marker(pytest.mark.xdist_group(SAME_WORKER[parts[0]]))


@pytest.fixture(autouse=True)
def _alone_or_beside_others(request, tmp_path_factory):
    """On a worker of pytest-xdist: a test of ALONE waits until the tests running on the
    other workers are done and keeps them from starting others until it is; any other
    test waits while one of ALONE runs. A lock file of the run, shared by its workers:
    every test holds `running` shared, a test of ALONE exclusive; `gate` (held briefly,
    or by a test of ALONE for as long as it runs) lets a test of ALONE in before tests
    that come after it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield  # one process, one test at a time
        return
    parts = _under_e2e(request.node)
    alone = bool(parts) and parts[0] in ALONE
    folder = tmp_path_factory.getbasetemp().parent  # the run's, above each worker's own
    with (
        open(folder / "e2e-gate.lock", "a") as gate,
        open(folder / "e2e-running.lock", "a") as running,
    ):
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(running, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(gate, fcntl.LOCK_UN)
        yield  # both are let go when the files close


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
