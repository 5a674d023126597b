""" "Hide my IP address" across home routers (issue 16): a person who turns it on is
reached only through the relay, and the other side never learns either of their
addresses, neither the router's public one nor the one inside the home.

Two homes behind cone-like NATs, where a direct link would work (the journeys of
test_nat_journeys.py): first one person hides, from before any link, then the other
turns it on in the middle of the conversation and the live link is dialled again,
relay-only. What the other page received is read from everything its peer connections
were handed (SDPs, trickled candidates, getStats' remote candidates; rtc_watch.py).
"""

import re

from playwright.sync_api import expect

from e2e.lab.journey_steps import expect_route, in_one_room
from e2e.lab.rtc_watch import (
    connected_links,
    everything_received,
    pair_types,
    peer_connections,
    received_candidate_types,
)
from e2e.user import TIMEOUT_MS


def hide_my_ip(user):
    page = user.page
    page.get_by_role("switch", name="Hide my IP address").click()
    expect(page.get_by_test_id("hide-ip-toggle")).to_be_checked()
    expect(page.get_by_test_id("hide-ip-indicator")).to_be_visible()
    # This server offers a relay: no warning that hiding leaves the person alone.
    expect(page.get_by_test_id("hide-ip-warning")).to_be_hidden()


def expect_hidden_from(connections: list[dict], home) -> None:
    """No connection of the other page heard of the hiding side anything but relay
    candidates, nor any of its home's two addresses."""
    heard = [c for c in connections if c["remoteSdps"]]
    assert heard, "the other page was reached"
    addresses = re.compile(
        rf"(?<![\d.])({re.escape(home.wan_address)}|{re.escape(home.user_address)})(?!\d)"
    )
    for connection in heard:
        assert received_candidate_types(connection) == {"relay"}, connection
        assert {c["type"] for c in connection["statsRemoteCandidates"]} <= {"relay"}, connection
        leaked = addresses.findall(everything_received(connection))
        assert not leaked, everything_received(connection)


def test_hide_my_ip_address_on_one_side_then_on_both(nat_lab, lab_user):
    ada = lab_user("cone_a", "Ada")
    hide_my_ip(ada)  # before any link: nothing of hers but the relay may ever leave
    bo = lab_user("cone_b", "Bo")
    in_one_room("Hidden", ada, bo)

    ada.send("you cannot see where I am")
    bo.expect_message("you cannot see where I am", author="Ada")
    for user in (ada, bo):
        expect_route(user, "relayed")
    # Ada's end of every selected pair is her relay, whatever Bo's end is.
    ada_links, bo_links = connected_links(ada.page), connected_links(bo.page)
    assert ada_links and all(pair_types(link)[0] == "relay" for link in ada_links), ada_links
    assert bo_links and all(pair_types(link)[1] == "relay" for link in bo_links), bo_links
    assert all(c["configs"][-1]["iceTransportPolicy"] == "relay" for c in ada_links)
    expect_hidden_from(peer_connections(bo.page), nat_lab.homes["cone_a"])

    # Bo hides too, in the middle of the conversation: his live link is dialled again.
    ada_before = len(peer_connections(ada.page))
    hide_my_ip(bo)
    ada.page.wait_for_function(
        """(before) => window.__labPeerConnections.slice(before)
             .some((r) => r.pc.connectionState === 'connected')""",
        arg=ada_before,
        timeout=TIMEOUT_MS,
    )
    for user in (ada, bo):
        user.wait_for_peers(1)
        expect_route(user, "relayed")
    bo.send("neither can you now")
    ada.expect_message("neither can you now", author="Bo")

    for user in (ada, bo):
        links = connected_links(user.page)
        assert len(links) == 1, links
        assert pair_types(links[0]) == ("relay", "relay"), links[0]["pair"]
        assert links[0]["configs"][-1]["iceTransportPolicy"] == "relay", links[0]["configs"]
    # Bo's addresses never reached the links Ada's page made since he hid; Ada's never
    # reached any link of Bo's page.
    expect_hidden_from(peer_connections(ada.page)[ada_before:], nat_lab.homes["cone_b"])
    expect_hidden_from(peer_connections(bo.page), nat_lab.homes["cone_a"])
