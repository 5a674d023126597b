"""Parley itself in the NAT lab: the fixtures the journeys stand on.

Users and a Python peer behind home routers reach the Parley server on the public
network, as secure contexts, and what the pages' peer connections are told can be
watched (rtc_watch.py). The journeys across NATs (chat, files, calls, "Hide my IP
address", a router restart) are test_nat_*.py.
"""

from playwright.sync_api import expect

from e2e.lab.rtc_watch import peer_connections, received_candidate_types
from e2e.lab.topology import SERVER_ADDRESS


def test_users_behind_both_kinds_of_nat_reach_the_server(lab_user):
    ada = lab_user("cone_a", "Ada")
    bo = lab_user("symmetric_b", "Bo", media=True)  # the calls' browser, with a fake camera

    for user in (ada, bo):
        assert user.page.evaluate("isSecureContext")
        assert user.server_url.startswith(f"http://{SERVER_ADDRESS}:")
    link = ada.create_room("Across")
    bo.open_invite(link)
    expect(bo.page.get_by_test_id("room-name")).to_have_text("Across")
    cameras = bo.page.evaluate(
        """async () => (await navigator.mediaDevices.enumerateDevices())
            .filter((device) => device.kind === 'videoinput').length"""
    )
    assert cameras == 3


def test_a_python_peer_behind_a_nat_reaches_the_server(nat_lab, lab_user, lab_python_peer):
    ada = lab_user("cone_a", "Ada")
    link = ada.create_room("Snakes")

    with lab_python_peer("symmetric_a", link, "Monty") as monty:
        assert monty.peer.room_name == "Snakes"
        # Its rendezvous socket lives behind the router, on the home's private network.
        local_address = monty.peer.signaling._socket.local_address[0]
        assert local_address == nat_lab.homes["symmetric_a"].user_address


def test_the_watch_sees_what_each_parley_page_was_told(lab_user):
    ada = lab_user("cone_a", "Ada")
    bo = lab_user("cone_b", "Bo")
    bo.open_invite(ada.create_room("Watched"))

    for user in (ada, bo):
        # Each page made a link to the other and heard the other's description and
        # candidates through the rendezvous server (whether or not the link comes up).
        user.page.wait_for_function(
            """() => (window.__labPeerConnections ?? []).some(
                 (r) => r.remoteSdps.length && r.remoteCandidates.length)""",
            timeout=20_000,
        )
        heard = [c for c in peer_connections(user.page) if c["remoteSdps"]]
        assert heard, user.everyone()
        assert all(received_candidate_types(c) for c in heard), heard
        assert all(c["configs"] for c in heard), heard
